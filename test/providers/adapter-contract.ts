import { getEventListeners } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { freePort, waitUntil } from '../../scripts/lib/processes';
import { ProviderError, ProviderErrorCode } from '../../src/providers/provider-error';
import {
  ChatCall,
  ChatMessage,
  CompletionCall,
  FinishReason,
  GenerationChunk,
  GenerationParams,
  ProviderAdapter,
  ProviderTarget,
} from '../../src/providers/provider.types';
import { echo, FakeServer } from '../support/fake-openai';
import { Flood } from '../support/flood';

/**
 * The contract every provider adapter fulfils (`ProviderAdapter`), as one suite: each adapter's spec
 * calls `describeAdapterContract` with its own protocol fake (or, for local models, the real tiny
 * model) and keeps only what is particular to its vendor beside it.
 *
 * A setup declares what its provider has; a case that needs what it lacks (an HTTP upstream to
 * script, log-probabilities, embeddings of chosen dimensions) is listed as skipped, with the
 * reason in its name, rather than left out silently.
 */

/** Why a case does not apply to an adapter. */
export class NotApplicable {
  constructor(readonly reason: string) {}
}

export function notApplicable(reason: string): NotApplicable {
  return new NotApplicable(reason);
}

/** How a scripted upstream answers the contract's model, in words every fake understands. */
export interface ScriptedReply {
  /** The reply; a stream sends one word per delta, each with the whitespace before it. Default: the fake's echo. */
  text?: string;
  /** The vendor's own finish reason, sent as is. Default: a normal stop. */
  finishReason?: string;
  usage?: { input: number; output: number };
  /** One log-probability per word of `text`; `false`: none, even when asked for. */
  logprobs?: number[] | false;
  /** Answer with this HTTP status and the vendor's error body instead. */
  error?: { status: number; message: string };
  /** Wait this long before answering at all. */
  delayMs?: number;
  /** Wait this long between the writes of a stream. */
  chunkDelayMs?: number;
  /** Answer with more than a gateway should hold (see `flood`). */
  flood?: Flood;
}

/** One request the fake received. */
export interface UpstreamRequest {
  body: Record<string, any>;
  headers: IncomingHttpHeaders;
  /** True once the adapter dropped the connection before the answer was complete. */
  hungUp: boolean;
}

/** A fake server speaking the provider's wire protocol, scripted per call. */
export interface ScriptedUpstream {
  /** Scripts how `target().providerModel` answers from now on. */
  script(reply: ScriptedReply): void;
  /** What the fake answers, unscripted, to a chat whose last message (or a prompt) is `text`. */
  echo(text: string): string;
  /** Every request since the last reset, in order. */
  requests(): UpstreamRequest[];
  /** The base URL the target would have for a server on `port` (with `/v1` where the vendor's has it). */
  baseUrlAt(port: number): string;
  /** What the adapter returns as `modelSpecific` for one of the fake's replies (a matcher). */
  modelSpecific: unknown;
  /** The vendor's finish reasons, each with the one the adapter maps it to. */
  finishReasons: [vendor: string, normalized: FinishReason][];
  /** HTTP statuses of the vendor's own, checked besides the common ones. */
  vendorStatuses?: StatusCase[];
}

/** A model run in-process: nothing to script, no HTTP. */
export interface InProcessModel {
  /** Why the cases that need a scripted upstream do not apply. */
  noUpstream: string;
  /** A target and call settings for a generation that lasts seconds, ready to start at once (model loaded). */
  longGeneration(): Promise<Arranged>;
}

export interface Arranged {
  target: ProviderTarget;
  call: Partial<GenerationParams>;
  /** The first delta the caller will read, where it is known in advance. */
  firstDelta?: string;
}

export interface EmbeddingsSupport {
  /** Length of each vector when no dimensions are asked for. */
  length: number;
  /** The prompt tokens the provider reports for these texts. */
  promptTokens(texts: string[]): number;
  /** Whether the provider shortens vectors to the `dimensions` asked for (`supportsDimensions`). */
  dimensions: 'shortened' | NotApplicable;
}

