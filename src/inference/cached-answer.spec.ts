import { Caller, ClientKey } from '../access/client-key';
import { responseCacheKey } from '../cache/cache-key';
import { RequestTimer } from '../metrics/request-timer';
import { AnswerCapture, cacheKeyPartsOf } from './cached-answer';
import { CompletionView } from './dto/completion.view';
import { QueuedRequest } from './inference.types';
import { toJob } from './job';

const timer = {} as RequestTimer;
const chat = (extra: Record<string, unknown> = {}): QueuedRequest =>
  ({ kind: 'chat', dto: { messages: [{ role: 'user', content: 'hi' }], ...extra } }) as unknown as QueuedRequest;
const keyCaller = (id: string): Caller => ({ kind: 'key', key: { id } as ClientKey });
const idOf = (request: QueuedRequest, caller: Caller = { kind: 'open' }) => responseCacheKey(cacheKeyPartsOf(toJob(request, timer), caller));

const view = (over: Partial<CompletionView> = {}): CompletionView =>
  ({
    completion_id: 'r1',
    content: 'Hello there',
    metadata: { finish_reason: 'stop', model_specific: {}, task_type: 'general' },
    ...over,
  }) as CompletionView;

describe('cache key of a request', () => {
  it('is the same streamed or not, and whatever the metadata', () => {
    expect(idOf(chat({ stream: true, metadata: { user_id: 'u1' } }))).toBe(idOf(chat()));
  });

  it('differs per key, and between a key and callers without one', () => {
    expect(idOf(chat(), keyCaller('a'))).not.toBe(idOf(chat(), keyCaller('b')));
    expect(idOf(chat(), keyCaller('a'))).not.toBe(idOf(chat()));
    expect(idOf(chat(), { kind: 'admin' })).toBe(idOf(chat()));
  });

  it('differs with context items, tools, n and hints', () => {
    const plain = idOf(chat());
    expect(idOf(chat({ context: [{ type: 'text', content: 'ctx' }] }))).not.toBe(plain);
    expect(idOf(chat({ n: 2 }))).not.toBe(plain);
    expect(idOf(chat({ seed: 1 }))).not.toBe(plain);
    expect(idOf(chat({ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] }))).not.toBe(plain);
  });
});

describe('what is kept of an answer', () => {
  it('keeps the deltas of a stream in the order they went out', () => {
    const capture = new AnswerCapture();
    const sent: string[] = [];
    const control = capture.wrap({ requestId: 'r1', caller: { kind: 'open' }, signal: new AbortController().signal, onDelta: (c) => sent.push(c), onToolCallDelta: () => {} });
    control.onDelta!('Hello');
    control.onToolCallDelta!({ index: 0, id: 'c1', name: 'f', arguments: '{}' });
    control.onDelta!(' there');
    expect(sent).toEqual(['Hello', ' there']);
    expect(capture.entryFor(view(), true)?.replay).toEqual([{ delta: 'Hello' }, { tool_call: { index: 0, id: 'c1', name: 'f', arguments: '{}' } }, { delta: ' there' }]);
  });

  it('turns an answer that was not streamed into its content, then its tool calls', () => {
    const capture = new AnswerCapture();
    capture.wrap({ requestId: 'r1', caller: { kind: 'open' }, signal: new AbortController().signal });
    const calls = [{ id: 'c1', type: 'function' as const, function: { name: 'f', arguments: '{"a":1}' } }];
    expect(capture.entryFor(view({ tool_calls: calls }), false)?.replay).toEqual([
      { delta: 'Hello there' },
      { tool_call: { index: 0, id: 'c1', name: 'f', arguments: '{"a":1}' } },
    ]);
  });

  it('keeps nothing of a cancelled answer, nor of a provider body forwarded unchanged', () => {
    const cancelled = new AnswerCapture();
    expect(cancelled.entryFor(view({ metadata: { finish_reason: 'cancelled', model_specific: {}, task_type: 'general' } }), false)).toBeNull();

    const forwarded = new AnswerCapture();
    const control = forwarded.wrap({ requestId: 'r1', caller: { kind: 'open' }, signal: new AbortController().signal, onNativeBody: () => {} });
    control.onNativeBody!({ type: 'message' });
    expect(forwarded.entryFor(view(), false)).toBeNull();
  });
});
