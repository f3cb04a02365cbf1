/** The label value every value past the budget is counted under. */
export const OVERFLOW_LABEL = 'other';

/**
 * The label value to count `value` under, given the values already admitted: itself when it was
 * admitted before or while fewer than `limit` values have been, else `other`. Callers' free text
 * (task types) thus adds at most `limit` series per metric, whatever they send.
 */
export function boundedLabelValue(admitted: ReadonlySet<string>, value: string, limit: number): string {
  if (admitted.has(value) || admitted.size < limit) return value;
  return OVERFLOW_LABEL;
}

/** The first `limit` distinct values seen keep their name; later ones become `other`. */
export class BoundedLabel {
  private readonly admitted = new Set<string>();

  constructor(private readonly limit: number) {}

  valueOf(value: string): string {
    const label = boundedLabelValue(this.admitted, value, this.limit);
    if (label === value) this.admitted.add(value);
    return label;
  }
}
