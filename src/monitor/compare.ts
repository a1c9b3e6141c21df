/**
 * Comparing runs, or versions of a registered model, side by side (pure functions, unit-tested): human
 * run names, the comparison table's rows with bars scaled across them and the best value marked, and the
 * Vega-Lite chart of a metric against a parameter (or one bar each), in the theme's colours.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IRun } from '../api';
import { IChartTheme } from '../components/theme';
import { differs, formatValue, IParameterised, parameterNames, runTime } from '../runs/labels';
import { bestValue, betterIsLower } from './metrics';
import { runMetrics } from './table';

type Spec = Record<string, unknown>;

/** What comparing needs of a run or a model version: an id, when it was made, its parameters and metrics. */
export interface IComparable extends IParameterised {
  id: string;
  created_at: string;
  metrics: Record<string, number | null>;
}

/** What is compared: runs, or versions of a registered model (the words the table and the chart use). */
export type ComparedKind = 'run' | 'version';

/** Each run's number within its experiment, counting from its oldest run (1, 2, ...). */
export function runNumbers(runs: IRun[]): Map<string, number> {
  const numbers = new Map<string, number>();
  const counts = new Map<string, number>();
  const oldestFirst = [...runs].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  for (const run of oldestFirst) {
    const count = (counts.get(run.experiment) ?? 0) + 1;
    counts.set(run.experiment, count);
    numbers.set(run.id, count);
  }
  return numbers;
}

/** Names runs as the monitor does, "run 3" (numbered among `runs`); a run not among them by its id's start. */
export function runNamer(runs: IRun[], trans: TranslationBundle): (id: string) => string {
  const numbers = runNumbers(runs);
  return id => trans.__('run %1', numbers.get(id) ?? id.slice(0, 8));
}

/** A run's (or version's) name with the time it was made, e.g. "run 3 · 14:02". */
export function runLabel(name: string, run: { created_at: string }): string {
  return `${name} · ${runTime(run.created_at)}`;
}

/** Parameters every run set to a number, differing between them: what a metric can be plotted against. */
export function numericParameters(runs: IParameterised[]): string[] {
  return parameterNames(runs).filter(
    name => runs.every(run => typeof run.parameters?.[name] === 'number') && differs(runs, name)
  );
}

/** A bar's length from 0 to 1: the value's size against the largest size among the values. */
export function barFraction(value: number, values: number[]): number {
  const largest = Math.max(0, ...values.filter(Number.isFinite).map(Math.abs));
  return largest > 0 && Number.isFinite(value) ? Math.abs(value) / largest : 0;
}

/** One metric of one run in the comparison. */
export interface IMetricCell {
  value: number | null;
  /** Bar length, 0 to 1, across the compared runs. */
  fraction: number;
  /** The best value among the compared runs (ties are all best). */
  best: boolean;
}

/** One run (or version) in the comparison table. */
export interface IComparisonRow<T extends IComparable = IComparable> {
  item: T;
  metrics: Record<string, IMetricCell>;
  parameters: Record<string, string>;
}

/** The comparison table: a row per run, its metrics scaled across the runs, its parameters as text. */
export function comparisonRows<T extends IComparable>(
  runs: T[],
  metrics: string[],
  parameters: string[]
): IComparisonRow<T>[] {
  const columns = Object.fromEntries(
    metrics.map(name => {
      const values = runs.map(run => runMetrics(run)[name]).filter((v): v is number => v !== undefined);
      return [name, { values, best: bestValue(name, values) }];
    })
  );
  return runs.map(run => ({
    item: run,
    metrics: Object.fromEntries(
      metrics.map(name => {
        const value = runMetrics(run)[name];
        const { values, best } = columns[name];
        return [
          name,
          value === undefined
            ? { value: null, fraction: 0, best: false }
            : { value, fraction: barFraction(value, values), best: value === best && runs.length > 1 }
        ];
      })
    ),
    parameters: Object.fromEntries(parameters.map(name => [name, formatValue(run.parameters?.[name])]))
  }));
}

