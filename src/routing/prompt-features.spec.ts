import { dot, FEATURE_DIM, hintWords, MAX_FEATURE_CHARS, promptFeatures } from './prompt-features';

describe('promptFeatures', () => {
  it('gives a unit vector of the fixed size, the same for the same text', () => {
    const a = promptFeatures('Write a Python function that merges two sorted lists.');
    expect(a).toHaveLength(FEATURE_DIM);
    expect(dot(a, a)).toBeCloseTo(1, 5);
    expect(Array.from(promptFeatures('Write a Python function that merges two sorted lists.'))).toEqual(Array.from(a));
  });

  it('finds prompts of the same kind nearer to each other than to other kinds', () => {
    const code1 = promptFeatures('Write a Go function that parses a CSV file. Include a docstring.');
    const code2 = promptFeatures('Write a Rust function that retries an HTTP request. Include a docstring.');
    const poem = promptFeatures('Compose a sonnet about a lighthouse keeper on a night train, ending on a hopeful note.');
    expect(dot(code1, code2)).toBeGreaterThan(dot(code1, poem) + 0.2);
  });

  it('reads only the first MAX_FEATURE_CHARS characters', () => {
    const head = 'x'.repeat(MAX_FEATURE_CHARS - 10) + ' select from where';
    // The length marker sees the whole text; everything else only the head.
    const [a, b] = [promptFeatures(`${head} tail one`), promptFeatures(`${head} tail two words`)];
    expect(dot(a, b)).toBeGreaterThan(0.99);
  });

  it('gives an empty text its shape alone: a unit vector still', () => {
    const empty = promptFeatures('');
    expect(dot(empty, empty)).toBeCloseTo(1, 5);
  });

  it('takes words of three letters or more for hints', () => {
    expect(hintWords('Fix my SQL: an index on x')).toEqual(['fix', 'sql', 'index']);
  });
});
