/** What a metric's name says about it (shared by every view that ranks runs by a metric). */

/** Name parts of metrics where a smaller value is better (losses and errors). */
const LOWER_IS_BETTER = new Set(['loss', 'error', 'err', 'mse', 'mae', 'rmse', 'mape', 'rmsle', 'perplexity']);

/**
 * Whether a smaller value of the metric is better: names with a part like loss, error, mse, mae or
 * rmse (`val_loss`, `test-mse`, `logloss`, `error_rate`); any other metric is better higher.
 */
export function betterIsLower(name: string): boolean {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .some(part => LOWER_IS_BETTER.has(part) || part.endsWith('loss'));
}

/** The best of some values of a metric (undefined when there are none). */
export function bestValue(name: string, values: number[]): number | undefined {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) {
    return undefined;
  }
  return betterIsLower(name) ? Math.min(...finite) : Math.max(...finite);
}
