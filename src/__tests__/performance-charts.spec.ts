/** The performance charts' Vega-Lite specs: realized points, estimate band, rules, detections, outputs. */
import { chartTheme } from '../components/theme';
import { estimatedPoints, metricDomain, metricSpec, outputSpec, quantile, realizedPoints } from '../performance/charts';
import { trans } from './drift-fixtures';
import { performancePolicy, performanceReport, performanceWindow } from './performance-fixtures';

type Layer = { data?: { values: any[] }; layer?: Layer[]; mark?: any; encoding?: any; transform?: any[] };

const theme = chartTheme(
  name =>
    ({
      '--jp-brand-color1': '#1976d2',
      '--jp-accent-color1': '#388e3c',
      '--jp-warn-color1': '#f57c00',
      '--jp-error-color0': '#b71c1c',
      '--jp-ui-font-color1': '#212121'
    })[name] ?? ''
);

/** Every layer, depth first, with the data it inherits. */
function layers(spec: Layer, data?: Layer['data']): Layer[] {
  const own = spec.data ?? data;
  return [{ ...spec, data: own }, ...(spec.layer ?? []).flatMap(l => layers(l, own))];
}

const windows = [
  performanceWindow(0, 40, 0.9, null),
  performanceWindow(1, 10, 0.7, 0.86),
  performanceWindow(2, 0, null, 0.84, { alert_id: 3 })
];

describe('the metric over windows', () => {
  it('takes realized values (counting with enough labels) and estimates with their bands', () => {
    const report = performanceReport(windows);
    expect(realizedPoints(report).map(p => [p.window, p.value, p.counts])).toEqual([
      [0, 0.9, true],
      [1, 0.7, false]
    ]);
    expect(estimatedPoints(report).map(p => [p.window, p.value, p.lower, p.upper])).toEqual([
      [1, 0.86, 0.86 - 0.04, 0.86 + 0.04],
      [2, 0.84, 0.84 - 0.04, 0.84 + 0.04]
    ]);
  });

  it('draws points, an estimate line in its band, the validation and alert rules and detections', () => {
    const report = performanceReport(windows, {
      detections: [
        {
          method: 'adwin',
          kind: 'drift',
          predicted_at: '2026-11-25T10:01:10Z',
          error_rate_before: 0.1,
          error_rate_after: 0.3,
          alert_id: 4
        },
        {
          method: 'adwin',
          kind: 'warning',
          predicted_at: '2026-11-25T10:00:50Z',
          error_rate_before: 0.1,
          error_rate_after: 0.2,
          alert_id: null
        }
      ]
    });
    const spec = metricSpec(report, theme, trans)! as Layer & Record<string, any>;
    expect(spec.description).toBe(
      'accuracy over 3 windows: 2 realized on labels (1 with enough labels), 2 estimated before labels; validation 0.93, alert level 0.88; 2 concept-drift detections.'
    );
    const all = layers(spec);
    const rules = all.filter(l => l.mark?.type === 'rule' && l.data?.values[0]?.value !== undefined);
    expect(rules.map(r => [r.data!.values[0].label, r.mark.strokeDash ?? null, r.mark.color])).toEqual([
      ['alert 0.88', [4, 3], '#f57c00'],
      ['validation 0.93', null, '#212121']
    ]);
    // Their labels at either end, so that close values keep them apart.
    const labels = all.filter(l => l.mark?.type === 'text' && l.data?.values[0]?.value !== undefined);
    expect(labels.map(l => [l.mark.align, l.encoding.x.value])).toEqual([
      ['right', 'width'],
      ['left', 0]
    ]);
    const band = all.find(l => l.mark?.type === 'area')!;
    expect(band.encoding.y.field).toBe('lower');
    expect(band.encoding.y2.field).toBe('upper');
    expect(band.data!.values).toHaveLength(2);
    const line = all.find(l => l.mark?.type === 'line')!;
    expect(line.encoding.color.scale).toEqual({
      domain: ['realized', 'estimated'],
      range: ['#1976d2', '#388e3c']
    });
    const points = all.filter(l => l.mark?.type === 'point');
    expect(points.map(p => [p.transform![0].filter, p.mark.filled ?? false])).toEqual([
      ['datum.counts', true],
      ['!datum.counts', false]
    ]);
    const markers = all.find(l => l.mark?.type === 'rule' && l.data?.values[0]?.kind)!;
    expect(markers.data!.values.map((d: any) => [d.kind, d.label, d.method])).toEqual([
      ['drift', 'concept drift', 'ADWIN'],
      ['warning', 'warning', 'ADWIN']
    ]);
    expect(markers.mark.color).toBe('#b71c1c');
    // The y axis holds the bands, the rules and every point.
    const [low, high] = band.encoding.y.scale.domain;
    expect(low).toBeLessThan(0.7);
    expect(high).toBeGreaterThan(0.93);
  });

  it('has no chart before a value, and leaves out the rules it has no value for', () => {
    expect(metricSpec(performanceReport([performanceWindow(0, 0, null, null)]), theme, trans)).toBeNull();
    const spec = metricSpec(performanceReport(windows, { baseline: null, alert_level: null }), theme, trans) as Layer;
    expect(layers(spec).filter(l => l.mark?.type === 'text' && l.data?.values[0]?.value !== undefined)).toEqual([]);
    // The legend names only the series drawn.
    const realizedOnly = metricSpec(performanceReport([performanceWindow(0, 40, 0.9, null)]), theme, trans) as Layer;
    const point = layers(realizedOnly).find(l => l.mark?.type === 'point')!;
    expect(layers(realizedOnly).find(l => l.encoding?.color)!.encoding.color.scale).toEqual({
      domain: ['realized'],
      range: ['#1976d2']
    });
    expect(point.mark.filled).toBe(true);
  });

  it('pads the metric axis around what it shows', () => {
    expect(metricDomain([])).toEqual([0, 1]);
    const [low, high] = metricDomain([0.8, 0.9]);
    expect(low).toBeCloseTo(0.782); // 2 % of the largest value: more than a tenth of the span
    expect(high).toBeCloseTo(0.918);
  });
});

