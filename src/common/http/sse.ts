import type { Response } from 'express';

/**
 * Server-Sent Events on an Express response, flushed as written. Headers go out with the first
 * frame, so a request that fails before producing anything still answers with its own status.
 */
export class SseStream {
  private started = false;

  constructor(private readonly response: Response) {}

  get isStarted(): boolean {
    return this.started;
  }

  /** A named event with JSON data: `event: <name>` / `data: <json>`. */
  send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** An unnamed frame: `data: <text>`. */
  data(text: string): void {
    this.write(`data: ${text}\n\n`);
  }

  end(): void {
    this.response.end();
  }

  private write(frame: string): void {
    if (!this.started) this.start();
    // A client that went away cancels the request; what is left to send goes nowhere.
    if (!this.response.writableEnded && !this.response.destroyed) this.response.write(frame);
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
