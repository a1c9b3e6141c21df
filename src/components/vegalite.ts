/**
 * The pieces every Vega-Lite spec of the monitor shares (drift, performance): the frame in the theme's colours,
 * colour scales over known values, a time axis format, and the reference-against-current comparison's colour
 * and share axis. Pure functions (unit-tested through the charts that use them).
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IChartTheme } from './theme';

export type Spec = Record<string, unknown>;

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** The MIME types a chart is rendered as (JupyterLab's Vega renderer). */
export const VEGA_LITE = ['application/vnd.vegalite.v5+json'];

/** A colour scale over known values, with the theme's colours when it sets them all. */
export function scale(domain: string[], range: (string | undefined)[]): Spec {
  return range.every(Boolean) ? { domain, range } : { domain };
}

/** A chart as wide as its container, `height` high (or a step per row), in the theme's colours. */
export function base(description: string, theme: IChartTheme, height: number | { step: number }): Spec {
  return {
    $schema: SCHEMA,
    description,
    width: 'container',
    height,
    autosize: { type: 'fit', contains: 'padding' },
    config: theme.config
  };
}

/** A time axis format as fine as the span of `times` needs (seconds only over a few minutes). */
export function timeFormat(times: string[]): string {
  const epochs = times.map(t => Date.parse(t)).filter(Number.isFinite);
  const span = epochs.length ? Math.max(...epochs) - Math.min(...epochs) : 0;
  return span < 5 * 60_000 ? '%H:%M:%S' : span < 2 * 86_400_000 ? '%H:%M' : '%b %d %H:%M';
}

/** A time x axis over `times`, with few enough labels for the sidebar. */
export function timeAxis(field: string, times: string[], title: string): Spec {
  return {
    field,
    type: 'temporal',
    title,
    axis: { format: timeFormat(times), tickCount: 4, labelFlush: true, labelOverlap: true }
  };
}

/**
 * A labelled horizontal rule at `field` of its one datum (a threshold, a baseline), dashed or not, its label at
 * the right end (or the left, so that two rules close together keep their labels apart).
 */
export function labelledRule(
  datum: Spec,
  y: Spec,
  color: string | undefined,
  dash: number[] | null,
  side: 'left' | 'right' = 'right'
): Spec {
  const colour = color ? { color } : {};
  return {
    data: { values: [datum] },
    layer: [
      { mark: { type: 'rule', ...(dash ? { strokeDash: dash } : {}), ...colour }, encoding: { y } },
      {
        mark: { type: 'text', align: side, dy: -6, ...colour },
        encoding: { y, x: { value: side === 'right' ? 'width' : 0 }, text: { field: 'label' } }
      }
    ]
  };
}

/** The colour of the two sides of a comparison (reference, current), with its legend under the chart. */
export function sourceColor(reference: string, current: string, theme: IChartTheme): Spec {
  return {
    field: 'source',
    type: 'nominal',
    title: null,
    scale: scale([reference, current], [theme.colors.reference, theme.colors.current]),
    legend: { orient: 'bottom' }
  };
}

/** A y axis of shares (`fraction`, 0 to 1) shown as percentages, unstacked so both sides stand side by side. */
export function shareAxis(trans: TranslationBundle): Spec {
  return {
    field: 'fraction',
    type: 'quantitative',
    stack: null,
    axis: { format: '%' },
    title: trans.__('share of rows')
  };
}
