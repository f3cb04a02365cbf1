import { ServerRedis } from '@nestjs/microservices';
import { AppConfig } from '../config/app-config';

/** A pub/sub channel of this deployment: `name` (the SPEC's, or our own) behind REDIS_CHANNEL_PREFIX. */
export function channelName(config: Pick<AppConfig, 'redisChannelPrefix'>, name: string): string {
  return `${config.redisChannelPrefix}${name}`;
}

/**
 * Nest's Redis transport with every command channel behind a prefix: `model.register` is taken on
 * `<prefix>model.register` and answered on `<prefix>model.register.reply`, so deployments sharing a
 * Redis never answer each other's commands. Handlers keep the SPEC's names. With an empty prefix it
 * is Nest's transport, unchanged. A caller sets the same prefix on its client (docs/api.md).
 */
export class ChannelPrefixedRedisServer extends ServerRedis {
  constructor(
    options: ConstructorParameters<typeof ServerRedis>[0],
    private readonly prefix: string,
  ) {
    super(options);
  }

  override getRequestPattern(pattern: string): string {
    return `${this.prefix}${pattern}`;
  }

  /** A message arrives on the prefixed channel; its handler is registered under the plain name (the reply goes to `<channel>.reply`). */
  override getHandlerByPattern(channel: string): ReturnType<ServerRedis['getHandlerByPattern']> {
    return super.getHandlerByPattern(channel.startsWith(this.prefix) ? channel.slice(this.prefix.length) : channel);
  }
}
