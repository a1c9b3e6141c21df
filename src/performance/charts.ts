/**
 * Vega-Lite specs of the performance charts (pure functions, unit-tested): the metric over windows (realized
 * values on labels as points, the estimate before labels as a line in its band, the validation value and the
 * alert level as rules, concept-drift detections as vertical markers), and the model's outputs in the newest
 * window against the reference period's.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IPerformanceReport, IPerformanceWindow } from '../api';
import { defined, IChartTheme } from '../components/theme';
import { base, labelledRule, scale, shareAxis, sourceColor, Spec, timeAxis } from '../components/vegalite';
import { formatMetric, metricLabel } from './words';

/** A window's point on the time axis: when its last prediction was served. */
interface IPoint {
  window: number;
  at: string;
  value: number;
  labelled: number;
  predictions: number;
}

/** The windows' realized values of `metric` (those with labels), with whether they have enough labels to count. */
export function realizedPoints(report: IPerformanceReport): (IPoint & { counts: boolean })[] {
  return report.windows.flatMap(w => {
    const value = w.realized?.[report.metric];
    return value === null || value === undefined
      ? []
      : [{ ...point(w, value), counts: w.labelled >= report.policy.min_labels }];
  });
}

/** The windows' estimates of `metric` before labels, with their bands. */
export function estimatedPoints(report: IPerformanceReport): (IPoint & { lower: number; upper: number })[] {
  return report.windows.flatMap(w => {
    const estimate = w.estimated?.[report.metric];
    return estimate ? [{ ...point(w, estimate.value), lower: estimate.lower, upper: estimate.upper }] : [];
  });
}

function point(w: IPerformanceWindow, value: number): IPoint {
  return { window: w.idx, at: w.end, value, labelled: w.labelled, predictions: w.predictions };
}

/** The metric axis: every value, band, baseline and alert level shown, with a little room around them. */
export function metricDomain(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) {
    return [0, 1];
  }
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  const pad = Math.max((high - low) * 0.1, Math.abs(high) * 0.02, 0.01);
  return [low - pad, high + pad];
}

