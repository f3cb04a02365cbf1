import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k_base from 'js-tiktoken/ranks/cl100k_base';
import o200k_base from 'js-tiktoken/ranks/o200k_base';
import { BpeCounter } from './bpe-counter';

const ENCODINGS = { cl100k_base, o200k_base };

/** Texts of every kind a prompt holds: prose, markdown, code, numbers, other scripts, emoji, odd whitespace. */
const TEXTS = [
  readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8'),
  readFileSync(join(__dirname, 'bpe-counter.ts'), 'utf8'),
  "It's 3:45pm; we've got 12,345.67 USD left. Don't they'll? I'M SHOUTING!",
  '中文测试，这是一个句子。日本語のテキストです。한국어 문장입니다. Ελληνικά. Русский текст. عربى',
  'emoji 🙂👍🏽 flags 🇫🇷 and combining e\u0301 a\u0300\u0301 and a lone surrogate \ud800 end',
  'tabs\tand\r\nwindows\r\n\r\n   indented\n\n\n  /path/to/file\n/another ;\n/x  \n  ',
  'special tokens read as text: <|endoftext|> <|fim_prefix|> <|endofprompt|>',
  'x'.repeat(300) + ' ' + '!'.repeat(200) + ' ' + ' '.repeat(150) + 'y',
];

describe('BpeCounter', () => {
  for (const [name, file] of Object.entries(ENCODINGS)) {
    describe(name, () => {
      const tiktoken = new Tiktoken(file);
      let counter: BpeCounter;
      beforeAll(async () => {
        counter = await BpeCounter.load(file);
      });

      it("counts exactly what tiktoken's encoder counts, special tokens as plain text", async () => {
        for (const text of TEXTS) {
          expect({ text: text.slice(0, 40), count: await counter.count(text) }).toEqual({ text: text.slice(0, 40), count: tiktoken.encode(text, [], []).length });
        }
      });

      it('stays exact when it cuts a text with spaces into many small windows', async () => {
        const small = await BpeCounter.load(file, { windowChars: 48 });
        const code = 'const total = 1;\nif (total) {\n  run(total);\n}\nreturn [total, "x"];\n'.repeat(4);
        const text = [...TEXTS.slice(2, 5), TEXTS[6], code].join('\n');
        expect(await small.count(text)).toBe(tiktoken.encode(text, [], []).length);
      });

      it('counts a 200,000-character run of one letter (8 letters a token) without its quadratic cost', async () => {
        expect(await counter.count('a'.repeat(200_000))).toBe(25_000);
      });

      it('counts long runs without spaces within a token or so per 2,048-character window of the exact count', async () => {
        const letters = Array.from({ length: 2500 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join('');
        const exact = tiktoken.encode(letters, [], []).length;
        expect(Math.abs((await counter.count(letters)) - exact)).toBeLessThanOrEqual(2);
      });

      it('gives every non-empty text at least one token, and more text never fewer tokens (within a token)', async () => {
        for (const text of [' ', '\n', 'a', '\u0000', '\ud800', '🙂', '中']) expect(await counter.count(text)).toBeGreaterThan(0);
        const text = 'b'.repeat(3000) + ' lorem ipsum '.repeat(50) + '中'.repeat(2500);
        let previous = 0;
        for (let length = 250; length <= text.length; length += 250) {
          const count = await counter.count(text.slice(0, length));
          expect(count).toBeGreaterThanOrEqual(previous - 1);
          previous = count;
        }
      });

      it('lets other callbacks run while it counts a long text', async () => {
        let ranMeanwhile = false;
        const counting = counter.count('z'.repeat(50_000));
        setImmediate(() => (ranMeanwhile = true));
        await counting;
        expect(ranMeanwhile).toBe(true);
      });
    });
  }
});
