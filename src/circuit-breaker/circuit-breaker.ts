import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

export type CircuitState = 'closed' | 'open' | 'half_open';

/** A model's circuit as `GET /api/models` shows it in `metadata.circuit`. */
export interface CircuitView {
  state: CircuitState;
  consecutive_failures: number;
  /** While open: when the model gets its trial call. */
  open_until?: string;
}

export type Admission = { admitted: true } | { admitted: false; reason: string };

interface Circuit {
  consecutiveFailures: number;
  /** Set once the circuit has opened; past it, the circuit is half-open. */
  openUntil: number | null;
  /** While half-open: the trial call handed out, until when it is waited for. */
  trialUntil: number | null;
}

/**
 * Health of each model as this instance has seen it (per instance, in memory: each instance
 * learns from its own calls, and a restart starts closed). After `breakerThreshold` consecutive
 * retryable failures the circuit opens and routing skips the model for `breakerCooldownMs`; then
 * it is half-open and one request may try it (a trial handed out but never reported, e.g. because
 * an earlier candidate answered, is handed out again after another cool-down). The trial's success
 * closes the circuit; its failure opens it for another cool-down. Any answer from the provider,
 * even a non-retryable error, shows it is reachable and counts as a success here.
 */
@Injectable()
export class CircuitBreaker {
  private readonly circuits = new Map<string, Circuit>();
  private readonly threshold: number;
  private readonly cooldownMs: number;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.threshold = config.routing.breakerThreshold;
    this.cooldownMs = config.routing.breakerCooldownMs;
  }

  view(modelId: string): CircuitView {
    const circuit = this.circuits.get(modelId);
    if (!circuit) return { state: 'closed', consecutive_failures: 0 };
    const state = this.stateOf(circuit);
    return {
      state,
      consecutive_failures: circuit.consecutiveFailures,
      ...(state === 'open' && { open_until: new Date(circuit.openUntil!).toISOString() }),
    };
  }

  /** Whether routing may offer the model now; while half-open, hands out the one trial call. */
  admit(modelId: string): Admission {
    return this.admission(modelId, true);
  }

  /** What `admit` would answer now, without handing out a half-open circuit's trial: for read-only previews. */
  peek(modelId: string): Admission {
    return this.admission(modelId, false);
  }

  private admission(modelId: string, claimTrial: boolean): Admission {
    const circuit = this.circuits.get(modelId);
    if (!circuit) return { admitted: true };
    const now = this.now();
    switch (this.stateOf(circuit)) {
      case 'closed':
        return { admitted: true };
      case 'open':
        return {
          admitted: false,
          reason: `circuit open until ${new Date(circuit.openUntil!).toISOString()} after ${circuit.consecutiveFailures} consecutive failures`,
        };
      case 'half_open':
        if (circuit.trialUntil !== null && now < circuit.trialUntil) return { admitted: false, reason: 'circuit half-open: its trial call is in progress' };
        if (claimTrial) circuit.trialUntil = now + this.cooldownMs;
        return { admitted: true };
    }
  }

  /** The provider answered (including a non-retryable error): the circuit closes. */
  succeeded(modelId: string): void {
    this.circuits.delete(modelId);
  }

  /** A retryable failure (timeout, connection error, 429, 5xx). */
  failed(modelId: string): void {
    const circuit = this.circuits.get(modelId) ?? { consecutiveFailures: 0, openUntil: null, trialUntil: null };
    this.circuits.set(modelId, circuit);
    circuit.consecutiveFailures += 1;
    const state = this.stateOf(circuit);
    if (state === 'half_open' || (state === 'closed' && circuit.consecutiveFailures >= this.threshold)) {
      circuit.openUntil = this.now() + this.cooldownMs;
      circuit.trialUntil = null;
    }
  }

  private stateOf(circuit: Circuit): CircuitState {
    if (circuit.openUntil === null) return 'closed';
    return this.now() < circuit.openUntil ? 'open' : 'half_open';
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
