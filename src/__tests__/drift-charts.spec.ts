/** The drift charts' Vega-Lite specs: log-scale scores with alpha and alert markers, heat strip, distributions. */
import { IFeatureDistribution } from '../api';
import { chartTheme } from '../components/theme';
import {
  distributionSpec,
  heatScore,
  heatSpec,
  P_FLOOR,
  pValueDomain,
  scoreSpec,
  shares,
  timeFormat
} from '../drift/charts';
import { driftWindow, featureTest, trans } from './drift-fixtures';

type Layer = {
  data?: { values: unknown[] };
  layer?: Layer[];
  mark: { type: string; shape?: string; color?: string };
  encoding: any;
  transform?: { filter: string }[];
};

const dark: Record<string, string> = {
  '--jp-ui-font-color1': 'rgba(255, 255, 255, 1)',
  '--jp-ui-font-color2': 'rgba(255, 255, 255, 0.7)',
  '--jp-border-color2': '#424242',
  '--jp-error-color1': '#f44336',
  '--jp-brand-color1': '#1976d2',
  '--jp-warn-color1': '#f57c00',
  '--jp-error-color0': '#b71c1c'
};
const theme = chartTheme(name => dark[name] ?? '');
const unthemed = chartTheme(() => '');

describe('chart theme', () => {
  it('takes colours from the CSS variables and leaves unset ones to Vega-Lite', () => {
    expect(theme.config).toMatchObject({
      background: 'transparent',
      axis: { labelColor: dark['--jp-ui-font-color2'], gridColor: '#424242', titleColor: dark['--jp-ui-font-color1'] }
    });
    expect(theme.colors.drift).toBe('#f44336');
    expect(unthemed.config).toEqual({ background: 'transparent', axis: {}, legend: {}, view: {}, title: {} });
    expect(unthemed.colors).toEqual({});
  });
});

describe('score chart', () => {
  const windows = [
    driftWindow(1, 0.4),
    driftWindow(2, null),
    driftWindow(3, 0.001, { alert_id: 9 }),
    driftWindow(4, 0, { alert_id: 9 })
  ];
  const spec = scoreSpec(windows, 0.01, theme, trans) as {
    layer: Layer[];
    data: { values: any[] };
    description: string;
  };

  it('plots tested windows on a log scale over the time of their last request', () => {
    expect(spec.data.values.map(v => v.id)).toEqual([1, 3, 4]);
    const points = spec.layer[2];
    // a decade of room below the smallest value (1e-16 after the floor): no marker sits on the axis
    expect(points.encoding.y.scale).toEqual({ type: 'log', domain: [1e-17, 1], nice: false });
    expect(points.encoding.x).toMatchObject({ field: 'at', type: 'temporal' });
    expect(spec.data.values[0].at).toBe(windows[0].last_at);
    // p = 0 is drawn at the floor, the tooltip says it is below it
    expect(spec.data.values[2]).toMatchObject({ p: P_FLOOR, p_value: '< 1e-16' });
    expect(spec.data.values[1]).toMatchObject({ p: 0.001, p_value: '0.00100' });
  });

  it('draws a rule at alpha on the same log scale', () => {
    const threshold = spec.layer[0];
    expect(threshold.data!.values).toEqual([{ alpha: 0.01, label: 'α = 0.01' }]);
    const rule = threshold.layer!.find(l => l.mark.type === 'rule')!;
    expect(rule.encoding.y).toMatchObject({ field: 'alpha', scale: { type: 'log' } });
    expect(rule.mark.color).toBe('#f57c00');
  });

  it('colours drifted points and marks windows that belong to an alert', () => {
    const points = spec.layer[2];
    expect(points.encoding.color.scale).toEqual({ domain: ['Drift', 'No drift'], range: ['#f44336', '#1976d2'] });
    expect(spec.data.values.map(v => v.verdict)).toEqual(['No drift', 'Drift', 'Drift']);
    const markers = spec.layer[3];
    expect(markers.transform).toEqual([{ filter: 'datum.alert !== null' }]);
    expect(markers.mark.shape).toBe('triangle-down');
    expect(spec.data.values.filter(v => v.alert !== null).map(v => v.id)).toEqual([3, 4]);
  });

  it('describes itself for assistive technology', () => {
    expect(spec.description).toContain('3 windows');
    expect(spec.description).toContain('2 drifted');
    expect(spec.description).toContain('alpha 0.01');
  });

  it('uses Vega-Lite default colours when the theme sets none', () => {
    const plain = scoreSpec(windows, 0.05, unthemed, trans) as { layer: Layer[] };
    expect(plain.layer[2].encoding.color.scale).toEqual({ domain: ['Drift', 'No drift'] });
    expect(plain.layer[0].layer![0].mark).toEqual({ type: 'rule', strokeDash: [4, 3] });
  });
});