/** The metric over windows, or null while no window has a realized or estimated value. */
export function metricSpec(report: IPerformanceReport, theme: IChartTheme, trans: TranslationBundle): Spec | null {
  const realized = realizedPoints(report);
  const estimated = estimatedPoints(report);
  if (!realized.length && !estimated.length) {
    return null;
  }
  const name = metricLabel(report.metric, trans);
  const measured = trans.__('realized');
  const estimate = trans.__('estimated');
  const series = [...(realized.length ? [measured] : []), ...(estimated.length ? [estimate] : [])];
  const colours = [...(realized.length ? [theme.colors.ok] : []), ...(estimated.length ? [theme.colors.estimate] : [])];
  const { baseline, alert_level: level } = report;
  const detections = report.detections.map(d => ({
    at: d.predicted_at,
    kind: d.kind,
    label: d.kind === 'drift' ? trans.__('concept drift') : trans.__('warning'),
    method: d.method.toUpperCase(),
    before: formatMetric(d.error_rate_before),
    after: formatMetric(d.error_rate_after)
  }));
  const times = [...realized, ...estimated].map(p => p.at).concat(detections.map(d => d.at));
  // A little room left and right, so that the first and last points are not cut by the frame.
  const x = { ...timeAxis('at', times, trans.__('time')), scale: { padding: 8 } };
  const domain = metricDomain([
    ...realized.map(p => p.value),
    ...estimated.flatMap(p => [p.lower, p.upper]),
    ...(baseline === null ? [] : [baseline]),
    ...(level === null ? [] : [level])
  ]);
  const y = { field: 'value', type: 'quantitative', title: name, scale: { domain, nice: false, zero: false } };
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: scale(series, colours),
    legend: { orient: 'bottom' }
  };
  const windowTip = [
    { field: 'window', title: trans.__('window') },
    { field: 'at', type: 'temporal', title: trans.__('last prediction'), format: '%Y-%m-%d %H:%M:%S' },
    { field: 'predictions', title: trans.__('predictions') },
    { field: 'labelled', title: trans.__('labels') }
  ];
  const counted = realized.filter(p => p.counts).length;
  const description = trans.__(
    '%1 over %2 windows: %3 realized on labels (%4 with enough labels), %5 estimated before labels; validation %6, alert level %7; %8 concept-drift detections.',
    name,
    report.windows.length,
    realized.length,
    counted,
    estimated.length,
    formatMetric(baseline),
    formatMetric(level),
    detections.length
  );
  return {
    ...base(description, theme, 170),
    layer: [
      ...(level === null
        ? []
        : [
            labelledRule(
              { value: level, label: trans.__('alert %1', formatMetric(level)) },
              y,
              theme.colors.threshold,
              [4, 3]
            )
          ]),
      ...(baseline === null
        ? []
        : [
            labelledRule(
              { value: baseline, label: trans.__('validation %1', formatMetric(baseline)) },
              y,
              theme.colors.text,
              null,
              'left'
            )
          ]),
      {
        data: { values: estimated.map(p => ({ ...p, series: estimate })) },
        layer: [
          {
            mark: defined({ type: 'area', opacity: 0.2, color: theme.colors.estimate }),
            encoding: { x, y: { ...y, field: 'lower' }, y2: { field: 'upper' } }
          },
          {
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y,
              color,
              tooltip: [
                ...windowTip,
                { field: 'value', title: trans.__('estimate'), format: '.3g' },
                { field: 'lower', title: trans.__('lower'), format: '.3g' },
                { field: 'upper', title: trans.__('upper'), format: '.3g' }
              ]
            }
          }
        ]
      },
      {
        data: {
          values: realized.map(p => ({ ...p, series: measured, enough: p.counts ? trans.__('yes') : trans.__('no') }))
        },
        encoding: {
          x,
          y,
          color,
          tooltip: [
            ...windowTip,
            { field: 'value', title: trans.__('realized'), format: '.3g' },
            { field: 'enough', title: trans.__('enough labels') }
          ]
        },
        // Filled: enough labels for the value to count; hollow: too few yet.
        layer: [
          { transform: [{ filter: 'datum.counts' }], mark: { type: 'point', size: 60, filled: true } },
          { transform: [{ filter: '!datum.counts' }], mark: { type: 'point', size: 60, strokeWidth: 2 } }
        ]
      },
      ...(detections.length ? [detectionRules(detections, x, theme, trans)] : [])
    ]
  };
}

/** Vertical markers where the concept-drift detector found a change (dashed: a warning). */
function detectionRules(values: Spec[], x: Spec, theme: IChartTheme, trans: TranslationBundle): Spec {
  const encoding = {
    x,
    strokeDash: { condition: { test: "datum.kind === 'warning'", value: [2, 2] }, value: [1, 0] },
    tooltip: [
      { field: 'label', title: trans.__('detection') },
      { field: 'method', title: trans.__('detector') },
      { field: 'at', type: 'temporal', title: trans.__('at prediction of'), format: '%Y-%m-%d %H:%M:%S' },
      { field: 'before', title: trans.__('error rate before') },
      { field: 'after', title: trans.__('error rate after') }
    ]
  };
  return {
    data: { values },
    layer: [
      { mark: defined({ type: 'rule', strokeWidth: 2, color: theme.colors.alert }), encoding },
      {
        transform: [{ filter: "datum.kind === 'drift'" }],
        mark: defined({ type: 'text', align: 'left', baseline: 'top', dx: 3, y: 2, color: theme.colors.alert }),
        encoding: { x, text: { field: 'label' } }
      }
    ]
  };
}

/** The p-quantile of sorted values, interpolated between neighbours (NumPy's default). */
export function quantile(sorted: number[], p: number): number {
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** The quantiles a window reports of a regressor's outputs. */
export const OUTPUT_QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95];

