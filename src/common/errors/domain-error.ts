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

export class ValidationFailed extends DomainError {
  /** `fields` maps each offending field path (e.g. `properties.pricing.input`) to its messages. */
  constructor(fields: Record<string, string[]>) {
    super(ErrorCode.ValidationFailed, `Invalid request: ${Object.keys(fields).join(', ')}`, { fields });
  }
}

export class ModelNotFound extends DomainError {
  constructor(modelId: string) {
    super(ErrorCode.ModelNotFound, `Unknown model_id "${modelId}"`, { model_id: modelId });
  }
}

export class ModelCannotServe extends DomainError {
  constructor(modelId: string, reason: string) {
    super(ErrorCode.ModelCannotServe, `Model "${modelId}" cannot serve this request: ${reason}`, { model_id: modelId });
  }
}
