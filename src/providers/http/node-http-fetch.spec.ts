import { createServer, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_STREAM_EVENT_BYTES, nodeHttpFetch } from './node-http-fetch';

/**
 * A provider that drops kept-alive connections the way a load balancer's idle timeout does: the
 * connection is gone by the time it is reused, so a request sent on it is reset before anyone reads it.
 */
async function serverResettingReusedSockets(): Promise<{ url: string; received: () => number; server: Server }> {
  const served = new WeakSet<Socket>();
  let received = 0;
  const server = createServer((req, res) => {
    if (served.has(req.socket)) return req.socket.destroy();
    served.add(req.socket);
    received++;
    res.end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat`, received: () => received, server };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('nodeHttpFetch', () => {
  it('sends a request again on a new connection when its kept-alive socket was closed by the provider', async () => {
    const provider = await serverResettingReusedSockets();
    try {
      for (let i = 0; i < 3; i++) {
        const response = await nodeHttpFetch(provider.url, { method: 'POST', body: '{}' });
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ ok: true });
      }
      expect(provider.received()).toBe(3);
    } finally {
      await close(provider.server);
    }
  });

  it('reports a reset on a new connection as a failed fetch, without retrying', async () => {
    let attempts = 0;
    const server = createServer((req) => {
      attempts++;
      req.socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      await expect(nodeHttpFetch(url, { method: 'POST', body: '{}' })).rejects.toThrow(new TypeError('fetch failed'));
      expect(attempts).toBe(1);
    } finally {
      await close(server);
    }
  });

  describe('event streams', () => {
    /** An SSE server writing `writes` one at a time, so that each can arrive as a chunk of its own. */
    async function eventServer(writes: string[]): Promise<{ url: string; server: Server }> {
      const server = createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        void (async () => {
          for (const write of writes) {
            if (res.destroyed) return;
            res.write(write);
            await sleep(5);
          }
          res.end();
        })();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
    }

    const event = (bytes: number) => `data: ${'x'.repeat(bytes - 8)}`;

    it('passes events that together are far larger than one event may be, their blank lines split across chunks or not', async () => {
      const big = event(MAX_STREAM_EVENT_BYTES * 0.9);
      const writes = [big, '\n', '\n', big, '\n\n', big, '\r\n', '\r\n', big, '\n\n' + big + '\n\n'];
      const { url, server } = await eventServer(writes);
      try {
        const text = await (await nodeHttpFetch(url)).text();
        expect(text).toBe(writes.join(''));
      } finally {
        await close(server);
      }
    });

    it('cuts off an event longer than MAX_STREAM_EVENT_BYTES with a retryable invalid_output', async () => {
      const half = event(MAX_STREAM_EVENT_BYTES / 2);
      // Single newlines do not end an event.
      const { url, server } = await eventServer([half, '\n', half, '\n', half, '\n\n']);
      try {
        const response = await nodeHttpFetch(url);
        await expect(response.text()).rejects.toMatchObject({ code: 'invalid_output', retryable: true, message: expect.stringMatching(/cut off/) });
      } finally {
        await close(server);
      }
    });
  });
});
