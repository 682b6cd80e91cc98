/** Order statistics for benchmark samples. */

/** A median with the range it came from, over repeated runs or batches. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Number of values. */
  n: number;
}

/** Returns the q-quantile (0..1) of `values` by the nearest-rank method; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Returns the median of `values`: the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Returns the median, minimum and maximum of `values`. */
export function spread(values: readonly number[]): Spread {
  return {
    median: median(values),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    n: values.length,
  };
}

/** Rounds to `digits` decimal places, for JSON output that is easy to read. */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Rounds every number of a spread. */
export function roundSpread(value: Spread, digits = 2): Spread {
  return { median: round(value.median, digits), min: round(value.min, digits), max: round(value.max, digits), n: value.n };
}
