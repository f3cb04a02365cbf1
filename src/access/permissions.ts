import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { Caller } from './client-key';

/** Whether a key's model list admits `modelId`: exact ids, or prefixes written `name*`. */
export function modelAllowed(caller: Caller, modelId: string): boolean {
  if (caller.kind !== 'key' || caller.key.models === null) return true;
  return caller.key.models.some((allowed) => (allowed.endsWith('*') ? modelId.startsWith(allowed.slice(0, -1)) : allowed === modelId));
}

/**
 * 403 unless the caller's key may use every capability the request needs (`chat`, `completion`,
 * `embedding`, and `function_calling` or `vision` for tools and images) and, when it names one,
 * the model.
 */
export function assertMayUse(caller: Caller, capabilities: string[], modelId: string | undefined): void {
  if (caller.kind !== 'key') return;
  const allowed = caller.key.capabilities;
  const missing = allowed === null ? [] : capabilities.filter((capability) => !allowed.includes(capability));
  if (missing.length > 0) {
    throw new DomainError(ErrorCode.Forbidden, `This API key may not use ${missing.join(', ')}`, { capabilities: missing });
  }
  if (modelId !== undefined && !modelAllowed(caller, modelId)) {
    throw new DomainError(ErrorCode.Forbidden, `This API key may not use model "${modelId}"`, { model_id: modelId });
  }
}
