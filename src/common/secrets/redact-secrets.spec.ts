import { redactSecrets } from './redact-secrets';

describe('redactSecrets', () => {
  it('removes the given secrets wherever they appear, whatever their shape', () => {
    expect(redactSecrets('rejected key proxy-secret-value (proxy-secret-value)', 'proxy-secret-value')).toBe(
      'rejected key [redacted] ([redacted])',
    );
  });

  it('ignores secrets that are not set', () => {
    expect(redactSecrets('nothing to hide', null, undefined, '')).toBe('nothing to hide');
  });

  it('removes OpenAI and Anthropic style keys', () => {
    expect(redactSecrets('Incorrect API key provided: sk-proj-abcdefgh12345678.')).toBe('Incorrect API key provided: [redacted].');
    expect(redactSecrets('invalid x-api-key sk-ant-api03-AbCdEf_123456')).toBe('invalid x-api-key [redacted]');
  });

  it('removes bearer and basic credentials', () => {
    expect(redactSecrets('sent Authorization: Bearer abc.def.ghi, got 401')).toBe('sent Authorization: Bearer [redacted], got 401');
    expect(redactSecrets('basic dXNlcjpwYXNz failed')).toBe('basic [redacted] failed');
  });

  it('removes api_key, token and password values in query strings and JSON', () => {
    expect(redactSecrets('GET /v1/models?api_key=AIzaSyA123&x=1')).toBe('GET /v1/models?api_key=[redacted]&x=1');
    expect(redactSecrets('{"password": "hunter2", "access_token":"t0k3n"}')).toBe('{"password": "[redacted]", "access_token":"[redacted]"}');
  });

  it('removes the password of a connection URL and keeps the rest', () => {
    expect(redactSecrets('connect to postgres://app:s3cr3t@db:5432/mos failed')).toBe('connect to postgres://app:[redacted]@db:5432/mos failed');
    expect(redactSecrets('redis://:s3cr3t@cache:6379')).toBe('redis://:[redacted]@cache:6379');
    expect(redactSecrets('postgres://postgres@127.0.0.1:5432/mos')).toBe('postgres://postgres@127.0.0.1:5432/mos');
  });

  it('leaves ordinary text alone', () => {
    const text = 'Model gpt-4o-mini answered 503 after 120 ms; prompt_tokens: 12, max_tokens=256';
    expect(redactSecrets(text)).toBe(text);
  });
});