describe('the outputs against the reference period', () => {
  it("compares class shares, named by the policy's classes", () => {
    const report = performanceReport(windows, {
      policy: { ...performancePolicy, classes: ['cat', 'dog', 'owl'] }
    });
    const spec = outputSpec(report, theme, trans) as Record<string, any>;
    expect(spec.description).toBe(
      'Predicted classes of window 2 against the reference period (window 0), as shares of predictions: chi-squared test p = 0.4, no change.'
    );
    const values = spec.data.values.map((v: any) => [v.source, v.name, v.fraction]);
    expect(values).toEqual([
      ['reference', 'cat', 0.5],
      ['reference', 'dog', 0.3],
      ['reference', 'owl', 0.2],
      ['window #2', 'cat', 0.4],
      ['window #2', 'dog', 0.4],
      ['window #2', 'owl', 0.2]
    ]);
    expect(spec.encoding.x.sort).toEqual(['cat', 'dog', 'owl']);
  });

  it("draws a regressor's quantiles as a box, the reference's from its sample", () => {
    const report = performanceReport(
      [
        performanceWindow(4, 0, null, null, {
          outputs: { test: 'ks', p_value: 0.001, drift: true, quantiles: [1, 2, 3, 4, 5] }
        })
      ],
      {
        task: 'regression',
        metric: 'mae',
        reference_outputs: { model_uri: 'file:///m', window: 0, values: [0, 10, 20, 30, 40] }
      }
    );
    const spec = outputSpec(report, theme, trans) as Record<string, any>;
    expect(spec.description).toContain('KS test p = 0.001, changed');
    expect(spec.data.values[0]).toEqual({
      source: 'reference',
      q05: 2,
      q25: 10,
      median: 20,
      q75: 30,
      q95: 38
    });
    expect(spec.data.values[1]).toMatchObject({ source: 'window #4', q05: 1, median: 3, q95: 5 });
    expect(spec.layer.map((l: Layer) => l.mark.type)).toEqual(['rule', 'bar', 'tick']);
  });

  it('has nothing to compare before the first window', () => {
    expect(outputSpec(performanceReport([]), theme, trans)).toBeNull();
  });

  it('interpolates quantiles as NumPy does', () => {
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(quantile([1, 2, 3], 1)).toBe(3);
  });
});
