import { Injectable } from '@nestjs/common';
import { Registry } from 'prom-client';
import { StateMetricsService } from './state-metrics.service';

export interface Exposition {
  contentType: string;
  body: string;
}

/** One scrape: state gauges read from their sources, then every metric of this instance in Prometheus text format. */
@Injectable()
export class ExpositionService {
  constructor(
    private readonly registry: Registry,
    private readonly state: StateMetricsService,
  ) {}

  async render(): Promise<Exposition> {
    await this.state.refresh();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
