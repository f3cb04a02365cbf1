import type { RequestTimer } from '../metrics/request-timer';
import { ChatRequestDto, CompletionRequestDto } from './dto/inference-request.dto';
import { kindTextOf, toJob } from './job';

const timer = {} as RequestTimer;

describe('kindTextOf', () => {
  it('reads what the user asked last in a chat, not the system prompt or earlier turns', () => {
    const dto = Object.assign(new ChatRequestDto(), {
      messages: [
        { role: 'system', content: 'You are a helpful assistant of ACME.' },
        { role: 'user', content: 'Write a poem' },
        { role: 'assistant', content: 'Roses...' },
        { role: 'user', content: 'Now a SQL query over orders' },
      ],
    });
    expect(kindTextOf(toJob({ kind: 'chat', dto }, timer))).toBe('Now a SQL query over orders');
  });

  it('reads a completion’s prompt without its context items', () => {
    const dto = Object.assign(new CompletionRequestDto(), { prompt: 'Summarize this', context: [{ type: 'file', content: 'a long file' }] });
    expect(kindTextOf(toJob({ kind: 'completion', dto }, timer))).toBe('Summarize this');
  });

  it('starts every job without a kind: it is learned when the request is accepted', () => {
    const dto = Object.assign(new CompletionRequestDto(), { prompt: 'hi' });
    expect(toJob({ kind: 'completion', dto }, timer).inferredTask).toBeNull();
  });
});