/** A provider without an embeddings API: the adapter refuses, without calling anything. */
export interface NoEmbeddings {
  refusal: string;
}

export interface AdapterContractSetup {
  adapter: ProviderAdapter;
  /** The model under test, with `overrides` applied. */
  target(overrides?: Partial<ProviderTarget>): ProviderTarget;
  /** What every call carries unless a case says otherwise; by default a 5 s timeout. */
  callDefaults?: CallDefaults;
  upstream: ScriptedUpstream | InProcessModel;
  /** Whether the provider returns log-probabilities when asked (and stops being asked with `options.logprobs: false`). */
  logprobs: 'returned' | NotApplicable;
  embeddings: EmbeddingsSupport | NoEmbeddings;
}

interface CallDefaults {
  timeoutMs: number;
  maxTokens?: number;
}

type StatusCase = [status: number, code: ProviderErrorCode, retryable: boolean];

/** The statuses every HTTP provider can answer, and what they mean to the caller. */
const COMMON_STATUSES: StatusCase[] = [
  [429, 'rate_limited', true],
  [401, 'unauthorized', false],
  [400, 'bad_request', false],
  [404, 'not_found', false],
  [500, 'server_error', true],
  [503, 'server_error', true],
];

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'hello there' },
];
const PROMPT = 'Once upon a time';
/** Not shaped like any known key, so only the adapter knowing its own key can keep it out of messages. */
const SECRET = 'contract-secret-value-0123';
/** Far shorter than the slow answers the cases arrange (seconds). */
const SHORT_TIMEOUT_MS = 100;

