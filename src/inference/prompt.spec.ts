import { ValidationFailed } from '../common/errors/domain-error';
import { assertPromptSize, messagesWithContext, promptWithContext, renderContext } from './prompt';

describe('context rendering', () => {
  it('renders each item as a tagged block with its metadata as attributes', () => {
    expect(renderContext([{ type: 'code', content: 'x = 1', metadata: { filename: 'a.py', lines: 1 } }])).toBe(
      '<context type="code" filename="a.py" lines="1">\nx = 1\n</context>',
    );
  });

  it('escapes attribute values so metadata cannot break the tag', () => {
    expect(renderContext([{ type: 'text', content: 'c', metadata: { note: 'say "hi"\n<b>' } }])).toBe(
      '<context type="text" note="say &quot;hi&quot;&#10;&lt;b>">\nc\n</context>',
    );
  });

  it('puts context before a completion prompt, and leaves a prompt without context alone', () => {
    expect(promptWithContext('Q?', [{ type: 'text', content: 'fact' }])).toBe('<context type="text">\nfact\n</context>\n\nQ?');
    expect(promptWithContext('Q?')).toBe('Q?');
  });

  it('opens the system message with context, adding one when there is none', () => {
    const context = [{ type: 'text', content: 'fact' }];
    expect(messagesWithContext([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Q?' }], context)).toEqual([
      { role: 'system', content: '<context type="text">\nfact\n</context>\n\nBe brief.' },
      { role: 'user', content: 'Q?' },
    ]);
    expect(messagesWithContext([{ role: 'user', content: 'Q?' }], context)).toEqual([
      { role: 'system', content: '<context type="text">\nfact\n</context>' },
      { role: 'user', content: 'Q?' },
    ]);
  });
});

describe('prompt size limit', () => {
  it('accepts a prompt of exactly the limit', () => {
    expect(() => assertPromptSize('prompt', 'x'.repeat(100), 100)).not.toThrow();
  });

  it('refuses a longer one with a validation error naming the field and the limit', () => {
    const refusal = (field: 'prompt' | 'messages') => {
      try {
        assertPromptSize(field, 'x'.repeat(101), 100);
      } catch (error) {
        return error;
      }
      return null;
    };
    expect(refusal('prompt')).toBeInstanceOf(ValidationFailed);
    expect(refusal('prompt')).toMatchObject({
      details: { fields: { prompt: ['prompt must be at most 100 characters, context items included (got 101)'] } },
    });
    expect(refusal('messages')).toMatchObject({
      details: { fields: { messages: ['messages must be at most 100 characters, context items included (got 101)'] } },
    });
  });
});
