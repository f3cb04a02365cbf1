import { Module } from '@nestjs/common';
import { CircuitBreaker } from './circuit-breaker';

/**
 * Per-instance circuits of the models: routing opens and consults them, the registry shows their
 * state in model listings, metrics export it.
 */
@Module({ providers: [CircuitBreaker], exports: [CircuitBreaker] })
export class CircuitBreakerModule {}
