/** A run as a person reads it ("run of 14:02, epochs=5, accuracy 0.93"), never a hex id. */
import { TranslationBundle } from '@jupyterlab/translation';

import type { IRankedRuns, IRun } from '../api';
import { formatValue, IParameterised, runTime, varyingParameters } from '../runs/labels';

/** What a label needs of a run: when it started and its parameters. */
export interface ILabelledRun extends IParameterised {
  created_at: string;
}

/** A metric's value to label a run with. */
export interface IMetricValue {
  name: string;
  value: number;
}

/** The run's value of `metric` (a finite number), else null. */
export function metricOf(run: { metrics: Record<string, number | null> }, metric: string | null): IMetricValue | null {
  const value = metric === null ? null : run.metrics[metric];
  return typeof value === 'number' && Number.isFinite(value) ? { name: metric!, value } : null;
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
    ...parameters.filter(name => name in run.parameters).map(name => `${name}=${formatValue(run.parameters[name])}`),
    ...(metric ? [`${metric.name} ${formatValue(metric.value)}`] : [])
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
