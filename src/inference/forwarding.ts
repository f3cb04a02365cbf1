import { ProviderError, ProviderErrorCode } from '../providers/provider-error';
import { GenerationResult, NativeForwarding, ProviderAdapter, ProviderTarget } from '../providers/provider.types';
import { Job, NativeRequest, RunControl } from './inference.types';

/** What of a streamed attempt has reached the caller. */
export interface Streamed {
  content: string;
  sent: boolean;
}

/** The adapter's forwarding of the request's own protocol, when the request has one the adapter speaks. */
export function nativeFor(adapter: ProviderAdapter, job: Job): NativeForwarding | undefined {
  return job.native && adapter.native?.protocol === job.native.protocol ? adapter.native : undefined;
}

/**
 * A request in the provider's own protocol, sent unchanged but for the model name; what comes back
 * goes to the caller unchanged too (`onNativeBody`, `onNativeEvent`), and the result it adds up to
 * is recorded like any other.
 */
export async function forward(
  native: NativeForwarding,
  target: ProviderTarget,
  request: NativeRequest,
  control: RunControl,
  streamed: Streamed,
  timeoutMs: number,
): Promise<GenerationResult> {
  const call = { signal: control.signal, timeoutMs, body: request.body, headers: request.headers };
  // Everything the request holds reaches the provider: nothing to name as ignored.
  control.onIgnoredParams?.([]);
  if (!control.onDelta) {
    const { body, result } = await native.send(target, call);
    control.onNativeBody?.(body);
    return result;
  }
  for await (const chunk of native.stream(target, call)) {
    if (chunk.type === 'done') return chunk.result;
    streamed.sent = true;
    control.onNativeEvent?.(chunk.event);
  }
  throw new ProviderError(ProviderErrorCode.Unknown, 'Provider stream ended without a final result');
}
