/**
 * The object without its undefined fields, so what is recorded, published or listed carries only
 * what was set. A plain loop: `Object.fromEntries(Object.entries(...).filter(...))` cost several
 * times as much, and this runs a few times on every request.
 */
export function definedOnly<T extends object>(value: T): T {
  const defined = {} as T;
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] !== undefined) defined[key] = value[key];
  }
  return defined;
}
