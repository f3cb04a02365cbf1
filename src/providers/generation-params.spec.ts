import { answerParamProblem, ignoredHints } from './generation-params';

describe('ignoredHints', () => {
  const all = {
    seed: 1,
    presencePenalty: 0.1,
    frequencyPenalty: 0.1,
    logitBias: { '1': 1 },
    user: 'u',
    reasoningEffort: 'low' as const,
    serviceTier: 'auto' as const,
    parallelToolCalls: true,
  };

  it('names, sorted, the hints the endpoint does not take', () => {
    expect(ignoredHints('openai_chat', all, true)).toEqual([]);
    expect(ignoredHints('openai_completions', all, false)).toEqual(['parallel_tool_calls', 'reasoning_effort', 'service_tier']);
    expect(ignoredHints('anthropic', all, false)).toEqual([
      'frequency_penalty',
      'logit_bias',
      'parallel_tool_calls',
      'presence_penalty',
      'reasoning_effort',
      'seed',
      'service_tier',
    ]);
    expect(ignoredHints('ollama', all, false)).toEqual(['logit_bias', 'parallel_tool_calls', 'reasoning_effort', 'service_tier', 'user']);
    expect(ignoredHints('local', all, false)).toEqual(ignoredHints('ollama', all, false));
  });

  it('names parallel_tool_calls as ignored when the request has no tools, even where it would be passed', () => {
    expect(ignoredHints('openai_chat', { parallelToolCalls: false }, false)).toEqual(['parallel_tool_calls']);
    expect(ignoredHints('openai_chat', { parallelToolCalls: false }, true)).toEqual([]);
  });

  it('names only hints the request carries', () => {
    expect(ignoredHints('anthropic', { logitBias: { '1': 1 }, user: 'u', stop: ['x'], topP: 0.5 }, false)).toEqual(['logit_bias']);
    expect(ignoredHints('ollama', {}, false)).toEqual([]);
  });
});

describe('answerParamProblem', () => {
  it('lets every provider but Anthropic honour temperature, top_p and stop', () => {
    for (const kind of ['openai', 'ollama', 'local'] as const) {
      expect(answerParamProblem(kind, { temperature: 2, top_p: 0.1, stop: [' '] })).toBeNull();
    }
  });

  it('names the parameter Anthropic cannot honour', () => {
    expect(answerParamProblem('anthropic', { temperature: 0.5 })?.param).toBe('temperature');
    expect(answerParamProblem('anthropic', { top_p: 0.5 })?.param).toBe('top_p');
    expect(answerParamProblem('anthropic', { stop: ['END', ' \n'] })?.param).toBe('stop');
    expect(answerParamProblem('anthropic', { stop: ['END'] })).toBeNull();
  });

  it('lets only OpenAI-protocol models give several choices', () => {
    expect(answerParamProblem('openai', { n: 3 })).toBeNull();
    for (const kind of ['anthropic', 'ollama', 'local'] as const) expect(answerParamProblem(kind, { n: 3 })?.param).toBe('n');
  });

  it('asks for image bytes from Ollama and local models: a 400 the caller must fix, not a 422', () => {
    const url = 'messages[0].content[1].image_url.url';
    for (const kind of ['ollama', 'local'] as const) expect(answerParamProblem(kind, { remote_image: url })).toMatchObject({ param: url, badRequest: true });
    for (const kind of ['openai', 'anthropic'] as const) expect(answerParamProblem(kind, { remote_image: url })).toBeNull();
  });
});
