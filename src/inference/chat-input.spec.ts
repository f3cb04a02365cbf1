import { ValidationFailed } from '../common/errors/domain-error';
import { firstRemoteImage, hasImages, toChatMessages, toResponseFormat, toToolChoice, toTools } from './chat-input';
import { ChatMessageDto } from './dto/chat-message.dto';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';
const call = (id: string, name = 'f') => ({ id, type: 'function' as const, function: { name, arguments: '{}' } });
const fields = (fn: () => unknown): Record<string, string[]> => {
  try {
    fn();
  } catch (error) {
    return ((error as ValidationFailed).details as { fields: Record<string, string[]> }).fields;
  }
  throw new Error('expected a ValidationFailed');
};

describe('toChatMessages', () => {
  it('keeps text as content, and parts only where they carry images or cache markers', () => {
    const messages = toChatMessages([
      { role: 'system', content: [{ type: 'text', text: 'Manual', cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: PNG, detail: 'low' } }] },
    ] as ChatMessageDto[]);

    expect(messages).toEqual([
      { role: 'system', content: 'Manual', parts: [{ type: 'text', text: 'Manual', cacheControl: { type: 'ephemeral' } }] },
      { role: 'user', content: 'a\nb' },
      { role: 'user', content: 'look', parts: [{ type: 'text', text: 'look' }, { type: 'image', url: PNG, detail: 'low' }] },
    ]);
    expect(hasImages(messages)).toBe(true);
    expect(hasImages(messages.slice(0, 2))).toBe(false);
  });

  it('carries tool calls and the results that answer them', () => {
    const messages = toChatMessages([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: null, tool_calls: [call('c1', 'get_weather')] },
      { role: 'tool', content: '18C', tool_call_id: 'c1' },
    ] as ChatMessageDto[]);

    expect(messages.slice(1)).toEqual([
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{}' }] },
      { role: 'tool', content: '18C', toolCallId: 'c1' },
    ]);
  });

  it('refuses a tool result that answers no earlier call, naming the field', () => {
    const messages = [
      { role: 'tool', content: 'x', tool_call_id: 'c9' },
      { role: 'assistant', content: null, tool_calls: [call('c9')] },
    ] as ChatMessageDto[];
    expect(fields(() => toChatMessages(messages))).toEqual({ 'messages[0].tool_call_id': ['"c9" answers no tool call of an earlier assistant message'] });
  });

  it('finds the first http(s) image, for providers that take bytes only', () => {
    const messages = toChatMessages([
      { role: 'user', content: [{ type: 'image_url', image_url: { url: PNG } }] },
      { role: 'user', content: [{ type: 'text', text: 'and' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
    ] as ChatMessageDto[]);
    expect(firstRemoteImage(messages)).toBe('messages[1].content[1].image_url.url');
    expect(firstRemoteImage(messages.slice(0, 1))).toBeNull();
  });
});

describe('tools, tool choice and response format', () => {
  const tools = toTools([
    { type: 'function', function: { name: 'a', parameters: { type: 'object' } }, cache_control: { type: 'ephemeral' } },
    { type: 'function', function: { name: 'b', description: 'B', strict: true } },
  ]);

  it('takes tools in OpenAI shape', () => {
    expect(tools).toEqual([
      { name: 'a', parameters: { type: 'object' }, cacheControl: { type: 'ephemeral' } },
      { name: 'b', description: 'B', strict: true },
    ]);
    expect(toTools([])).toBeUndefined();
  });

  it('refuses two tools of one name', () => {
    const twice = [{ type: 'function' as const, function: { name: 'a' } }, { type: 'function' as const, function: { name: 'a' } }];
    expect(Object.keys(fields(() => toTools(twice)))).toEqual(['tools[1].function.name']);
  });

  it('takes a tool choice only with tools, and a named one only among them', () => {
    expect(toToolChoice('required', tools)).toBe('required');
    expect(toToolChoice({ type: 'function', function: { name: 'b' } }, tools)).toEqual({ name: 'b' });
    expect(toToolChoice(undefined, undefined)).toBeUndefined();
    expect(Object.keys(fields(() => toToolChoice('auto', undefined)))).toEqual(['tool_choice']);
    expect(Object.keys(fields(() => toToolChoice({ type: 'function', function: { name: 'z' } }, tools)))).toEqual(['tool_choice.function.name']);
  });

  it('maps response formats, text being no format at all', () => {
    expect(toResponseFormat({ type: 'text' })).toBeUndefined();
    expect(toResponseFormat({ type: 'json_object' })).toEqual({ type: 'json_object' });
    expect(toResponseFormat({ type: 'json_schema', json_schema: { name: 'p', strict: true, schema: { type: 'object' } } })).toEqual({
      type: 'json_schema',
      name: 'p',
      schema: { type: 'object' },
      strict: true,
    });
    expect(toResponseFormat({ type: 'json_schema', json_schema: { name: 'any' } })).toEqual({ type: 'json_schema', name: 'any', schema: {} });
  });
});
