/** Sorting and filtering of the runs list (pure functions, unit-tested). */
import { IRun } from '../api';

export type SortKey = 'created_at' | 'status' | 'duration' | 'pipeline' | `metric:${string}`;

/** Every numeric metric of a run (or of a model version: anything with metrics). */
export function runMetrics(run: { metrics?: Record<string, number | null> }): Record<string, number> {
  return Object.fromEntries(
    Object.entries(run.metrics ?? {}).filter((entry): entry is [string, number] => typeof entry[1] === 'number')
  );
}

/** Names of the metrics any of the runs (or versions) logged, sorted. */
export function metricNames(runs: { metrics?: Record<string, number | null> }[]): string[] {
  return [...new Set(runs.flatMap(run => Object.keys(runMetrics(run))))].sort();
}

function sortValue(run: IRun, key: SortKey): string | number {
  if (key.startsWith('metric:')) {
    return runMetrics(run)[key.slice(7)] ?? Number.NEGATIVE_INFINITY;
  }
  const value = run[key as keyof IRun];
  return typeof value === 'number' || typeof value === 'string' ? value : '';
}

/** Runs matching the experiment and the text filter, sorted. */
export function visibleRuns(
  runs: IRun[],
  options: {
    experiment: string;
    filter: string;
    sort: SortKey;
    descending: boolean;
    /** Runs' names (e.g. "run 3 · 14:02"), matched by the filter too. */
    labels?: Map<string, string>;
  }
): IRun[] {
  const needle = options.filter.trim().toLowerCase();
  const shown = runs.filter(run => {
    if (options.experiment && run.experiment !== options.experiment) {
      return false;
    }
    if (!needle) {
      return true;
    }
    const haystack = [
      options.labels?.get(run.id),
      run.id,
      run.status,
      run.pipeline,
      run.notebook_path,
      run.target,
      JSON.stringify(run.parameters)
    ]
      .join(' ')
      .toLowerCase();
    return haystack.includes(needle);
  });
  const direction = options.descending ? -1 : 1;
  return shown.sort((a, b) => {
    const x = sortValue(a, options.sort);
    const y = sortValue(b, options.sort);
    return x < y ? -direction : x > y ? direction : 0;
  });
}

/** Seconds as a short human duration. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || seconds === undefined) {
    return '–';
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}
