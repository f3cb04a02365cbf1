import { MessagesRequestDto } from './dto/messages-request.dto';
import { conversation, nativeRequest, toChatRequest } from './messages-request.mapper';

const body = (fields: Partial<MessagesRequestDto>): MessagesRequestDto => ({ model: 'auto', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...fields });

describe('the Messages API request as a chat request', () => {
  it('puts tool results first, as tool messages in order, and the rest of the turn after them, images of results included', () => {
    const { messages } = conversation(
      body({
        messages: [
          { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'a', name: 'f', input: { x: 1 } }, { type: 'tool_use', id: 'b', name: 'g', input: {} }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Here:' },
              { type: 'tool_result', tool_use_id: 'a', content: [{ type: 'text', text: 'one' }, { type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } }] },
              { type: 'tool_result', tool_use_id: 'b', content: 'boom', is_error: true },
            ],
          },
        ],
      }),
    );

    expect(messages).toEqual([
      { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }, { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'a', content: 'one' },
      { role: 'tool', tool_call_id: 'b', content: 'Error: boom' },
      { role: 'user', content: [{ type: 'text', text: 'Here:' }, { type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] },
    ]);
  });

  it('keeps system blocks with their cache markers, and system turns where they stand; drops thinking blocks', () => {
    const { messages } = conversation(
      body({
        system: [{ type: 'text', text: 'Manual.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 's' }, { type: 'text', text: 'Hello.' }] },
          { role: 'system', content: 'Now be terse.' },
        ],
      }),
    );

    expect(messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Manual.', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'system', content: 'Now be terse.' },
    ]);
  });

  it('maps tools, tool choice and the generation settings', () => {
    const request = toChatRequest(
      body({
        tools: [{ name: 'f', description: 'F', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } }],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
        stop_sequences: ['END'],
        top_k: 7,
        temperature: 0.2,
        metadata: { user_id: 'u-1' },
        output_config: { effort: 'low', format: { type: 'json_schema', schema: { type: 'object' } } },
      }),
      'auto:code',
      {},
    );

    expect(request).toMatchObject({
      task_type: 'code',
      tools: [{ type: 'function', function: { name: 'f', description: 'F', parameters: { type: 'object' } }, cache_control: { type: 'ephemeral' } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      stop: ['END'],
      top_k: 7,
      temperature: 0.2,
      user: 'u-1',
      metadata: { user_id: 'u-1' },
      reasoning_effort: 'low',
      response_format: { type: 'json_schema', json_schema: { name: 'output', schema: { type: 'object' } } },
    });
    expect(toChatRequest(body({ tool_choice: { type: 'tool', name: 'f' }, tools: [{ name: 'f', input_schema: {} }] }), 'auto', {}).tool_choice).toEqual({
      type: 'function',
      function: { name: 'f' },
    });
  });

  it('records a user id longer than 128 characters as its hash', () => {
    const long = 'x'.repeat(200);
    expect(toChatRequest(body({ metadata: { user_id: long } }), 'auto', {}).metadata?.user_id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('forwards the body as it came, with only the anthropic-beta header, and names the fields only Anthropic takes', () => {
    const raw = { model: 'x', max_tokens: 1, messages: [], thinking: { type: 'adaptive' }, context_management: {} };
    expect(nativeRequest(raw, { 'anthropic-beta': 'b1', 'x-api-key': 'secret', authorization: 'Bearer secret' })).toEqual({
      protocol: 'anthropic',
      body: raw,
      headers: { 'anthropic-beta': 'b1' },
      nativeOnly: ['thinking', 'context_management'],
    });
  });
});
