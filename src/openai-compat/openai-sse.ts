import type { Response } from 'express';
import { SseStream } from '../common/http/sse';

/** OpenAI's Server-Sent Events: `data: <json>` frames and a final `data: [DONE]`. */
export class OpenAiEventStream {
  private readonly stream: SseStream;

  constructor(response: Response) {
    this.stream = new SseStream(response);
  }

  get isStarted(): boolean {
    return this.stream.isStarted;
  }

  send(...payloads: object[]): void {
    for (const payload of payloads) this.stream.data(JSON.stringify(payload));
  }

  /** Ends a stream that completed. */
  done(): void {
    this.stream.data('[DONE]');
    this.stream.end();
  }

  /** Ends a stream that failed after it started: OpenAI sends the error body as the last frame. */
  fail(body: object): void {
    this.send(body);
    this.stream.end();
  }
}
