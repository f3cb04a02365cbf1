import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { JsonResponse, request } from '../support/http';
import { TINY_MODEL } from '../support/paths';
import { startTestApp, TestApp } from '../support/test-app';

/** The app runs in this process, so this monitor sees how long its event loop was held. */
const loop = monitorEventLoopDelay({ resolution: 1 });
/** The issue's bound: no request may hold the event loop (and so every other request) longer than this. */
const MAX_BLOCKING_MS = 100;

const PROMPT_LIMIT = 300_000;
/** 200 KB of one character: one BPE piece, which js-tiktoken merged in quadratic time. */
const RUN_200K = 'a'.repeat(200_000);
const ENGLISH = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8').slice(0, 4000);
/** The issue's 13 KB prompt: ordinary text around 5,000 `a`s (it stalled every request for 2.3 s). */
const ISSUE_13K = `${ENGLISH} ${'a'.repeat(5000)} ${ENGLISH}`;

describe('runaway input: long prompts never hold the event loop', () => {
  let service: TestApp;
  let openai: FakeServer;

  const post = (path: string, body: unknown): Promise<JsonResponse> => request(service.baseUrl, 'POST', path, { body });

  /**
   * Sends a request up to three times and keeps the shortest of the longest stalls seen while it
   * was served: a garbage-collection pause or a busy CI neighbour lands in one run, the quadratic
   * counting this guards against (seconds) in all of them.
   */
  const timed = async (path: string, body: unknown): Promise<{ response: JsonResponse; blockedMs: number }> => {
    let best = { response: undefined as unknown as JsonResponse, blockedMs: Infinity };
    for (let run = 0; run < 3 && best.blockedMs >= MAX_BLOCKING_MS; run++) {
      loop.reset();
      const response = await post(path, body);
      const blockedMs = loop.max / 1e6;
      if (blockedMs < best.blockedMs) best = { response, blockedMs };
    }
    return best;
  };

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp({ MAX_PROMPT_CHARS: String(PROMPT_LIMIT) });
    const viaFake = { provider: 'openai' as const, api_url: openai.url, api_key: 'sk-test', capabilities: ['chat', 'completion'] };
    // Small contexts, so routing has to count a long prompt: with o200k (gpt-4o), cl100k (the others) and the GGUF's own tokenizer.
    await registerModel(service, { ...viaFake, model_id: 'gpt-4o-small', context_length: 2048, quality: 0.9 });
    await registerModel(service, { ...viaFake, model_id: 'oa-small', context_length: 2048, quality: 0.9 });
    await registerModel(service, { ...viaFake, model_id: 'oa-small-too', context_length: 2048, quality: 0.9 });
    await registerModel(service, { ...viaFake, model_id: 'oa-large', context_length: 100_000, quality: 0.2 });
    await registerModel(service, {
      provider: 'local',
      model_id: 'local-tiny',
      capabilities: ['chat', 'completion'],
      options: { model_path: TINY_MODEL },
      context_length: 512,
      quality: 0.9,
    });
    for (const model of ['gpt-4o-small', 'oa-small', 'oa-small-too', 'oa-large']) openai.behave(model, { text: 'Fine.', usage: { input: 7, output: 1 } });
    // Before anything is measured: each route once, and 8 KB counted for every model, which loads each tokenizer
    // (a one-time cost, itself done in slices) and compiles the code that counts.
    const warmUps = [
      await post('/api/models/completion', { prompt: ENGLISH.repeat(2) }),
      await post('/api/models/chat', { messages: [{ role: 'user', content: ENGLISH.repeat(2) }] }),
      await post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: 'hi' }] }),
      await post('/v1/completions', { model: 'auto', prompt: 'hi' }),
    ];
    expect(warmUps.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    loop.enable();
  });

  afterAll(async () => {
    loop.disable();
    await service.close();
    await openai.close();
  });

  describe.each([
    ['200 KB of one repeated character', RUN_200K],
    ['the 13 KB prompt with 5,000 a', ISSUE_13K],
  ])('%s', (_name, text) => {
    it('is answered through /api/models/completion after every small model is counted out', async () => {
      const { response, blockedMs } = await timed('/api/models/completion', { prompt: text });

      expect(response.status).toBe(200);
      expect(response.body.model.id).toBe('oa-large');
      expect(blockedMs).toBeLessThan(MAX_BLOCKING_MS);
    });

    it('is answered through /api/models/chat', async () => {
      const { response, blockedMs } = await timed('/api/models/chat', { messages: [{ role: 'user', content: text }] });

      expect(response.status).toBe(200);
      expect(response.body.model.id).toBe('oa-large');
      expect(blockedMs).toBeLessThan(MAX_BLOCKING_MS);
    });

    it('is answered through /v1/chat/completions and /v1/completions', async () => {
      const chat = await timed('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: text }] });
      const completion = await timed('/v1/completions', { model: 'auto', prompt: text });

      expect([chat.response.status, chat.response.body.model]).toEqual([200, 'oa-large']);
      expect([completion.response.status, completion.response.body.model]).toEqual([200, 'oa-large']);
      expect(Math.max(chat.blockedMs, completion.blockedMs)).toBeLessThan(MAX_BLOCKING_MS);
    });

    it('is refused with 422 by a named model whose context it overflows, hosted or local', async () => {
      const hosted = await timed('/api/models/chat', { model_id: 'gpt-4o-small', messages: [{ role: 'user', content: text }] });
      const local = await timed('/api/models/completion', { model_id: 'local-tiny', prompt: text });

      expect([hosted.response.status, hosted.response.body.error.code]).toEqual([422, 'model_cannot_serve']);
      expect(hosted.response.body.error.message).toMatch(/prompt \(\d+ tokens\) \+ max_tokens \(0\) exceeds its context length 2048/);
      expect([local.response.status, local.response.body.error.code]).toEqual([422, 'model_cannot_serve']);
      expect(local.response.body.error.message).toMatch(/prompt \(\d+ tokens\) \+ max_tokens \(0\) exceeds its context length 512/);
      expect(Math.max(hosted.blockedMs, local.blockedMs)).toBeLessThan(MAX_BLOCKING_MS);
    });
  });

  it('counts the 200 KB run as tiktoken does: eight a per token', async () => {
    const { body } = await post('/api/models/chat', { model_id: 'gpt-4o-small', messages: [{ role: 'user', content: RUN_200K }] });
    // 25,000 tokens and the 16 routing adds for a message's framing.
    expect(body.error.message).toContain('prompt (25016 tokens)');
  });

  describe(`a prompt over MAX_PROMPT_CHARS (${PROMPT_LIMIT})`, () => {
    const half = 'b'.repeat(PROMPT_LIMIT / 2);
    const message = (field: string) => `${field} must be at most ${PROMPT_LIMIT} characters, context items included (got ${PROMPT_LIMIT + 9})`;

    it('is a 400 naming prompt on /api/models/completion, context items counted, sync or queued', async () => {
      const body = { prompt: `${half}ccc`, context: [{ type: 'text', content: half }] };
      const sync = await post('/api/models/completion', body);
      const queued = await post('/api/models/completion', { ...body, async: true });

      for (const { status, body: refusal } of [sync, queued]) {
        expect(status).toBe(400);
        expect(refusal.error.code).toBe('validation_failed');
        expect(refusal.error.details.fields).toEqual({ prompt: [expect.stringContaining(`prompt must be at most ${PROMPT_LIMIT} characters`)] });
      }
    });

    it('is a 400 naming messages on /api/models/chat', async () => {
      const { status, body } = await post('/api/models/chat', {
        messages: [
          { role: 'user', content: half },
          { role: 'user', content: `${half}12345678` },
        ],
      });

      expect(status).toBe(400);
      expect(body.error).toMatchObject({ code: 'validation_failed', details: { fields: { messages: [message('messages')] } } });
    });

    it('is a 400 naming messages or prompt on the /v1 routes, in OpenAI shape', async () => {
      const chat = await post('/v1/chat/completions', {
        model: 'auto',
        messages: [
          { role: 'user', content: half },
          { role: 'user', content: `${half}12345678` },
        ],
      });
      const completion = await post('/v1/completions', { model: 'auto', prompt: `${half}${half}123456789` });

      expect(chat.status).toBe(400);
      expect(chat.body.error).toMatchObject({ type: 'invalid_request_error', param: 'messages', message: `messages: ${message('messages')}` });
      expect(completion.status).toBe(400);
      expect(completion.body.error).toMatchObject({ param: 'prompt', message: `prompt: ${message('prompt')}` });
    });

    it('leaves every model uncalled', () => {
      const sentLong = openai.requests.filter((sent) => JSON.stringify(sent.body).includes(half));
      expect(sentLong).toEqual([]);
    });
  });
});
