import { textWindows } from './text-windows';

describe('textWindows', () => {
  it('leaves a text that fits in one window whole', () => {
    expect([...textWindows('Hello world', 64)]).toEqual(['Hello world']);
    expect([...textWindows('', 64)]).toEqual([]);
  });

  it('cuts before a space that follows a word, so each window starts with its word', () => {
    expect([...textWindows('one two three four', 9)]).toEqual(['one two', ' three', ' four']);
  });

  it('cuts after a newline that precedes text', () => {
    expect([...textWindows('first;\nsecond;\nthird', 12)]).toEqual(['first;\n', 'second;\n', 'third']);
  });

  it('never cuts inside a run of spaces, after a newline before /, or after a newline before spaces', () => {
    const windows = [...textWindows('ab   cd;\n/ef\n  gh', 8)];
    expect(windows.join('')).toBe('ab   cd;\n/ef\n  gh');
    expect(windows).toEqual(['ab', '   cd;\n/', 'ef\n  gh']);
  });

  it('cuts a run without spaces where the limit falls, but not inside a surrogate pair', () => {
    expect([...textWindows('a'.repeat(10), 4)]).toEqual(['aaaa', 'aaaa', 'aa']);
    const emoji = '🙂'.repeat(3); // six UTF-16 units
    expect([...textWindows(emoji, 3)]).toEqual(['🙂', '🙂', '🙂']);
  });

  it('keeps every window within the limit and loses nothing, whatever the text', () => {
    const text = 'The quick brown fox\njumps over\n\n  the lazy dog. ' + 'x'.repeat(300) + ' 中文，测试。\r\n🙂 end';
    for (const limit of [2, 3, 7, 16, 100]) {
      const windows = [...textWindows(text, limit)];
      expect(windows.join('')).toBe(text);
      expect(windows.every((w) => w.length > 0 && w.length <= limit)).toBe(true);
    }
  });
});
