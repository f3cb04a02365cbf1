import { DomainError, ModelNotFound, ValidationFailed } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { InvalidApiKey } from '../access/invalid-api-key';
import { errorType, toOpenAiError } from './openai-error';

describe('toOpenAiError', () => {
  it('keeps the status and names the first offending field as param, listing every field in the message', () => {
    const { status, body, shouldRetry } = toOpenAiError(new ValidationFailed({ n: ['n must be 1'], 'messages.0.role': ['bad role'] }));
    expect(status).toBe(400);
    expect(body).toEqual({
      error: { message: 'n: n must be 1. messages.0.role: bad role', type: 'invalid_request_error', param: 'n', code: 'validation_failed' },
    });
    expect(shouldRetry).toBeUndefined();
  });

  it('names the offending header as param of a 415', () => {
    const error = new DomainError(ErrorCode.UnsupportedMediaType, 'Unsupported Content-Encoding', { fields: { 'Content-Encoding': ['must be gzip'] } });
    expect(toOpenAiError(error)).toEqual({
      status: 415,
      body: { error: { message: 'Content-Encoding: must be gzip', type: 'invalid_request_error', param: 'Content-Encoding', code: 'unsupported_media_type' } },
    });
  });

  it('answers an unknown model with 404 model_not_found on param "model"', () => {
    expect(toOpenAiError(new ModelNotFound('nope'))).toEqual({
      status: 404,
      body: { error: { message: 'Unknown model_id "nope"', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } },
    });
  });

  it('answers a wrong key with 401 invalid_api_key and a missing one with 401 unauthorized', () => {
    expect(toOpenAiError(new InvalidApiKey()).body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
    expect(toOpenAiError(new DomainError(ErrorCode.Unauthorized, 'Missing API key')).body.error).toMatchObject({
      type: 'authentication_error',
      code: 'unauthorized',
    });
  });

  it('tells SDKs not to retry what cannot succeed again, and leaves 503 retryable', () => {
    expect(toOpenAiError(new DomainError(ErrorCode.Conflict, 'dup')).shouldRetry).toBe(false);
    expect(toOpenAiError(new DomainError(ErrorCode.ProviderError, 'rejected'))).toMatchObject({ status: 502, shouldRetry: false });
    expect(toOpenAiError(new DomainError(ErrorCode.NoModelAvailable, 'all failed'))).toMatchObject({ status: 503 });
    expect(toOpenAiError(new DomainError(ErrorCode.NoModelAvailable, 'all failed')).shouldRetry).toBeUndefined();
  });
});

describe('errorType', () => {
  it.each([
    [400, 'invalid_request_error'],
    [404, 'invalid_request_error'],
    [409, 'invalid_request_error'],
    [415, 'invalid_request_error'],
    [422, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [429, 'rate_limit_error'],
    [500, 'server_error'],
    [502, 'api_error'],
    [503, 'api_error'],
  ])('maps %i to %s', (status, type) => {
    expect(errorType(status)).toBe(type);
  });
});
