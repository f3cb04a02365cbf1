import type { Response } from 'express';

/**
 * OpenAI's Server-Sent Events: `data: <json>` frames and a final `data: [DONE]`. Headers go out
 * with the first frame, so a request that fails before producing anything still answers with
 * its own status code (and an SDK can retry it).
 */
export class OpenAiEventStream {
  private started = false;

  constructor(private readonly response: Response) {}

  get isStarted(): boolean {
    return this.started;
  }

  send(...payloads: object[]): void {
    for (const payload of payloads) this.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  /** Ends a stream that completed. */
  done(): void {
    this.write('data: [DONE]\n\n');
    this.response.end();
  }

  /** Ends a stream that failed after it started: OpenAI sends the error body as the last frame. */
  fail(body: object): void {
    this.send(body);
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
    this.response.setHeader('X-Accel-Buffering', 'no');
    this.response.flushHeaders();
  }
}
