import { createServer, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { nodeHttpFetch } from './node-http-fetch';

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
});
