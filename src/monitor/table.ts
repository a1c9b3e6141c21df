/** Sorting, filtering and chart data for the runs table (pure functions, unit-tested). */
import { IRun } from '../api';

export type SortKey = 'created_at' | 'status' | 'duration' | 'pipeline' | `metric:${string}`;

/** Every numeric metric of a run. */
export function runMetrics(run: IRun): Record<string, number> {
  return Object.fromEntries(
    Object.entries(run.metrics ?? {}).filter((entry): entry is [string, number] => typeof entry[1] === 'number')
  );
}

/** Names of the metrics any of the runs logged, sorted. */
export function metricNames(runs: IRun[]): string[] {
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
  options: { experiment: string; filter: string; sort: SortKey; descending: boolean }
): IRun[] {
  const needle = options.filter.trim().toLowerCase();
  const shown = runs.filter(run => {
    if (options.experiment && run.experiment !== options.experiment) {
      return false;
    }
    if (!needle) {
      return true;
    }
    const haystack = [run.id, run.status, run.pipeline, run.target, JSON.stringify(run.parameters)]
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

/** A Vega-Lite bar chart of one metric across runs. */
export function compareSpec(runs: IRun[], metric: string): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description: `${metric} by run`,
    width: 'container',
    height: 140,
    autosize: { type: 'fit', contains: 'padding' },
    data: {
      values: runs
        .filter(run => metric in runMetrics(run))
        .map(run => ({ run: run.id, value: runMetrics(run)[metric], params: JSON.stringify(run.parameters) }))
    },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'run', type: 'nominal', title: 'run', sort: null },
      y: { field: 'value', type: 'quantitative', title: metric },
      tooltip: [
        { field: 'run', title: 'run' },
        { field: 'value', title: metric, format: '.4g' },
        { field: 'params', title: 'parameters' }
      ]
    }
  };
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
