import { ErrorCode } from './error-code';

export type ErrorDetails = Record<string, unknown>;

/** The SPEC's error body: `{ "error": { "code", "message", "details" } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: ErrorDetails };
}

/**
 * A failure the service means to report. Services throw these; the edge (HTTP filter or
 * Redis command filter) maps them to the SPEC's error shape, so no service knows about transports.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** A body with 100,000 bad keys fits in the body limit; its error body must not be megabytes. */
export const MAX_LISTED_FIELDS = 20;
const MAX_FIELD_CHARS = 200;
const MAX_MESSAGE_CHARS = 500;

export class ValidationFailed extends DomainError {
  /**
   * `fields` maps each offending field path (e.g. `properties.pricing.input`) to its messages. The first
   * MAX_LISTED_FIELDS are listed (long names and messages clipped); `omitted_fields` counts the rest.
   */
  constructor(fields: Record<string, string[]>) {
    const offending = Object.entries(fields);
    const listed = Object.fromEntries(
      offending.slice(0, MAX_LISTED_FIELDS).map(([field, messages]) => [clip(field, MAX_FIELD_CHARS), messages.map((m) => clip(m, MAX_MESSAGE_CHARS))]),
    );
    const omitted = offending.length - Object.keys(listed).length;
    const more = omitted > 0 ? ` and ${omitted} more` : '';
    super(ErrorCode.ValidationFailed, `Invalid request: ${Object.keys(listed).join(', ')}${more}`, {
      fields: listed,
      ...(omitted > 0 && { omitted_fields: omitted }),
    });
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export class ModelNotFound extends DomainError {
  constructor(modelId: string) {
    super(ErrorCode.ModelNotFound, `Unknown model_id "${modelId}"`, { model_id: modelId });
  }
}

export class ModelCannotServe extends DomainError {
  /** `param`: the request field the model cannot honour, when one is at fault. */
  constructor(modelId: string, reason: string, param?: string) {
    super(ErrorCode.ModelCannotServe, `Model "${modelId}" cannot serve this request: ${reason}`, { model_id: modelId, ...(param ? { param } : {}) });
  }
}
