import { ValidationFailed } from '../common/errors/domain-error';
import { OpenAiChatRequestDto } from './dto/openai-request.dto';
import { parseModel, parseRoutingHeaders, toChatRequest, toCompletionRequest, toEmbeddingsRequest } from './openai-request.mapper';

function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationFailed) return Object.keys(error.details.fields as object);
    throw error;
  }
  throw new Error('expected a ValidationFailed');
}

describe('parseModel', () => {
  it('leaves the choice to the router for "auto"', () => {
    expect(parseModel('auto')).toEqual({});
  });

  it('takes the task type from "auto:<task_type>"', () => {
    expect(parseModel('auto:code_generation')).toEqual({ taskType: 'code_generation' });
  });

  it('names a model for anything else, including ids that contain a colon', () => {
    expect(parseModel('llama3.1:8b')).toEqual({ modelId: 'llama3.1:8b' });
  });

  it('refuses a task type that is not a lower-case identifier', () => {
    expect(fieldsOf(() => parseModel('auto:Code Gen'))).toEqual(['model']);
    expect(fieldsOf(() => parseModel('auto:'))).toEqual(['model']);
  });
});

describe('parseRoutingHeaders', () => {
  it('reads every routing header (Node lowercases header names)', () => {
    expect(
      parseRoutingHeaders({
        'x-task-type': 'reasoning',
        'x-min-quality': '0.7',
        'x-reliability': '1',
        'x-creativity': '0',
        'x-fallback': 'FALSE',
      }),
    ).toEqual({ taskType: 'reasoning', minQuality: 0.7, reliability: 1, creativity: 0, fallback: false });
  });

  it('gives nothing when no routing header is sent', () => {
    expect(parseRoutingHeaders({ authorization: 'Bearer x' })).toEqual({});
  });

  it('names every malformed header in one error', () => {
    expect(
      fieldsOf(() => parseRoutingHeaders({ 'x-task-type': 'Code', 'x-min-quality': '1.5', 'x-creativity': '', 'x-fallback': 'maybe' })).sort(),
    ).toEqual(['X-Creativity', 'X-Fallback', 'X-Min-Quality', 'X-Task-Type']);
  });
});

describe('toChatRequest', () => {
  const chat = (patch: Partial<OpenAiChatRequestDto> = {}): OpenAiChatRequestDto => ({
    model: 'auto',
    messages: [{ role: 'user', content: 'hi' }],
    ...patch,
  });

  it('maps roles: developer becomes system; content stays as sent', () => {
    const request = toChatRequest(
      chat({
        messages: [
          { role: 'developer', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'first' }, { type: 'text', text: 'second' }] },
          { role: 'assistant', content: 'ok' },
        ],
      }),
      {},
      'auto',
    );
    expect(request.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'first' }, { type: 'text', text: 'second' }] },
      { role: 'assistant', content: 'ok' },
    ]);
  });

  it('sends only what the caller gave: no model, task type, requirements or metadata for a bare "auto"', () => {
    expect(toChatRequest(chat(), {}, 'auto')).toEqual({ messages: [{ role: 'user', content: 'hi' }] });
  });

  it('names the model, prefers max_completion_tokens and records user and metadata ids', () => {
    const request = toChatRequest(
      chat({ model: 'gpt-4o', max_tokens: 10, max_completion_tokens: 20, temperature: 0.3, user: 'u1', metadata: { project_id: 'p1', task_id: 't1' } }),
      {},
      'gpt-4o',
    );
    expect(request).toMatchObject({ model_id: 'gpt-4o', max_tokens: 20, temperature: 0.3, metadata: { user_id: 'u1', project_id: 'p1', task_id: 't1' } });
  });

  it('turns routing headers into task type, requirements and fallback', () => {
    const request = toChatRequest(chat({ model: 'oa-coder' }), { taskType: 'code_generation', minQuality: 0.6, reliability: 0.9, fallback: false }, 'oa-coder');
    expect(request).toMatchObject({
      model_id: 'oa-coder',
      task_type: 'code_generation',
      requirements: { min_quality_score: 0.6, reliability: 0.9 },
      fallback: false,
    });
    expect(request.requirements).not.toHaveProperty('creativity');
  });

  it('accepts the same task type from "auto:<task_type>" and X-Task-Type, and refuses two different ones', () => {
    expect(toChatRequest(chat({ model: 'auto:reasoning' }), { taskType: 'reasoning' }, 'auto:reasoning').task_type).toBe('reasoning');
    expect(fieldsOf(() => toChatRequest(chat({ model: 'auto:reasoning' }), { taskType: 'creative' }, 'auto:reasoning'))).toEqual(['model']);
  });

  it('routes by the model it is given (the alias target), not the name in the body', () => {
    expect(toChatRequest(chat({ model: 'gpt-4o' }), {}, 'auto:code')).toEqual({ task_type: 'code', messages: [{ role: 'user', content: 'hi' }] });
    expect(toChatRequest(chat({ model: 'gpt-4o' }), {}, 'oa-coder').model_id).toBe('oa-coder');
  });
});

describe('toCompletionRequest', () => {
  it('takes the prompt from a string or an array of one string', () => {
    expect(toCompletionRequest({ model: 'auto', prompt: ['Once'] }, {}, 'auto')).toEqual({ prompt: 'Once' });
    expect(toCompletionRequest({ model: 'stories260k', prompt: 'Once', max_tokens: 8, user: 'u' }, {}, 'stories260k')).toEqual({
      prompt: 'Once',
      model_id: 'stories260k',
      max_tokens: 8,
      metadata: { user_id: 'u' },
      user: 'u',
    });
  });

  it('keeps stop, top_p and the hints, leaving out the ones sent as null', () => {
    const body = { model: 'auto', prompt: 'Once', stop: 'END', top_p: 0.5, seed: 3, logit_bias: { '1': 2 }, service_tier: null };
    expect(toCompletionRequest(body as unknown as Parameters<typeof toCompletionRequest>[0], {}, 'auto')).toEqual({
      prompt: 'Once',
      stop: 'END',
      top_p: 0.5,
      seed: 3,
      logit_bias: { '1': 2 },
    });
  });
});

describe('toEmbeddingsRequest', () => {
  it('takes one text or many; "auto" names no model', () => {
    expect(toEmbeddingsRequest({ model: 'auto', input: 'alpha' }, 'auto')).toEqual({ texts: ['alpha'] });
    expect(toEmbeddingsRequest({ model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 4, encoding_format: 'base64' }, 'oa-embedder')).toEqual({
      texts: ['a', 'b'],
      model_id: 'oa-embedder',
      dimensions: 4,
    });
  });
});
