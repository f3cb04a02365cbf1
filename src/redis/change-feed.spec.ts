import { parseNotice } from './change-feed';

describe('parseNotice', () => {
  it('reads a notice as instances publish it', () => {
    expect(parseNotice(JSON.stringify({ from: 'instance-1', ids: ['gpt-4o', 'local/tiny'] }))).toEqual({ from: 'instance-1', ids: ['gpt-4o', 'local/tiny'] });
  });

  it.each([
    ['text that is not JSON', 'hello'],
    ['a JSON string', '"x"'],
    ['null', 'null'],
    ['an array', '[1, 2]'],
    ['no sender', JSON.stringify({ ids: ['a'] })],
    ['ids that are not a list', JSON.stringify({ from: 'x', ids: 'a' })],
    ['ids that are not strings', JSON.stringify({ from: 'x', ids: [1, {}] })],
    ['more ids than any registry holds', JSON.stringify({ from: 'x', ids: Array.from({ length: 10_001 }, (_, i) => `m${i}`) })],
    ['deeply nested JSON', '['.repeat(5000) + ']'.repeat(5000)],
  ])('ignores %s', (_, message) => {
    expect(parseNotice(message)).toBeNull();
  });
});
