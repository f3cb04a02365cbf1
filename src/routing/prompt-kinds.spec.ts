import { promptFeatures } from './prompt-features';
import { addTo, assign, countWords, emptyKind, hintOf, Kind, merge } from './prompt-kinds';

const rules = { maxKinds: 3, newKindBelow: 0.55 };

function learn(kinds: Kind[], text: string): number {
  const vector = promptFeatures(text);
  const { kindId } = assign(kinds, vector, rules);
  const kind = kindId === null ? kinds[kinds.push(emptyKind(kinds.length)) - 1] : kinds.find((k) => k.id === kindId)!;
  addTo(kind, vector, text.toLowerCase().match(/\p{L}{3,}/gu) ?? []);
  return kind.id;
}

describe('prompt kinds', () => {
  it('starts a kind for a prompt unlike every kind, and puts similar prompts together', () => {
    const kinds: Kind[] = [];
    const code = learn(kinds, 'Write a Python function that parses a CSV file. Include type hints and a short docstring.');
    const poem = learn(kinds, 'Compose a sonnet from the point of view of a fox, set in a drowned city, ending on a tender note.');
    expect(poem).not.toBe(code);
    expect(learn(kinds, 'Write a Go function that merges two sorted arrays. Include type hints and a short docstring.')).toBe(code);
    expect(learn(kinds, 'Compose a haiku sequence from the point of view of a robot, set in a night train, ending on an eerie note.')).toBe(poem);
    expect(kinds.map((k) => k.count)).toEqual([2, 2]);
  });

  it('never learns more than maxKinds: past it a prompt joins the nearest kind', () => {
    const kinds: Kind[] = [];
    for (const text of ['alpha beta gamma', 'SELECT * FROM orders', '12 + 7 = ?', 'once upon a time']) learn(kinds, text);
    expect(kinds).toHaveLength(3);
    expect(kinds.reduce((n, k) => n + k.count, 0)).toBe(4);
  });

  it('hints with the words that set a kind apart, not those every kind uses', () => {
    const kinds = [emptyKind(0), emptyKind(1)];
    countWords(kinds[0].words, ['the', 'query', 'index', 'table']);
    countWords(kinds[0].words, ['the', 'query', 'index']);
    countWords(kinds[1].words, ['the', 'poem', 'sonnet']);
    countWords(kinds[1].words, ['the', 'poem']);
    expect(hintOf(kinds[0], kinds).slice(0, 2)).toEqual(['index', 'query']);
    expect(hintOf(kinds[1], kinds)[0]).toBe('poem');
  });

  it('keeps a bounded word sketch however many distinct words arrive', () => {
    const sketch = new Map<string, number>();
    for (let i = 0; i < 1000; i += 1) countWords(sketch, [`word${i}`, 'frequent']);
    expect(sketch.size).toBeLessThanOrEqual(48);
    expect(sketch.get('frequent')).toBe(1000);
  });

  it('merges a delta into a kind: sums, counts and words add up', () => {
    const stored = emptyKind(4);
    const delta = emptyKind(4);
    addTo(stored, promptFeatures('one'), ['one']);
    addTo(delta, promptFeatures('two'), ['two', 'one']);
    merge(stored, delta);
    expect(stored.count).toBe(2);
    expect(stored.words).toEqual(new Map([['one', 2], ['two', 1]]));
  });
});
