import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** Names of the service's BullMQ queues and of the jobs on them. */
export const QueueName = { Performance: 'performance', Inference: 'inference', Retention: 'retention' } as const;
export const JobName = { RollUp: 'roll-up', Infer: 'infer', Prune: 'prune' } as const;

/** BullMQ on the configured Redis, under REDIS_KEY_PREFIX, for every queue the service registers. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ connection: { ...config.redis }, prefix: config.redisKeyPrefix }),
    }),
  ],
})
export class QueueModule {}
