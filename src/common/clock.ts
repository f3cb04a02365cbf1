import { Global, Injectable, Module } from '@nestjs/common';

/** Time behind an injectable, so rules that depend on it can be tested at any instant. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }

  /** Monotonic milliseconds, for durations. */
  monotonicMs(): number {
    return performance.now();
  }
}

@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
