/**
 * Vega-Lite specs of the drift charts (pure functions, unit-tested). Colours come from the
 * JupyterLab theme's CSS variables, read when the chart is drawn, so light and dark themes both
 * work; anything the theme does not set is left to Vega-Lite (and to the dark theme JupyterLab's
 * Vega renderer applies under a dark JupyterLab theme).
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { Distribution, IDriftWindow, IFeatureDistribution } from '../api';
import { defined, IChartTheme } from '../components/theme';
import { base, labelledRule, scale, shareAxis, sourceColor, Spec, timeAxis } from '../components/vegalite';

export { timeFormat } from '../components/vegalite';

/** p-values below this are drawn at it (a log axis cannot show 0). */
export const P_FLOOR = 1e-16;
/** The p-value axis ends a decade below the floor. */
const P_AXIS_MIN = 1e-17;

/** Windows the heat strip shows (the newest). */
export const HEAT_WINDOWS = 60;

function windowBounds(window: IDriftWindow): string {
  return window.kind === 'count'
    ? `${window.start}–${window.end}`
    : `${new Date(window.start * 1000).toISOString()} – ${new Date(window.end * 1000).toISOString()}`;
}

/** The windows that reached a decision, with a p-value and a time. */
function tested(windows: IDriftWindow[]): IDriftWindow[] {
  return windows.filter(w => w.status === 'ok' && w.p_value !== null && w.last_at);
}

/** The p-value axis: from a decade below the smallest value shown (so no marker sits on the edge) up to 1. */
export function pValueDomain(ps: number[]): [number, number] {
  const smallest = Math.min(...ps, 0.1);
  return [Math.max(Number(`1e${Math.floor(Math.log10(smallest)) - 1}`), P_AXIS_MIN), 1];
}

/**
 * The overall drift score over time: each window's p-value (log scale) at the time of its last
 * request, drifted windows coloured, a rule at alpha, a marker on windows that raised or
 * continued an alert, and a rule where a new model (e.g. a retrained one) began serving.
 */
export function scoreSpec(
  windows: IDriftWindow[],
  alpha: number,
  theme: IChartTheme,
  trans: TranslationBundle,
  modelSince?: string
): Spec {
  const drift = trans.__('Drift');
  const noDrift = trans.__('No drift');
  const shown = tested(windows);
  const values = shown.map(w => ({
    id: w.id,
    at: w.last_at,
    p: Math.max(w.p_value!, P_FLOOR),
    p_value: w.p_value! < P_FLOOR ? `< ${P_FLOOR}` : w.p_value!.toPrecision(3),
    n: w.n,
    rows: windowBounds(w),
    verdict: w.drift ? drift : noDrift,
    alert: w.alert_id === null ? null : `#${w.alert_id}`
  }));
  const title = trans.__('p-value (log)');
  const x = timeAxis(
    'at',
    values.map(v => v.at!),
    trans.__('time')
  );
  const y = {
    field: 'p',
    type: 'quantitative',
    scale: { type: 'log', domain: pValueDomain([...values.map(v => v.p), alpha]), nice: false },
    title
  };
  const tooltip = [
    { field: 'id', title: trans.__('window') },
    { field: 'at', type: 'temporal', title: trans.__('last request'), format: '%Y-%m-%d %H:%M:%S' },
    { field: 'rows', title: trans.__('bounds') },
    { field: 'n', title: trans.__('rows') },
    { field: 'p_value', title: trans.__('p-value') },
    { field: 'verdict', title: trans.__('verdict') },
    { field: 'alert', title: trans.__('alert') }
  ];
  const alerted = shown.filter(w => w.alert_id !== null);
  const description = trans.__(
    'Drift p-values of %1 windows over time on a log scale, %2 drifted, threshold alpha %3; alert markers on %4 windows.',
    shown.length,
    shown.filter(w => w.drift).length,
    alpha,
    alerted.length
  );
  return {
    ...base(description, theme, 150),
    data: { values },
    layer: [
      labelledRule({ alpha, label: `α = ${alpha}` }, { ...y, field: 'alpha' }, theme.colors.threshold, [4, 3]),
      { mark: defined({ type: 'line', opacity: 0.5, color: theme.colors.text }), encoding: { x, y } },
      {
        mark: { type: 'point', filled: true, size: 45 },
        encoding: {
          x,
          y,
          color: {
            field: 'verdict',
            type: 'nominal',
            title: null,
            scale: scale([drift, noDrift], [theme.colors.drift, theme.colors.ok]),
            legend: { orient: 'bottom' }
          },
          tooltip
        }
      },
      {
        transform: [{ filter: 'datum.alert !== null' }],
        mark: defined({
          type: 'point',
          shape: 'triangle-down',
          size: 160,
          filled: false,
          strokeWidth: 2,
          color: theme.colors.alert
        }),
        encoding: { x, y, tooltip }
      },
      ...(modelSince && shown.length && modelSince > shown[0].last_at! ? [modelRule(modelSince, x, theme, trans)] : [])
    ]
  };
}