describe('score chart after a redeploy', () => {
  const windows = [driftWindow(1, 1e-40), driftWindow(2, 0.3)];

  it('marks where the new model began serving, only when windows of an earlier model are shown', () => {
    const spec = scoreSpec(windows, 0.05, theme, trans, '2026-11-25T10:01:45.000Z') as { layer: Layer[] };
    const rule = spec.layer[4];
    expect(rule.data!.values).toEqual([{ since: '2026-11-25T10:01:45.000Z', label: 'new model' }]);
    expect(rule.layer!.map(l => l.mark.type)).toEqual(['rule', 'text']);
    const fresh = scoreSpec(windows, 0.05, theme, trans, '2026-11-25T09:00:00.000Z') as { layer: Layer[] };
    expect(fresh.layer).toHaveLength(4);
  });

  it('labels the time axis as finely as the span needs', () => {
    expect(timeFormat(['2026-11-25T10:01:30.000Z', '2026-11-25T10:02:30.000Z'])).toBe('%H:%M:%S');
    expect(timeFormat(['2026-11-25T10:01:30.000Z', '2026-11-25T12:02:30.000Z'])).toBe('%H:%M');
    expect(timeFormat(['2026-11-20T10:01:30.000Z', '2026-11-25T12:02:30.000Z'])).toBe('%b %d %H:%M');
  });

  it('keeps a decade of room below the smallest p-value, never under the floor', () => {
    expect(pValueDomain([0.2, 0.04])).toEqual([0.001, 1]);
    expect(pValueDomain([1e-300])).toEqual([1e-17, 1]);
  });
});

describe('heat strip', () => {
  it('has a cell per tested feature and window, coloured by -log10 adjusted p, drifted ones outlined', () => {
    const windows = [driftWindow(1, 0.001), driftWindow(2, null), driftWindow(3, 1e-30)];
    const spec = heatSpec(windows, ['f0', 'f1'], theme, trans) as { data: { values: any[] }; encoding: any };
    expect(spec.data.values.map(v => [v.window, v.feature])).toEqual([
      [1, 'f0'],
      [1, 'f1'],
      [3, 'f0'],
      [3, 'f1']
    ]);
    expect(spec.data.values[0].score).toBeCloseTo(3);
    expect(spec.data.values[2].score).toBe(heatScore(P_FLOOR));
    expect(spec.data.values.map(v => v.drifted)).toEqual([true, false, true, false]);
    expect(spec.encoding.y.sort).toEqual(['f0', 'f1']);
    expect(spec.encoding.color.field).toBe('score');
  });

  it('shows only the newest windows', () => {
    const windows = Array.from({ length: 70 }, (_, i) =>
      driftWindow(i + 1, 0.5, { features: [featureTest('f0', 0.5)] })
    );
    const spec = heatSpec(windows, ['f0'], theme, trans) as { data: { values: any[] } };
    expect(spec.data.values).toHaveLength(60);
    expect(spec.data.values[0].window).toBe(11);
  });
});

describe('distributions', () => {
  const numeric: IFeatureDistribution = {
    name: 'f0',
    kind: 'numeric',
    reference: { edges: [0, 1, 2, 3], counts: [10, 20, 10] },
    current: { edges: [0, 1, 2, 3], counts: [0, 5, 20], window_id: 7 }
  };

  it('turns histogram counts into fractions that sum to 1', () => {
    const bars = shares(numeric.reference, 'other');
    expect(bars.map(b => [b.lo, b.hi])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3]
    ]);
    expect(bars.reduce((s, b) => s + b.fraction, 0)).toBeCloseTo(1);
    expect(shares({ edges: [0, 1], counts: [0] }, 'other')).toEqual([]);
  });

  it("gives a window's values outside the reference's range a bin of their own", () => {
    const bars = shares({ edges: [0, 1, 2], counts: [1, 1], below: 2, above: 4 }, 'other');
    expect(bars.map(b => [b.lo, b.hi, b.range, b.fraction])).toEqual([
      [-1, 0, '< 0', 0.25],
      [0, 1, '0 – 1', 0.125],
      [1, 2, '1 – 2', 0.125],
      [2, 3, '> 2', 0.5]
    ]);
    expect(shares({ edges: [], counts: [], below: 0, above: 3 }, 'other')).toEqual([]);
  });

  it('overlays reference and current bins as shares of rows', () => {
    const spec = distributionSpec(numeric, theme, trans) as {
      data: { values: any[] };
      encoding: any;
      description: string;
    };
    const bySource = (source: string) => spec.data.values.filter(v => v.source === source);
    for (const source of ['reference', 'current window']) {
      expect(bySource(source).reduce((s, v) => s + v.fraction, 0)).toBeCloseTo(1);
    }
    expect(spec.encoding.x).toMatchObject({ field: 'lo', bin: { binned: true } });
    expect(spec.encoding.x2).toEqual({ field: 'hi' });
    expect(spec.encoding.y.stack).toBeNull();
    expect(spec.description).toContain('window 7');
  });

  it('compares category shares, with the categories the reference did not list as other', () => {
    const categorical: IFeatureDistribution = {
      name: 'colour',
      kind: 'categorical',
      reference: { categories: { red: 6, blue: 3 }, other: 1 },
      current: { categories: { red: 1, blue: 1 }, other: 2, window_id: 3 }
    };
    const spec = distributionSpec(categorical, theme, trans) as { data: { values: any[] }; encoding: any };
    const current = spec.data.values.filter(v => v.source === 'current window');
    expect(current.map(v => [v.category, v.fraction])).toEqual([
      ['red', 0.25],
      ['blue', 0.25],
      ['(other)', 0.5]
    ]);
    expect(spec.encoding.x.sort).toEqual(['red', 'blue', '(other)']);
    expect(spec.encoding.xOffset.field).toBe('source');
  });

  it('shows the reference alone before the first window', () => {
    const spec = distributionSpec({ ...numeric, current: null }, theme, trans) as { data: { values: any[] } };
    expect(new Set(spec.data.values.map(v => v.source))).toEqual(new Set(['reference']));
  });
});
