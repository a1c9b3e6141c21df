/** What a metric's name says about it (shared by every view that ranks runs by a metric). */

/**
 * A metric whose name holds one of these is better when lower; any other is better when higher.
 * The same rule as the server's ranking of runs (ai4mlops_lab/runs/ranking.py, LOWER_IS_BETTER).
 */
const LOWER_IS_BETTER = ['loss', 'error', 'mse', 'mae', 'rmse'];

/** Whether a smaller value of the metric is better (`val_loss`, `test-mse`, `error_rate`), not a larger one. */
export function betterIsLower(name: string): boolean {
  const lower = name.toLowerCase();
  return LOWER_IS_BETTER.some(word => lower.includes(word));
}

/** The best of some values of a metric (undefined when there are none). */
export function bestValue(name: string, values: number[]): number | undefined {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) {
    return undefined;
  }
  return betterIsLower(name) ? Math.min(...finite) : Math.max(...finite);
}
