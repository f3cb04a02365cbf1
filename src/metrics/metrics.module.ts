import { Global, Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { EventsModule } from '../events/events.module';
import { ModelsModule } from '../models/models.module';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { ExpositionService } from './exposition.service';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { StateMetricsService } from './state-metrics.service';

/**
 * `GET /metrics`. The registry belongs to the app instance, not to prom-client's global default,
 * so several instances in one process (the e2e tests) each export only their own numbers. Global:
 * the request lifecycle of any feature reports its outcomes through MetricsService.
 */
@Global()
@Module({
  imports: [CircuitBreakerModule, ModelsModule, EventsModule],
  controllers: [MetricsController],
  providers: [
    {
      provide: Registry,
      useFactory: (): Registry => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        return registry;
      },
    },
    MetricsService,
    StateMetricsService,
    ExpositionService,
  ],
  exports: [MetricsService],
})
export class MetricsModule {}