/** What the compare chart shows. */
export interface ICompareChartOptions {
  metric: string;
  /** A numeric parameter on the x axis; null: one bar per run. */
  parameter: string | null;
  /** Each run's name, e.g. "run 3 · 14:02". */
  labels: Map<string, string>;
  theme: IChartTheme;
  trans: TranslationBundle;
  /** The chart's width in pixels, axes included (default: its container's width when drawn). */
  width?: number;
  /** What the chart compares (default: runs). */
  kind?: ComparedKind;
}

/**
 * A Vega-Lite chart of one metric of the runs (or versions): against a numeric parameter (a point
 * each), or one horizontal bar each with its name beside it. Values are written on the chart, the
 * best is drawn strongest, and the width follows the panel.
 */
export function compareChartSpec(runs: IComparable[], options: ICompareChartOptions): Spec {
  const { metric, parameter, labels, theme, trans, width = 'container', kind = 'run' } = options;
  const shown = runs.filter(run => metric in runMetrics(run));
  const best = bestValue(
    metric,
    shown.map(run => runMetrics(run)[metric])
  );
  const values = shown.map(run => ({
    run: labels.get(run.id) ?? run.id,
    value: runMetrics(run)[metric],
    x: parameter === null ? null : run.parameters?.[parameter],
    best: runMetrics(run)[metric] === best && shown.length > 1,
    parameters: Object.entries(run.parameters ?? {})
      .map(([name, value]) => `${name}=${formatValue(value)}`)
      .join(', ')
  }));
  const direction = betterIsLower(metric) ? trans.__('lower is better') : trans.__('higher is better');
  const tooltip = [
    { field: 'run', title: kind === 'run' ? trans.__('run') : trans.__('version') },
    { field: 'value', title: metric, format: '.4~g' },
    { field: 'parameters', title: trans.__('parameters') }
  ];
  const emphasis = { condition: { test: 'datum.best', value: 1 }, value: 0.55 };
  const common = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width,
    autosize: { type: 'fit', contains: 'padding' },
    config: theme.config,
    data: { values }
  };
  const text = theme.colors.text ? { color: theme.colors.text } : {};
  const mark = theme.colors.ok ? { color: theme.colors.ok } : {};
  if (parameter !== null) {
    const x = { field: 'x', type: 'quantitative', title: parameter, scale: { zero: false, padding: 18 } };
    const y = { field: 'value', type: 'quantitative', title: metric, scale: { zero: false, padding: 18 } };
    return {
      ...common,
      description:
        kind === 'run'
          ? trans.__('%1 (%2) of %3 runs against parameter %4.', metric, direction, shown.length, parameter)
          : trans.__('%1 (%2) of %3 versions against parameter %4.', metric, direction, shown.length, parameter),
      height: 170,
      encoding: { x, y },
      layer: [
        {
          mark: { type: 'point', filled: true, size: 70, ...mark },
          encoding: { opacity: emphasis, tooltip }
        },
        {
          mark: { type: 'text', dy: -10, fontSize: 11, ...text },
          encoding: { text: { field: 'value', format: '.3~g' } }
        }
      ]
    };
  }
  const largest = Math.max(0, ...values.map(v => v.value));
  return {
    ...common,
    description:
      kind === 'run'
        ? trans.__('%1 (%2) of %3 runs, one bar per run.', metric, direction, shown.length)
        : trans.__('%1 (%2) of %3 versions, one bar per version.', metric, direction, shown.length),
    height: { step: 24 },
    encoding: {
      y: { field: 'run', type: 'nominal', sort: null, title: null, axis: { labelLimit: 110 } },
      x: {
        field: 'value',
        type: 'quantitative',
        title: metric,
        // Room at the right of the longest bar for its value.
        scale: largest > 0 ? { domainMax: largest * 1.3 } : {},
        axis: { tickCount: 4 }
      }
    },
    layer: [
      { mark: { type: 'bar', ...mark }, encoding: { opacity: emphasis, tooltip } },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, ...text },
        encoding: { text: { field: 'value', format: '.3~g' } }
      }
    ]
  };
}
