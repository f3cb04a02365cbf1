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
    expect(ignoredHints('openai_chat', all)).toEqual(['parallel_tool_calls']);
    expect(ignoredHints('openai_completions', all)).toEqual(['parallel_tool_calls', 'reasoning_effort', 'service_tier']);
    expect(ignoredHints('anthropic', all)).toEqual([
      'frequency_penalty',
      'logit_bias',
      'parallel_tool_calls',
      'presence_penalty',
      'reasoning_effort',
      'seed',
      'service_tier',
    ]);
    expect(ignoredHints('ollama', all)).toEqual(['logit_bias', 'parallel_tool_calls', 'reasoning_effort', 'service_tier', 'user']);
    expect(ignoredHints('local', all)).toEqual(ignoredHints('ollama', all));
  });

  it('names only hints the request carries', () => {
    expect(ignoredHints('anthropic', { logitBias: { '1': 1 }, user: 'u', stop: ['x'], topP: 0.5 })).toEqual(['logit_bias']);
    expect(ignoredHints('ollama', {})).toEqual([]);
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
});
