import { AppConfig } from '../config/app-config';

/** The prefix of the queues' keys (and of the streams their events are read from): one deployment's own, see REDIS_CHANNEL_PREFIX. */
export function queuePrefix(config: Pick<AppConfig, 'redisChannelPrefix' | 'redisKeyPrefix'>): string {
  return `${config.redisChannelPrefix}${config.redisKeyPrefix}`;
}
