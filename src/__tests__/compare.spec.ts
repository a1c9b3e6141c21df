/** Comparing runs: names, which way a metric is better, the table's bars and best values, the chart's spec. */
import { IRun } from '../api';
import { chartTheme } from '../components/theme';
import {
  barFraction,
  compareChartSpec,
  comparisonRows,
  numericParameters,
  runLabel,
  runNumbers
} from '../monitor/compare';
import { bestValue, betterIsLower } from '../monitor/metrics';
import { runTime } from '../runs/labels';
import { trans } from './drift-fixtures';
import { runRecord } from './run-fixtures';

function run(id: string, created: string, parameters: Record<string, unknown>, metrics: Record<string, number>): IRun {
  return runRecord(id, { parameters, metrics, created_at: `2026-01-01T${created}:00Z` });
}

const a = run('aaa111', '10:00', { epochs: 2, lr: 0.1 }, { accuracy: 0.75, loss: 0.5 });
const b = run('bbb222', '11:00', { epochs: 8, lr: 0.1 }, { accuracy: 0.9375, loss: 0.125 });
const c = run('ccc333', '12:00', { epochs: 'many', lr: 0.1 }, { accuracy: 0.5 });
const labels = new Map([
  [a.id, 'run 1 · 10:00'],
  [b.id, 'run 2 · 11:00']
]);
const dark = chartTheme(name => ({ '--jp-brand-color1': '#2196f3', '--jp-ui-font-color1': '#eeeeee' })[name] ?? '');

describe('metric direction', () => {
  it('is lower-is-better for losses and errors, higher for anything else', () => {
    for (const name of ['loss', 'val_loss', 'test-mse', 'MAE', 'rmse', 'error_rate', 'logloss']) {
      expect(betterIsLower(name)).toBe(true);
    }
    for (const name of ['accuracy', 'f1', 'auc', 'r2']) {
      expect(betterIsLower(name)).toBe(false);
    }
  });

  it('picks the best value by that direction', () => {
    expect(bestValue('loss', [0.5, 0.125, 0.3])).toBe(0.125);
    expect(bestValue('accuracy', [0.5, 0.9, 0.3])).toBe(0.9);
    expect(bestValue('accuracy', [])).toBeUndefined();
  });
});

describe('run names and values', () => {
  it('numbers runs within their experiment from the oldest', () => {
    const other = { ...run('ddd444', '09:00', {}, {}), experiment: 'other' };
    const numbers = runNumbers([c, b, other, a]);
    expect([numbers.get(a.id), numbers.get(b.id), numbers.get(c.id), numbers.get(other.id)]).toEqual([1, 2, 3, 1]);
  });

  it('names a run with the time it started', () => {
    expect(runLabel('run 1', a)).toBe(`run 1 · ${runTime(a.created_at)}`);
  });

  it('names the parameters a metric can be plotted against', () => {
    expect(numericParameters([a, b])).toEqual(['epochs']);
    expect(numericParameters([a, b, c])).toEqual([]);
  });
});

describe('comparison table', () => {
  it('scales bars by the largest value among the compared runs', () => {
    expect(barFraction(0.5, [0.5, 0.125])).toBe(1);
    expect(barFraction(0.125, [0.5, 0.125])).toBe(0.25);
    expect(barFraction(-1, [-2, 1])).toBe(0.5);
    expect(barFraction(0, [0, 0])).toBe(0);
  });

  it('has a row per run with each metric scaled, the best marked, and the parameters', () => {
    const rows = comparisonRows([a, b, c], ['accuracy', 'loss'], ['epochs']);
    expect(rows.map(row => row.item.id)).toEqual([a.id, b.id, c.id]);
    expect(rows[1].metrics.accuracy).toEqual({ value: 0.9375, fraction: 1, best: true });
    expect(rows[0].metrics.accuracy).toEqual({ value: 0.75, fraction: 0.8, best: false });
    expect(rows[1].metrics.loss).toEqual({ value: 0.125, fraction: 0.25, best: true });
    expect(rows[0].metrics.loss.best).toBe(false);
    expect(rows[2].metrics.loss).toEqual({ value: null, fraction: 0, best: false });
    expect(rows.map(row => row.parameters.epochs)).toEqual(['2', '8', 'many']);
  });

  it('marks no best value when only one run is compared', () => {
    expect(comparisonRows([a], ['loss'], [])[0].metrics.loss.best).toBe(false);
  });
});

describe('compare chart', () => {
  it('plots a metric against a numeric parameter, with titles, values and the theme', () => {
    const spec = compareChartSpec([a, b], { metric: 'loss', parameter: 'epochs', labels, theme: dark, trans }) as any;
    expect(spec.width).toBe('container');
    expect(spec.config.background).toBe('transparent');
    expect(spec.encoding.x).toMatchObject({ field: 'x', type: 'quantitative', title: 'epochs' });
    expect(spec.encoding.y).toMatchObject({ field: 'value', title: 'loss' });
    expect(spec.data.values).toEqual([
      expect.objectContaining({ run: 'run 1 · 10:00', x: 2, value: 0.5, best: false }),
      expect.objectContaining({ run: 'run 2 · 11:00', x: 8, value: 0.125, best: true })
    ]);
    const [points, text] = spec.layer;
    expect(points.mark.color).toBe('#2196f3');
    expect(text.mark).toMatchObject({ type: 'text', color: '#eeeeee' });
    expect(text.encoding.text.field).toBe('value');
    expect(spec.description).toContain('lower is better');
  });

  it('takes the width it is given (the panel width)', () => {
    const sized = compareChartSpec([a, b], { metric: 'loss', parameter: null, labels, theme: dark, trans, width: 180 });
    expect((sized as any).width).toBe(180);
  });

  it('draws a horizontal bar per run, named, when there is no parameter', () => {
    const spec = compareChartSpec([a, b, c], {
      metric: 'accuracy',
      parameter: null,
      labels,
      theme: dark,
      trans
    }) as any;
    expect(spec.encoding.y).toMatchObject({ field: 'run', type: 'nominal' });
    expect(spec.encoding.x).toMatchObject({ field: 'value', title: 'accuracy' });
    // A run without a name in `labels` falls back to its id; none is drawn without the metric.
    expect(spec.data.values.map((v: { run: string }) => v.run)).toEqual(['run 1 · 10:00', 'run 2 · 11:00', c.id]);
    expect(spec.layer.map((l: { mark: { type: string } }) => l.mark.type)).toEqual(['bar', 'text']);
    const lossOnly = compareChartSpec([a, c], { metric: 'loss', parameter: null, labels, theme: dark, trans }) as any;
    expect(lossOnly.data.values).toHaveLength(1);
  });
});
