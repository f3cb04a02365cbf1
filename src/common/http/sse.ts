import type { Response } from 'express';

/** Server-Sent Events on an Express response: `event: <name>` lines with JSON data, flushed as written. */
export class SseStream {
  private started = false;

  constructor(private readonly response: Response) {}

  get isStarted(): boolean {
    return this.started;
  }

  send(event: string, data: unknown): void {
    if (!this.started) this.start();
    this.response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    this.response.end();
  }

  private start(): void {
    this.started = true;
    this.response.status(200);
    this.response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    this.response.setHeader('Cache-Control', 'no-cache, no-transform');
    this.response.setHeader('Connection', 'keep-alive');
    // Tells reverse proxies such as nginx not to buffer the stream.
    this.response.setHeader('X-Accel-Buffering', 'no');
    this.response.flushHeaders();
  }
}