export function describeAdapterContract(setup: AdapterContractSetup): void {
  const { adapter, upstream } = setup;
  const callDefaults: CallDefaults = setup.callDefaults ?? { timeoutMs: 5_000 };
  const scripted = isScripted(upstream) ? upstream : notApplicable(upstream.noUpstream);
  const withLogprobs = setup.logprobs instanceof NotApplicable ? setup.logprobs : scripted;

  const chatCall = (overrides: Partial<ChatCall> = {}): ChatCall => ({ messages: MESSAGES, signal: live(), ...callDefaults, ...overrides });
  const completionCall = (overrides: Partial<CompletionCall> = {}): CompletionCall => ({
    prompt: PROMPT,
    signal: live(),
    ...callDefaults,
    ...overrides,
  });

  /** A generation that outlasts the cases' timeouts and gives time to abort between deltas. */
  async function longStream(): Promise<Arranged> {
    if (!isScripted(upstream)) return upstream.longGeneration();
    upstream.script({ text: 'one two three four', chunkDelayMs: 200 });
    return { target: setup.target(), call: {}, firstDelta: 'one' };
  }

  /** An answer that does not start for seconds: a silent upstream, or a long generation. */
  async function slowAnswer(): Promise<Arranged> {
    if (!isScripted(upstream)) return upstream.longGeneration();
    upstream.script({ delayMs: 2_000 });
    return { target: setup.target(), call: {} };
  }

  describe('adapter contract', () => {
    describe('replies', () => {
      itWith(scripted, 'returns the content, finish reason and usage as the upstream reports them', async (fake) => {
        fake.script({ text: 'Hi there', usage: { input: 12, output: 2 }, logprobs: false });

        const result = await adapter.chat(setup.target(), chatCall());

        expect(result).toEqual({
          content: 'Hi there',
          toolCalls: [],
          finishReason: 'stop',
          usage: { promptTokens: 12, completionTokens: 2 },
          confidence: null,
          modelSpecific: fake.modelSpecific,
        });
      });

      itWith(scripted, "sends a chat's last message and a completion's prompt: the unscripted upstream echoes them", async (fake) => {
        const chat = await adapter.chat(setup.target(), chatCall());
        const completion = await adapter.complete(setup.target(), completionCall());

        expect(chat.content).toBe(fake.echo('hello there'));
        expect(completion.content).toBe(fake.echo(PROMPT));
      });

      eachWith(
        scripted,
        (fake) => fake.finishReasons,
        ([vendor, normalized]) => `maps the finish reason ${vendor} to ${normalized}, streamed or not`,
        'maps the vendor finish reasons',
        async (fake, [vendor, normalized]) => {
          fake.script({ finishReason: vendor });

          const whole = await adapter.chat(setup.target(), chatCall());
          const streamed = await collect(adapter.streamChat(setup.target(), chatCall()));

          expect(whole.finishReason).toBe(normalized);
          expect(streamed.at(-1)).toMatchObject({ type: 'done', result: { finishReason: normalized } });
        },
      );

      itWith(withLogprobs, 'computes confidence as exp of the mean token log-probability, streamed or not', async (fake) => {
        const logprobs = [-0.1, -0.5, -1.2];
        fake.script({ text: 'one two three', logprobs });
        const expected = Math.exp((-0.1 - 0.5 - 1.2) / 3);

        const whole = await adapter.chat(setup.target(), chatCall());
        const streamed = await collect(adapter.streamChat(setup.target(), chatCall()));

        expect(whole.confidence).toBeCloseTo(expected, 12);
        expect(streamed.at(-1)).toMatchObject({ type: 'done', result: { confidence: expect.closeTo(expected, 12) } });
      });

      itWith(withLogprobs, 'stops asking for log-probabilities when options.logprobs is false', async (fake) => {
        fake.script({ text: 'one two three', logprobs: [-0.1, -0.5, -1.2] });

        const result = await adapter.chat(setup.target({ options: { logprobs: false } }), chatCall());

        expect(fake.requests()[0].body).not.toHaveProperty('logprobs');
        expect(result.confidence).toBeNull();
      });

      itWith(scripted, 'reports null confidence when the upstream returns no log-probabilities, streamed or not', async (fake) => {
        fake.script({ text: 'plain answer', logprobs: false });

        const whole = await adapter.chat(setup.target(), chatCall());
        const streamed = await collect(adapter.streamChat(setup.target(), chatCall()));

        expect(whole.confidence).toBeNull();
        expect(streamed.at(-1)).toMatchObject({ type: 'done', result: { confidence: null } });
      });
    });

    describe('streaming', () => {
      const kinds = {
        chat: { whole: () => adapter.chat(setup.target(), chatCall()), stream: () => adapter.streamChat(setup.target(), chatCall()) },
        completion: {
          whole: () => adapter.complete(setup.target(), completionCall()),
          stream: () => adapter.streamComplete(setup.target(), completionCall()),
        },
      };

      it.each(Object.keys(kinds) as (keyof typeof kinds)[])(
        'streams a %s as deltas that add up to the unstreamed content, then exactly one done with the same result',
        async (kind) => {
          const whole = await kinds[kind].whole();
          const chunks = await collect(kinds[kind].stream());

          const deltas = deltasOf(chunks);
          expect(deltas.length).toBeGreaterThan(1);
          expect(deltas.join('')).toBe(whole.content);
          expect(chunks.filter((chunk) => chunk.type === 'done')).toHaveLength(1);
          expect(chunks.at(-1)).toEqual({
            type: 'done',
            result: {
              ...whole,
              confidence: whole.confidence === null ? null : expect.closeTo(whole.confidence, 6),
              modelSpecific: expect.any(Object),
            },
          });
        },
      );

      eachWith(
        scripted,
        () => Object.keys(kinds) as (keyof typeof kinds)[],
        (kind) => `streams the scripted reply to a ${kind} one delta per word, then a done with the usage as reported`,
        'streams the scripted reply one delta per word',
        async (fake, kind) => {
          fake.script({ text: 'one two three', usage: { input: 9, output: 3 }, logprobs: false });

          const chunks = await collect(kinds[kind].stream());

          expect(chunks).toEqual([
            { type: 'delta', content: 'one' },
            { type: 'delta', content: ' two' },
            { type: 'delta', content: ' three' },
            {
              type: 'done',
              result: {
                content: 'one two three',
                toolCalls: [],
                finishReason: 'stop',
                usage: { promptTokens: 9, completionTokens: 3 },
                confidence: null,
                modelSpecific: fake.modelSpecific,
              },
            },
          ]);
        },
      );
    });

    describe('cancellation and timeouts', () => {
      it('stops reading and throws cancelled when the caller aborts after the first delta', async () => {
        const { target, call, firstDelta } = await longStream();
        const caller = new AbortController();
        const stream = adapter.streamChat(target, chatCall({ ...call, signal: caller.signal }))[Symbol.asyncIterator]();

        expect(await stream.next()).toEqual({ done: false, value: { type: 'delta', content: firstDelta ?? expect.any(String) } });
        caller.abort();

        expect(await caught(stream.next())).toMatchObject({ code: 'cancelled', retryable: false });
        expect(await stream.next()).toEqual({ done: true, value: undefined });
        // The connection is dropped: the upstream does not get to write the rest.
        if (isScripted(upstream)) await waitUntil(() => upstream.requests()[0].hungUp);
      });

      it("leaves no listener on the caller's signal once a call is over, streamed or not, answered or timed out", async () => {
        const caller = new AbortController();
        const call = (overrides: Partial<ChatCall> = {}) => chatCall({ signal: caller.signal, ...overrides });

        await adapter.chat(setup.target(), call());
        await collect(adapter.streamChat(setup.target(), call()));
        const slow = await slowAnswer();
        await caught(adapter.chat(slow.target, call({ ...slow.call, timeoutMs: SHORT_TIMEOUT_MS })));
        const long = await longStream();
        await caught(collect(adapter.streamChat(long.target, call({ ...long.call, timeoutMs: SHORT_TIMEOUT_MS }))));

        // Each call listens while it runs (to stop on a cancel); one that stayed would leak with every request.
        expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
      });

      it('throws cancelled when the caller aborts an unstreamed call while it runs', async () => {
        const { target, call } = await slowAnswer();
        const caller = new AbortController();

        const pending = caught(adapter.chat(target, chatCall({ ...call, signal: caller.signal })));
        if (isScripted(upstream)) await waitUntil(() => upstream.requests().length === 1);
        else await new Promise((resolve) => setImmediate(resolve));
        caller.abort();

        expect(await pending).toMatchObject({ code: 'cancelled', retryable: false });
        if (isScripted(upstream)) await waitUntil(() => upstream.requests()[0].hungUp);
      });

      it('throws cancelled, without calling the provider, when the caller aborted before the call, streamed or not', async () => {
        const signal = AbortSignal.abort();

        const whole = await caught(adapter.chat(setup.target(), chatCall({ signal })));
        const streamed = await caught(collect(adapter.streamChat(setup.target(), chatCall({ signal }))));

        expect(whole).toMatchObject({ code: 'cancelled', retryable: false });
        expect(streamed).toMatchObject({ code: 'cancelled', retryable: false });
        if (isScripted(upstream)) expect(upstream.requests()).toEqual([]);
      });

      it('throws a retryable timeout when the answer takes longer than timeoutMs, streamed or not', async () => {
        const { target, call } = await slowAnswer();

        const whole = await caught(adapter.chat(target, chatCall({ ...call, timeoutMs: SHORT_TIMEOUT_MS })));
        const streamed = await caught(collect(adapter.streamChat(target, chatCall({ ...call, timeoutMs: SHORT_TIMEOUT_MS }))));

        expect(whole).toMatchObject({ code: 'timeout', retryable: true });
        expect(streamed).toMatchObject({ code: 'timeout', retryable: true });
      });

      itWith(scripted, 'throws a retryable timeout when the chunks of a stream stop coming', async (fake) => {
        fake.script({ text: 'slow slow slow', chunkDelayMs: 10_000 });

        const error = await caught(collect(adapter.streamChat(setup.target(), chatCall({ timeoutMs: 300 }))));

        expect(error).toMatchObject({ code: 'timeout', retryable: true });
      });
    });

    describe('upstream failures', () => {
      eachWith(
        scripted,
        (fake) => [...COMMON_STATUSES, ...(fake.vendorStatuses ?? [])],
        ([status, code, retryable]) => `maps a ${status} to ${code} (retryable: ${retryable}) with the upstream's message, streamed or not`,
        'maps HTTP error statuses to error codes',
        async (fake, [status, code, retryable]) => {
          fake.script({ error: { status, message: 'Scripted failure' } });

          const whole = await caught(adapter.chat(setup.target(), chatCall()));
          const streamed = await caught(collect(adapter.streamChat(setup.target(), chatCall())));

          expect(whole).toMatchObject({ code, retryable, status, message: 'Scripted failure' });
          expect(streamed).toMatchObject({ code, retryable, status, message: 'Scripted failure' });
        },
      );

      itWith(scripted, 'maps a refused connection to a retryable connection_error, streamed or not', async (fake) => {
        const target = setup.target({ baseUrl: fake.baseUrlAt(await freePort()) });

        const whole = await caught(adapter.chat(target, chatCall()));
        const streamed = await caught(collect(adapter.streamChat(target, chatCall())));

        expect(whole).toMatchObject({ code: 'connection_error', retryable: true, status: null });
        expect(streamed).toMatchObject({ code: 'connection_error', retryable: true, status: null });
      });

      itWith(scripted, 'never puts the API key in an error message, streamed or not', async (fake) => {
        fake.script({ error: { status: 401, message: `rejected key ${SECRET}` } });
        const target = setup.target({ apiKey: SECRET });

        const whole = await caught(adapter.chat(target, chatCall()));
        const streamed = await caught(collect(adapter.streamChat(target, chatCall())));

        expect(whole.message).toBe('rejected key [redacted]');
        expect(streamed.message).toBe('rejected key [redacted]');
      });

      eachWith(
        scripted,
        (): [Flood, 'whole' | 'streamed'][] => [
          ['body', 'whole'],
          ['line', 'streamed'],
          ['lines', 'streamed'],
        ],
        ([flood, how]) => `cuts off a ${how} answer that floods it (${flood}) with a retryable invalid_output, and hangs up`,
        'cuts off answers larger than it keeps',
        async (fake, [flood, how]) => {
          fake.script({ flood });

          const error = await caught(how === 'whole' ? adapter.chat(setup.target(), chatCall()) : collect(adapter.streamChat(setup.target(), chatCall())));

          expect(error).toMatchObject({ code: 'invalid_output', retryable: true, message: expect.stringMatching(/cut off/) });
          await waitUntil(() => fake.requests().every((request) => request.hungUp));
        },
      );

      itWith(scripted, "sends each target's own key as a bearer token", async (fake) => {
        for (const apiKey of ['first-key-0000000', 'second-key-000000', 'first-key-0000000']) {
          await adapter.chat(setup.target({ apiKey }), chatCall());
        }

        expect(fake.requests().map((request) => request.headers.authorization)).toEqual([
          'Bearer first-key-0000000',
          'Bearer second-key-000000',
          'Bearer first-key-0000000',
        ]);
      });
    });

    describe('embeddings', () => {
      const { embeddings } = setup;
      if ('refusal' in embeddings) {
        it('refuses to embed with a non-retryable bad_request, as the provider has no embeddings API', async () => {
          const error = await caught(adapter.embed(setup.target(), { texts: ['text'], signal: live(), timeoutMs: callDefaults.timeoutMs }));

          expect(error).toMatchObject({ code: 'bad_request', retryable: false, message: embeddings.refusal });
          expect(adapter.supportsDimensions).toBe(false);
        });
        return;
      }

      it('embeds each text in input order, the same text the same way, with the prompt tokens as reported', async () => {
        const texts = ['first text', 'second text here'];
        const embed = (input: string[]) => adapter.embed(setup.target(), { texts: input, signal: live(), timeoutMs: callDefaults.timeoutMs });

        const both = await embed(texts);
        const [first] = (await embed([texts[0]])).embeddings;
        const [second] = (await embed([texts[1]])).embeddings;

        expect(both.embeddings.map((vector) => vector.length)).toEqual([embeddings.length, embeddings.length]);
        expect(cosine(both.embeddings[0], first)).toBeCloseTo(1, 6);
        expect(cosine(both.embeddings[1], second)).toBeCloseTo(1, 6);
        expect(cosine(first, second)).toBeLessThan(1 - 1e-6);
        expect(both.usage).toEqual({ promptTokens: embeddings.promptTokens(texts) });
        expect(adapter.supportsDimensions).toBe(embeddings.dimensions === 'shortened');
      });

      itWith(embeddings.dimensions, 'shortens the vectors to the dimensions asked for', async () => {
        const result = await adapter.embed(setup.target(), {
          texts: ['first text', 'second'],
          dimensions: 4,
          signal: live(),
          timeoutMs: callDefaults.timeoutMs,
        });

        expect(result.embeddings.map((vector) => vector.length)).toEqual([4, 4]);
      });
    });
  });
}

