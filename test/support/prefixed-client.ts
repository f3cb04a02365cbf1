import { ClientRedis } from '@nestjs/microservices';

/**
 * A Nest Redis client for a deployment with REDIS_CHANNEL_PREFIX set: it sends `model.register`
 * on `<prefix>model.register` and reads the reply on `<prefix>model.register.reply`, as the
 * service's transport expects. With an empty prefix it is Nest's client, unchanged. (docs/api.md
 * shows the same few lines for callers.)
 */
export class ChannelPrefixedRedisClient extends ClientRedis {
  constructor(
    options: ConstructorParameters<typeof ClientRedis>[0],
    private readonly prefix: string,
  ) {
    super(options);
  }

  override getRequestPattern(pattern: string): string {
    return `${this.prefix}${pattern}`;
  }

  override getReplyPattern(pattern: string): string {
    return `${this.prefix}${pattern}.reply`;
  }
}