/** A dashed vertical rule, labelled, where the model serving now replaced the one before. */
function modelRule(since: string, x: Spec, theme: IChartTheme, trans: TranslationBundle): Spec {
  const encoding = { x: { ...x, field: 'since' } };
  return {
    data: { values: [{ since, label: trans.__('new model') }] },
    layer: [
      { mark: defined({ type: 'rule', strokeDash: [2, 2], color: theme.colors.text }), encoding },
      {
        mark: defined({ type: 'text', align: 'left', baseline: 'top', dx: 3, y: 2, color: theme.colors.text }),
        encoding: { ...encoding, text: { field: 'label' } }
      }
    ]
  };
}

/** Heat strip cell strength: -log10 of the adjusted p-value, capped where P_FLOOR caps it. */
export function heatScore(adjustedP: number): number {
  return -Math.log10(Math.max(adjustedP, P_FLOOR));
}

/** Per feature and window (the newest HEAT_WINDOWS): colour = -log10(adjusted p), drifted cells outlined. */
export function heatSpec(
  windows: IDriftWindow[],
  features: string[],
  theme: IChartTheme,
  trans: TranslationBundle
): Spec {
  const shown = tested(windows).slice(-HEAT_WINDOWS);
  const yes = trans.__('yes');
  const no = trans.__('no');
  const values = shown.flatMap(w =>
    w.features
      .filter(f => f.adjusted_p_value !== null)
      .map(f => ({
        window: w.id,
        at: w.last_at,
        feature: f.name,
        score: heatScore(f.adjusted_p_value!),
        adjusted_p: f.adjusted_p_value,
        effect: f.effect_size,
        test: f.test,
        drifted: f.drift === true,
        drift: f.drift ? yes : no
      }))
  );
  const drifted = values.filter(v => v.drifted).length;
  const description = trans.__(
    'Per-feature drift of %1 features over the last %2 windows: colour is minus log10 of the adjusted p-value; %3 feature windows drifted (outlined).',
    features.length,
    shown.length,
    drifted
  );
  return {
    ...base(description, theme, { step: 12 }),
    data: { values },
    mark: defined({ type: 'rect', stroke: theme.colors.text }),
    encoding: {
      x: {
        field: 'window',
        type: 'ordinal',
        title: trans.__('window'),
        axis: { labelExpr: "'#' + datum.label", labelOverlap: true, labelAngle: 0 }
      },
      y: { field: 'feature', type: 'nominal', sort: features, title: null },
      color: {
        field: 'score',
        type: 'quantitative',
        title: trans.__('−log10 adj. p'),
        scale: { scheme: 'orangered', domainMin: 0 },
        legend: { orient: 'bottom', gradientLength: 120 }
      },
      strokeWidth: { condition: { test: 'datum.drifted', value: 1 }, value: 0 },
      tooltip: [
        { field: 'feature', title: trans.__('feature') },
        { field: 'window', title: trans.__('window') },
        { field: 'at', type: 'temporal', title: trans.__('last request'), format: '%Y-%m-%d %H:%M:%S' },
        { field: 'test', title: trans.__('test') },
        { field: 'adjusted_p', title: trans.__('adjusted p-value'), format: '.3g' },
        { field: 'effect', title: trans.__('effect size'), format: '.3g' },
        { field: 'drift', title: trans.__('drift') }
      ]
    }
  };
}