/** The class names of a classifier's outputs: the policy's, else "class 0", "class 1", … */
export function classNames(report: IPerformanceReport, count: number, trans: TranslationBundle): string[] {
  return Array.from({ length: count }, (_, i) => report.policy.classes?.[i] ?? trans.__('class %1', i));
}

/** The newest window's outputs against the reference period's, or null before the first window. */
export function outputSpec(report: IPerformanceReport, theme: IChartTheme, trans: TranslationBundle): Spec | null {
  const latest = report.windows[report.windows.length - 1];
  const ref = report.reference_outputs;
  if (!latest || !ref) {
    return null;
  }
  const reference = trans.__('reference');
  const current = trans.__('window #%1', latest.idx);
  const color = sourceColor(reference, current, theme);
  const test = latest.outputs.test === 'chi2' ? trans.__('chi-squared') : trans.__('KS');
  const verdict = latest.outputs.drift ? trans.__('changed') : trans.__('no change');
  const p = formatMetric(latest.outputs.p_value);
  if (latest.outputs.counts && ref.counts) {
    const count = Math.max(latest.outputs.counts.length, ref.counts.length);
    const names = classNames(report, count, trans);
    const shares = (counts: number[], source: string) => {
      const total = counts.reduce((a, b) => a + b, 0) || 1;
      return names.map((name, i) => ({ name, source, fraction: (counts[i] ?? 0) / total, count: counts[i] ?? 0 }));
    };
    const description = trans.__(
      'Predicted classes of window %1 against the reference period (window %2), as shares of predictions: %3 test p = %4, %5.',
      latest.idx,
      ref.window ?? 0,
      test,
      p,
      verdict
    );
    return {
      ...base(description, theme, 140),
      data: { values: [...shares(ref.counts, reference), ...shares(latest.outputs.counts, current)] },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'name', type: 'nominal', sort: names, title: trans.__('predicted class'), axis: { labelAngle: 0 } },
        xOffset: { field: 'source', sort: [reference, current] },
        y: { ...shareAxis(trans), title: trans.__('share') },
        color,
        tooltip: [
          { field: 'source' },
          { field: 'name', title: trans.__('class') },
          { field: 'count', title: trans.__('predictions') },
          { field: 'fraction', title: trans.__('share'), format: '.1%' }
        ]
      }
    };
  }
  if (latest.outputs.quantiles && ref.values?.length) {
    const sorted = [...ref.values].sort((a, b) => a - b);
    const box = (q: number[], source: string) => ({
      source,
      q05: q[0],
      q25: q[1],
      median: q[2],
      q75: q[3],
      q95: q[4]
    });
    const values = [
      box(
        OUTPUT_QUANTILES.map(p => quantile(sorted, p)),
        reference
      ),
      box(latest.outputs.quantiles, current)
    ];
    const description = trans.__(
      'Predicted values of window %1 against the reference period (window %2), quantiles 5, 25, 50, 75 and 95: %3 test p = %4, %5.',
      latest.idx,
      ref.window ?? 0,
      test,
      p,
      verdict
    );
    const y = { field: 'source', type: 'nominal', title: null, sort: [reference, current] };
    const x = { field: 'q05', type: 'quantitative', title: trans.__('predicted value'), scale: { zero: false } };
    return {
      ...base(description, theme, { step: 28 }),
      data: { values },
      encoding: {
        y,
        tooltip: [
          { field: 'source' },
          ...['q05', 'q25', 'median', 'q75', 'q95'].map(field => ({ field, format: '.3g' }))
        ]
      },
      layer: [
        { mark: { type: 'rule' }, encoding: { x, x2: { field: 'q95' }, color: { ...color, legend: null } } },
        {
          mark: { type: 'bar', size: 14 },
          encoding: { x: { ...x, field: 'q25' }, x2: { field: 'q75' }, color }
        },
        {
          mark: defined({ type: 'tick', size: 14, thickness: 2, color: theme.colors.text }),
          encoding: { x: { ...x, field: 'median' } }
        }
      ]
    };
  }
  return null;
}
