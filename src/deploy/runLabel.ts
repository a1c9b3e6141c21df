/** A run as a person reads it ("run of 14:02, epochs=5, accuracy 0.93"), never a hex id. */
import { TranslationBundle } from '@jupyterlab/translation';

import type { IRankedRuns, IRun } from '../api';

/** What a label needs of a run: when it started and its parameters. */
export interface ILabelledRun {
  created_at: string;
  parameters: Record<string, unknown>;
}

/** A metric's value to label a run with. */
export interface IMetricValue {
  name: string;
  value: number;
}

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
const pad = (n: number) => String(n).padStart(2, '0');

/** Local time "14:02" of a run started today, else "2024-05-03 14:02". */
export function runTime(iso: string, now: Date = new Date()): string {
  const at = new Date(iso);
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  return at.toDateString() === now.toDateString()
    ? time
    : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`;
}

/** A metric value in four significant digits: 0.93, 0.9313, 1235. */
export function formatMetric(value: number): string {
  return String(Number(value.toPrecision(4)));
}

/** The run's value of `metric` (a finite number), else null. */
export function metricOf(run: { metrics: Record<string, number | null> }, metric: string | null): IMetricValue | null {
  const value = metric === null ? null : run.metrics[metric];
  return typeof value === 'number' && Number.isFinite(value) ? { name: metric!, value } : null;
}

/** The parameters whose values differ among `runs`: what tells them apart (all of them for a single run). */
export function varyingParameters(runs: ILabelledRun[]): string[] {
  const names = [...new Set(runs.flatMap(run => Object.keys(run.parameters)))];
  if (runs.length < 2) {
    return names;
  }
  return names.filter(name => new Set(runs.map(run => JSON.stringify(run.parameters[name]))).size > 1);
}

/** "run of 14:02, epochs=5, accuracy 0.93": its time, the `parameters` named, the metric. */
export function runLabel(
  run: ILabelledRun,
  metric: IMetricValue | null,
  parameters: string[],
  trans: TranslationBundle,
  now?: Date
): string {
  return [
    trans.__('run of %1', runTime(run.created_at, now)),
    ...parameters.filter(name => name in run.parameters).map(name => `${name}=${shown(run.parameters[name])}`),
    ...(metric ? [`${metric.name} ${formatMetric(metric.value)}`] : [])
  ].join(', ');
}

/** The ranking's runs, each labelled as a person reads it (time, the parameters that differ, the metric). */
export function labelRuns(ranking: IRankedRuns, trans: TranslationBundle, now?: Date): Map<string, string> {
  const metric = ranking.metric?.name ?? null;
  const shown = varyingParameters(ranking.runs);
  return new Map(ranking.runs.map(run => [run.id, runLabel(run, metricOf(run, metric), shown, trans, now)]));
}

/** The run one click deploys: the best; `why` says so when the latest run is another, worse one. */
export interface IChosenRun {
  run: IRun;
  label: string;
  why: string;
}

export function chooseRun(ranking: IRankedRuns, trans: TranslationBundle, now?: Date): IChosenRun | null {
  const [best] = ranking.runs;
  if (!best) {
    return null;
  }
  const labels = labelRuns(ranking, trans, now);
  const latest = ranking.latest;
  if (!ranking.metric || latest === null || latest === best.id) {
    return { run: best, label: labels.get(best.id)!, why: '' };
  }
  const { name, higher_is_better } = ranking.metric;
  const count = ranking.runs.length;
  const why = higher_is_better
    ? trans.__('Chosen for the highest %1 of %2 runs; the latest, %3, is worse.', name, count, labels.get(latest))
    : trans.__('Chosen for the lowest %1 of %2 runs; the latest, %3, is worse.', name, count, labels.get(latest));
  return { run: best, label: labels.get(best.id)!, why };
}
