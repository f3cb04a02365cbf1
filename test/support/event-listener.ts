import Redis from 'ioredis';
import { waitUntil } from '../../scripts/lib/processes';
import { EventName, EventPayloads } from '../../src/events/event-contracts';

interface Received {
  channel: string;
  envelope: { pattern: string; data: unknown };
}

/**
 * A plain Redis subscriber on the SPEC's event channels, as any consumer would run one; given a
 * REDIS_CHANNEL_PREFIX, on that deployment's channels.
 */
export class EventListener {
  readonly received: Received[] = [];

  private constructor(
    private readonly client: Redis,
    private readonly url: string,
    private readonly channels: string[],
    private readonly prefix: string,
  ) {}

  static async start(url: string, channels: EventName[] = Object.values(EventName), prefix = ''): Promise<EventListener> {
    const client = new Redis(url, { lazyConnect: true });
    client.on('error', () => undefined);
    const listener = new EventListener(client, url, channels.map((channel) => `${prefix}${channel}`), prefix);
    client.on('message', (channel: string, message: string) => {
      listener.received.push({ channel, envelope: JSON.parse(message) as Received['envelope'] });
    });
    await client.connect();
    await client.subscribe(...listener.channels);
    return listener;
  }

  /**
   * Resolves once Redis counts this listener on each of its channels again: after a restart of
   * Redis, ioredis reconnects and resubscribes on its own, and whatever is published before that
   * is not delivered to it (pub/sub keeps nothing).
   */
  async subscribed(timeoutMs = 10_000): Promise<void> {
    const probe = new Redis(this.url, { maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    probe.on('error', () => undefined);
    try {
      await waitUntil(async () => {
        const counts = (await probe.pubsub('NUMSUB', ...this.channels).catch(() => [])) as (string | number)[];
        return counts.length === 2 * this.channels.length && counts.every((value, i) => i % 2 === 0 || Number(value) > 0);
      }, timeoutMs);
    } finally {
      probe.disconnect();
    }
  }

  /** Payloads received on one channel, optionally narrowed by a predicate. */
  events<N extends EventName>(name: N, where: (e: EventPayloads[N]) => boolean = () => true): EventPayloads[N][] {
    return this.received
      .filter((r) => r.channel === `${this.prefix}${name}`)
      .map((r) => r.envelope.data as EventPayloads[N])
      .filter(where);
  }

  async waitFor<N extends EventName>(name: N, where: (e: EventPayloads[N]) => boolean = () => true, timeoutMs = 5000): Promise<EventPayloads[N]> {
    await waitUntil(() => this.events(name, where).length > 0, timeoutMs);
    return this.events(name, where)[0];
  }

  async close(): Promise<void> {
    await this.client.quit();
  }
}
