import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { OnDemandJobs } from './on-demand-jobs.service';
import { QueueErrorsService } from './queue-errors.service';
import { queuePrefix } from './queue-prefix';

/** BullMQ on the configured Redis, under REDIS_KEY_PREFIX, for every queue the service registers. */
@Global()
@Module({
  imports: [
    DiscoveryModule,
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ connection: { ...config.redis }, prefix: queuePrefix(config) }),
    }),
  ],
  providers: [QueueErrorsService, OnDemandJobs],
  exports: [QueueErrorsService, OnDemandJobs],
})
export class QueueModule {}
