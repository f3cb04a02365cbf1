import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';

/** A client key that proves nothing (OpenAI's clients know it by the code `invalid_api_key`). */
export class InvalidApiKey extends DomainError {
  static readonly openAiCode = 'invalid_api_key';

  constructor(message = 'Incorrect API key provided') {
    super(ErrorCode.Unauthorized, message);
  }
}