/** One bar of a distribution, as a share of its rows. */
export interface IShare {
  /** Numeric: the bin's bounds, and its range as text. */
  lo?: number;
  hi?: number;
  range?: string;
  /** Categorical: the category ('other' for those the reference did not list). */
  category?: string;
  fraction: number;
}

const short = (x: number) => Number(x.toPrecision(3)).toString();

/**
 * A histogram's bins or a feature's categories as fractions of all the rows (empty when it has
 * none). Values below or above the reference's range get a bin of their own just outside it.
 */
export function shares(distribution: Distribution, otherLabel: string): IShare[] {
  if ('edges' in distribution) {
    const { edges, counts, below = 0, above = 0 } = distribution;
    const total = counts.reduce((a, b) => a + b, below + above);
    const last = edges.length - 1;
    if (!total || last < 1) {
      return [];
    }
    const bins: IShare[] = counts.map((count, i) => ({
      lo: edges[i],
      hi: edges[i + 1],
      range: `${short(edges[i])} – ${short(edges[i + 1])}`,
      fraction: count / total
    }));
    if (below) {
      bins.unshift({
        lo: 2 * edges[0] - edges[1],
        hi: edges[0],
        range: `< ${short(edges[0])}`,
        fraction: below / total
      });
    }
    if (above) {
      bins.push({
        lo: edges[last],
        hi: 2 * edges[last] - edges[last - 1],
        range: `> ${short(edges[last])}`,
        fraction: above / total
      });
    }
    return bins;
  }
  const entries: [string, number][] = [...Object.entries(distribution.categories), [otherLabel, distribution.other]];
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  return total ? entries.map(([category, count]) => ({ category, fraction: count / total })) : [];
}

/** Reference against the newest window for one feature, as fractions of rows so both compare. */
export function distributionSpec(feature: IFeatureDistribution, theme: IChartTheme, trans: TranslationBundle): Spec {
  const reference = trans.__('reference');
  const current = trans.__('current window');
  const other = trans.__('(other)');
  const values = [
    ...shares(feature.reference, other).map(s => ({ ...s, source: reference })),
    ...(feature.current ? shares(feature.current, other).map(s => ({ ...s, source: current })) : [])
  ];
  const color = sourceColor(reference, current, theme);
  const y = shareAxis(trans);
  const fraction = { field: 'fraction', title: trans.__('share'), format: '.1%' };
  const windowId = feature.current?.window_id;
  const description =
    windowId === null || windowId === undefined
      ? trans.__('Distribution of feature %1 in the reference; no window yet.', feature.name)
      : trans.__('Distribution of feature %1: reference against window %2, as shares of rows.', feature.name, windowId);
  if (feature.kind === 'categorical') {
    const order = values
      .filter(v => v.source === reference)
      .sort((a, b) => b.fraction - a.fraction)
      .map(v => v.category);
    return {
      ...base(description, theme, 140),
      data: { values },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'category', type: 'nominal', sort: order, title: feature.name },
        xOffset: { field: 'source', sort: [reference, current] },
        y,
        color,
        tooltip: [{ field: 'source' }, { field: 'category', title: trans.__('category') }, fraction]
      }
    };
  }
  return {
    ...base(description, theme, 140),
    data: { values },
    mark: { type: 'bar', opacity: 0.6, binSpacing: 0 },
    encoding: {
      x: { field: 'lo', type: 'quantitative', bin: { binned: true }, title: feature.name },
      x2: { field: 'hi' },
      y,
      color,
      tooltip: [{ field: 'source' }, { field: 'range', title: trans.__('values') }, fraction]
    }
  };
}
