/**
 * Ends generated text at the first stop sequence, for runtimes that have no stop parameter of
 * their own (local models). Text that might be the start of a stop sequence is held back until
 * the next delta settles it, so a caller never receives any part of a stop sequence.
 */
export class StopMatcher {
  private held = '';
  private stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Takes a delta in; returns the text that can be sent now. Once a stop sequence is seen, nothing more. */
  add(delta: string): string {
    if (this.stopped) return '';
    const text = this.held + delta;
    const at = this.firstStop(text);
    if (at !== null) {
      this.stopped = true;
      this.held = '';
      return text.slice(0, at);
    }
    const keep = this.partialStopLength(text);
    this.held = text.slice(text.length - keep);
    return text.slice(0, text.length - keep);
  }

  /** The text held back when generation ended without completing a stop sequence. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  private firstStop(text: string): number | null {
    let first: number | null = null;
    for (const stop of this.stops) {
      const at = text.indexOf(stop);
      if (at !== -1 && (first === null || at < first)) first = at;
    }
    return first;
  }

  /** The longest end of the text that is the beginning of some stop sequence. */
  private partialStopLength(text: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, text.length); length > longest; length--) {
        if (text.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
