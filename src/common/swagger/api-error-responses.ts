import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';
import { ErrorCode } from '../errors/error-code';

class ErrorView {
  @ApiProperty({ enum: Object.values(ErrorCode), example: ErrorCode.ValidationFailed })
  code: string;

  @ApiProperty({ example: 'Invalid request: prompt' })
  message: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { fields: { prompt: ['prompt must be a string'] } } })
  details: Record<string, unknown>;
}

export class ErrorBodyView {
  @ApiProperty({ type: ErrorView })
  error: ErrorView;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; `details.fields` names every offending field',
  401: 'Missing bearer token',
  403: 'Wrong token, or admin endpoints disabled (no ADMIN_TOKEN configured)',
  404: 'Unknown model_id, request_id or model alias',
  409: 'Conflict with the current state',
  415: 'A body that is not JSON in UTF-8, or compressed other than with gzip, deflate or br',
  422: 'The named model cannot serve the request',
  502: 'The provider rejected the request',
  503: 'No model available, or every candidate failed',
};

/** Documents the SPEC's error shape for the given statuses. */
export function ApiErrorResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorBodyView })),
  );
}