function isScripted(upstream: ScriptedUpstream | InProcessModel): upstream is ScriptedUpstream {
  return 'script' in upstream;
}

/**
 * A fake upstream for the spec file's tests: started before them, its scripts and recorded requests
 * forgotten after each, closed after all. Returns the running fake.
 */
export function startForSuite<Fake extends { reset(): void; close(): Promise<void> }>(start: () => Promise<Fake>): () => Fake {
  let fake: Fake | undefined;
  beforeAll(async () => {
    fake = await start();
  });
  afterEach(() => fake?.reset());
  afterAll(() => fake?.close());
  return () => {
    if (!fake) throw new Error('the fake upstream is not running');
    return fake;
  };
}

/** Scripting, echo and requests of a fake built on `startScriptedServer` (the OpenAI and Anthropic fakes), for `model`. */
export function scriptedServer(server: () => FakeServer, model: string): Pick<ScriptedUpstream, 'script' | 'echo' | 'requests'> {
  return {
    script: (reply) => server().behave(model, reply),
    echo,
    requests: () => server().requests.map(({ body, headers, disconnected }) => ({ body, headers, hungUp: disconnected })),
  };
}

/** A case that needs `capability`; listed as skipped, with the reason, where it does not apply. */
function itWith<T>(capability: T | NotApplicable, title: string, test: (capability: T) => Promise<void>): void {
  if (capability instanceof NotApplicable) it.skip(`${title} (not applicable: ${capability.reason})`, () => undefined);
  else it(title, () => test(capability));
}

/** A case per row; one skipped entry, named by `groupTitle`, where the capability is missing. */
function eachWith<T, R>(
  capability: T | NotApplicable,
  rows: (capability: T) => R[],
  title: (row: R) => string,
  groupTitle: string,
  test: (capability: T, row: R) => Promise<void>,
): void {
  if (capability instanceof NotApplicable) {
    it.skip(`${groupTitle} (not applicable: ${capability.reason})`, () => undefined);
    return;
  }
  for (const row of rows(capability)) it(title(row), () => test(capability, row));
}

function live(): AbortSignal {
  return new AbortController().signal;
}

export async function collect(stream: AsyncIterable<GenerationChunk>): Promise<GenerationChunk[]> {
  const chunks: GenerationChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

export function deltasOf(chunks: GenerationChunk[]): string[] {
  return chunks.flatMap((chunk) => (chunk.type === 'delta' ? [chunk.content] : []));
}

/** The ProviderError a call failed with; fails the test if it succeeded or threw anything else. */
export async function caught(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError, but the call succeeded');
}

export function cosine(a: number[], b: number[]): number {
  const dot = a.reduce((sum, x, i) => sum + x * b[i], 0);
  return dot / (Math.hypot(...a) * Math.hypot(...b));
}
