/**
 * Anthropic's streaming grammar, as its docs lay it out, checked frame by frame:
 *
 *   message_start, then content blocks (content_block_start, content_block_delta*, content_block_stop,
 *   indexes 0, 1, 2... in order, each delta of its block's kind), then one message_delta and
 *   message_stop last; `ping` may come anywhere after message_start. Every frame's `event:` name is
 *   its data's `type`.
 */

export interface Frame {
  event: string;
  data: { type: string } & Record<string, any>;
}

/** The frames of a `text/event-stream` body. */
export function parseFrames(body: string): Frame[] {
  return body
    .split('\n\n')
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const lines = chunk.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice('event: '.length) ?? '';
      const data = lines.find((line) => line.startsWith('data: '))?.slice('data: '.length) ?? '{}';
      return { event, data: JSON.parse(data) as Frame['data'] };
    });
}

const DELTA_FOR_BLOCK: Record<string, string[]> = {
  text: ['text_delta', 'citations_delta'],
  tool_use: ['input_json_delta'],
  thinking: ['thinking_delta', 'signature_delta'],
};

/** The grammar's violations, in order; none for a well-formed stream. */
export function grammarProblems(frames: Frame[]): string[] {
  const problems: string[] = [];
  let state: 'start' | 'blocks' | 'in_block' | 'delta' | 'stopped' = 'start';
  let nextIndex = 0;
  let blockType = '';
  frames.forEach((frame, i) => {
    const at = `frame ${i} (${frame.event})`;
    if (frame.event !== frame.data.type) problems.push(`${at}: event name and data.type differ (${frame.data.type})`);
    if (frame.event === 'ping') {
      if (state === 'start') problems.push(`${at}: ping before message_start`);
      return;
    }
    switch (frame.event) {
      case 'message_start':
        if (state !== 'start') problems.push(`${at}: message_start not first`);
        if (frame.data.message?.type !== 'message' || frame.data.message?.role !== 'assistant') problems.push(`${at}: not an assistant message`);
        state = 'blocks';
        break;
      case 'content_block_start':
        if (state !== 'blocks') problems.push(`${at}: a block starts while another is open or after message_delta`);
        if (frame.data.index !== nextIndex) problems.push(`${at}: index ${frame.data.index}, expected ${nextIndex}`);
        blockType = frame.data.content_block?.type;
        if (!(blockType in DELTA_FOR_BLOCK)) problems.push(`${at}: unknown block type ${blockType}`);
        state = 'in_block';
        break;
      case 'content_block_delta':
        if (state !== 'in_block') problems.push(`${at}: delta outside a block`);
        if (frame.data.index !== nextIndex) problems.push(`${at}: delta for index ${frame.data.index} in block ${nextIndex}`);
        if (!DELTA_FOR_BLOCK[blockType]?.includes(frame.data.delta?.type)) problems.push(`${at}: ${frame.data.delta?.type} in a ${blockType} block`);
        break;
      case 'content_block_stop':
        if (state !== 'in_block') problems.push(`${at}: stop outside a block`);
        if (frame.data.index !== nextIndex) problems.push(`${at}: stop for index ${frame.data.index} in block ${nextIndex}`);
        nextIndex += 1;
        state = 'blocks';
        break;
      case 'message_delta':
        if (state !== 'blocks') problems.push(`${at}: message_delta with a block open, twice, or before message_start`);
        if (typeof frame.data.usage?.output_tokens !== 'number') problems.push(`${at}: no usage.output_tokens`);
        state = 'delta';
        break;
      case 'message_stop':
        if (state !== 'delta') problems.push(`${at}: message_stop without message_delta before it`);
        if (i !== frames.length - 1) problems.push(`${at}: frames after message_stop`);
        state = 'stopped';
        break;
      default:
        problems.push(`${at}: unknown event`);
    }
  });
  // Assigned in the callback above, which the compiler does not follow.
  if ((state as string) !== 'stopped') problems.push('the stream does not end with message_stop');
  return problems;
}
