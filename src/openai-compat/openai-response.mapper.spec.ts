import { CompletionView } from '../inference/dto/completion.view';
import { ModelView } from '../models/dto/model.dto';
import {
  chatChunkEncoder,
  formatUsd,
  textChunkEncoder,
  toBase64Floats,
  toChatCompletion,
  toEmbeddingList,
  toModelList,
  toTextCompletion,
} from './openai-response.mapper';

const view: CompletionView = {
  completion_id: 'req-1',
  created_at: '2026-01-02T03:04:05.678Z',
  model: { id: 'oa-coder', provider: 'openai' },
  content: 'def add(a, b): return a + b',
  usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52, estimated_cost: 0.000064 },
  performance: { quality_score: 0.9, success_rate: 0.9, confidence: 0.8 },
  metadata: { finish_reason: 'length', model_specific: { id: 'chatcmpl-1' }, task_type: 'code_generation' },
};
const created = Date.parse('2026-01-02T03:04:05Z') / 1000;
const usage = { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52, estimated_cost: 0.000064 };

describe('toChatCompletion', () => {
  it('uses our completion id, the model that answered, unix seconds and our usage with its cost', () => {
    expect(toChatCompletion(view)).toEqual({
      id: 'req-1',
      object: 'chat.completion',
      created,
      model: 'oa-coder',
      choices: [{ index: 0, message: { role: 'assistant', content: view.content, refusal: null }, logprobs: null, finish_reason: 'length' }],
      usage,
    });
  });
});

describe('toTextCompletion', () => {
  it('puts the content in choices[0].text', () => {
    expect(toTextCompletion(view)).toEqual({
      id: 'req-1',
      object: 'text_completion',
      created,
      model: 'oa-coder',
      choices: [{ text: view.content, index: 0, logprobs: null, finish_reason: 'length' }],
      usage,
    });
  });
});

describe('chatChunkEncoder', () => {
  const meta = { id: 'req-1', created: 1700000000, model: 'auto', includeUsage: false };

  it('opens with the assistant role, names the requested model on deltas and the answering model at the end', () => {
    const encoder = chatChunkEncoder(meta);
    const chunks = [...encoder.delta('def'), ...encoder.delta(' add'), ...encoder.finish(view)] as Record<string, any>[];
    expect(chunks.map((c) => c.choices[0].delta)).toEqual([{ role: 'assistant', content: '' }, { content: 'def' }, { content: ' add' }, {}]);
    expect(chunks.map((c) => c.model)).toEqual(['auto', 'auto', 'auto', 'oa-coder']);
    expect(chunks.map((c) => c.choices[0].finish_reason)).toEqual([null, null, null, 'length']);
    expect(chunks.every((c) => c.id === 'req-1' && c.object === 'chat.completion.chunk' && c.created === 1700000000 && !('usage' in c))).toBe(true);
  });

  it('still opens with the role when the answer is empty, and ends with a usage chunk when asked', () => {
    const chunks = chatChunkEncoder({ ...meta, includeUsage: true }).finish(view) as Record<string, any>[];
    expect(chunks).toHaveLength(3);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.slice(0, 2).map((c) => c.usage)).toEqual([null, null]);
    expect(chunks[2]).toEqual({ id: 'req-1', object: 'chat.completion.chunk', created: 1700000000, model: 'oa-coder', choices: [], usage });
  });
});

describe('textChunkEncoder', () => {
  it('sends text deltas, then the finish reason and the usage when asked', () => {
    const encoder = textChunkEncoder({ id: 'req-1', created: 1, model: 'stories260k', includeUsage: true });
    const chunks = [...encoder.delta('Once'), ...encoder.finish(view)] as Record<string, any>[];
    expect(chunks.map((c) => c.choices[0]?.text)).toEqual(['Once', '', undefined]);
    expect(chunks.map((c) => c.object)).toEqual(['text_completion', 'text_completion', 'text_completion']);
    expect(chunks[1].choices[0].finish_reason).toBe('length');
    expect(chunks[2].usage).toEqual(usage);
  });
});

describe('toBase64Floats', () => {
  it('encodes little-endian float32, as OpenAI does', () => {
    const encoded = toBase64Floats([1, -0.5, 0.1]);
    const bytes = Buffer.from(encoded, 'base64');
    expect(bytes).toHaveLength(12);
    expect([0, 1, 2].map((i) => bytes.readFloatLE(i * 4))).toEqual([1, -0.5, Math.fround(0.1)]);
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x00, 0x00, 0x80, 0x3f]));
  });
});

describe('toEmbeddingList', () => {
  const embeddings = { embeddings: [[0.5, 0.25]], model: { id: 'oa-embedder', provider: 'openai' }, usage: { total_tokens: 3, estimated_cost: 3e-7 } };

  it('lists floats by default, base64 when asked, with OpenAI usage plus our cost', () => {
    expect(toEmbeddingList(embeddings)).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.5, 0.25] }],
      model: 'oa-embedder',
      usage: { prompt_tokens: 3, total_tokens: 3, estimated_cost: 3e-7 },
    });
    expect(toEmbeddingList(embeddings, 'base64').data[0].embedding).toBe(toBase64Floats([0.5, 0.25]));
  });
});

describe('toModelList', () => {
  const model = (id: string, available: boolean): ModelView => ({
    id,
    provider: 'openai',
    capabilities: ['chat'],
    properties: { context_length: 1, token_limit: 1, pricing: { input: 0, output: 0 } },
    metadata: { version: null, description: null, available, circuit: { state: 'closed', consecutive_failures: 0 } },
  });

  it('offers "auto" first, then only the models that can be called now', () => {
    expect(toModelList([model('ready', true), model('no-key', false)]).data).toEqual([
      { id: 'auto', object: 'model', created: 0, owned_by: 'model-orchestration' },
      { id: 'ready', object: 'model', created: 0, owned_by: 'openai' },
    ]);
  });
});

describe('formatUsd', () => {
  it('writes a plain decimal, never exponent notation', () => {
    expect(formatUsd(3e-7)).toBe('0.0000003');
    expect(formatUsd(0.000064)).toBe('0.000064');
    expect(formatUsd(0)).toBe('0');
    expect(formatUsd(12.5)).toBe('12.5');
  });
});
