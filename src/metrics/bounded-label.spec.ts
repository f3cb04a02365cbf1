import { BoundedLabel, boundedLabelValue, OVERFLOW_LABEL } from './bounded-label';

describe('boundedLabelValue', () => {
  it('keeps a value while fewer than the limit have been admitted', () => {
    expect(boundedLabelValue(new Set(['a']), 'b', 2)).toBe('b');
  });

  it('keeps a value admitted before, even once the budget is spent', () => {
    expect(boundedLabelValue(new Set(['a', 'b']), 'a', 2)).toBe('a');
  });

  it('counts a new value under "other" once the budget is spent', () => {
    expect(boundedLabelValue(new Set(['a', 'b']), 'c', 2)).toBe(OVERFLOW_LABEL);
  });

  it('admits nothing with a limit of 0', () => {
    expect(boundedLabelValue(new Set(), 'a', 0)).toBe(OVERFLOW_LABEL);
  });
});

describe('BoundedLabel', () => {
  it('names the first N distinct values and folds the rest into "other", stably', () => {
    const label = new BoundedLabel(2);
    const seen = ['code', 'code', 'chat', 'reasoning', 'code', 'chat', 'reasoning', 'creative'].map((v) => label.valueOf(v));
    expect(seen).toEqual(['code', 'code', 'chat', 'other', 'code', 'chat', 'other', 'other']);
  });
});
