/** How a performance report reads: the status line, values, coverage and delay, what to do without labels. */
import {
  coverageText,
  formatDelay,
  formatMetric,
  metricLabel,
  noLabelsHint,
  predictionIdHint,
  statusText
} from '../performance/words';
import { labelsResultText, parseLabelsText } from '../performance/labels';
import { performancePolicyChange } from '../performance/PolicyForm';
import { trans } from './drift-fixtures';
import { performancePolicy, performanceReport, performanceWindow } from './performance-fixtures';

describe('performance words', () => {
  it('names metrics and formats values and delays', () => {
    expect(metricLabel('f1_macro', trans)).toBe('F1 (macro)');
    expect(metricLabel('mae', trans)).toBe('mean absolute error');
    expect(metricLabel('custom', trans)).toBe('custom');
    expect(formatMetric(0.91234)).toBe('0.912');
    expect(formatMetric(12.345)).toBe('12.3');
    expect(formatMetric(null)).toBe('–');
    expect([0.2, 40, 720, 3 * 3600 + 1800, 2.5 * 86400, null].map(formatDelay)).toEqual([
      '< 1 s',
      '40 s',
      '12 min',
      '3.5 h',
      '2.5 days',
      '–'
    ]);
  });

  it('says the latest value, how it was found, and where it stands', () => {
    const windows = [performanceWindow(0, 40, 0.9, 0.91), performanceWindow(1, 0, null, 0.8)];
    const realized = performanceReport(windows, { latest: { window: 0, value: 0.9, source: 'realized' } });
    expect(statusText(realized, trans)).toBe(
      'accuracy 0.9 in window #0, measured on 40 labels; alert below 0.88 (validation 0.93).'
    );
    const estimated = performanceReport(windows, {
      status: 'degraded',
      latest: { window: 1, value: 0.8, source: 'estimated' }
    });
    expect(statusText(estimated, trans)).toBe(
      "accuracy 0.8 in window #1, estimated from the model's confidence, before labels; alert below 0.88 (validation 0.93)."
    );
    const lower = performanceReport(windows, {
      metric: 'mae',
      higher_is_better: false,
      baseline: null,
      alert_level: 2,
      latest: { window: 0, value: 1.5, source: 'realized' }
    });
    expect(statusText(lower, trans)).toBe(
      'mean absolute error 1.5 in window #0, measured on 40 labels; alert above 2.'
    );
    const noLevel = performanceReport(windows, {
      baseline: null,
      alert_level: null,
      latest: { window: 0, value: 0.9, source: 'realized' }
    });
    expect(statusText(noLevel, trans)).toContain('no alert level: the run logged no accuracy; set a threshold');
  });

  it('says why the status is unknown and what it waits for', () => {
    const none = performanceReport([], {
      status: 'unknown',
      coverage: { ...performanceReport([]).coverage, predictions: 0 }
    });
    expect(statusText(none, trans)).toBe('No predictions logged yet: send requests to the deployment.');
    const first = performanceReport([], { status: 'unknown' });
    expect(statusText(first, trans)).toBe('The first window closes after 50 predictions: 20 so far.');
    const unlabelled = performanceReport([performanceWindow(0, 3, 1, null)], { status: 'unknown' });
    expect(statusText(unlabelled, trans)).toBe(
      'A window needs 30 labels before its accuracy counts; the estimate before labels starts once 500 labelled predictions calibrate it.'
    );
    const off = performanceReport([performanceWindow(0, 3, 1, null)], { estimator: { status: 'off' } });
    expect(statusText(off, trans)).toBe('A window needs 30 labels before its accuracy counts.');
  });

  it('tells coverage and delay, and where the ids come from', () => {
    const report = performanceReport([performanceWindow(0, 40, 0.9, null)], {
      coverage: { predictions: 200, labelled: 50, waiting_labels: 3, median_delay_s: 190 }
    });
    expect(coverageText(report, trans)).toBe(
      '50 of 200 predictions labelled (25 %) · median label delay 3 min · 3 labels wait for their prediction'
    );
    expect(predictionIdHint(report, trans)).toContain('X-Request-Id header of its answer');
    expect(predictionIdHint(report, trans)).toContain('"id" of a V2 request');
    const field = performanceReport([], { policy: { ...performancePolicy, id_source: 'field', id_field: 'ids' } });
    expect(predictionIdHint(field, trans)).toBe('The id of each row is its value of the request field "ids".');
    expect(noLabelsHint(report, trans)).toBe(
      'No labels yet: send them below, with `ai4mlops labels d1 FILE`, or POST …/deployments/d1/labels.'
    );
  });
});

describe('labels input', () => {
  it('reads CSV, JSON rows or {labels}, and says what is wrong', () => {
    expect(parseLabelsText('id,label\na,1', trans)).toEqual({ csv: 'id,label\na,1\n' });
    expect(parseLabelsText(' [{"id": "a", "label": 1}]', trans)).toEqual({ labels: [{ id: 'a', label: 1 }] });
    expect(parseLabelsText('{"labels": [{"id": 3, "label": "cat"}]}', trans)).toEqual({
      labels: [{ id: 3, label: 'cat' }]
    });
    expect(parseLabelsText('  ', trans)).toEqual({ error: 'Paste labels or pick a file first.' });
    expect(parseLabelsText('{"id": 1', trans)).toHaveProperty(
      'error',
      expect.stringMatching(/^The labels are not JSON/)
    );
    expect(parseLabelsText('{"rows": []}', trans)).toHaveProperty('error', expect.stringMatching(/^Send a list/));
  });

  it('says what an upload did', () => {
    const result = { received: 101, stored: 100, unchanged: 0, joined: 90, refused_count: 1, refused: [] };
    expect(labelsResultText(result, trans)).toBe(
      '100 labels stored · 0 already known · 90 joined to their prediction · 10 wait for their prediction · 1 refused'
    );
  });

  it('sends empty settings as defaults and numbers as numbers', () => {
    expect(performancePolicyChange({ metric: '', threshold: '', id_field: ' ', window_size: 80 })).toEqual({
      metric: null,
      threshold: null,
      id_field: null,
      window_size: 80
    });
    expect(performancePolicyChange({ threshold: '0.8', metric: 'f1_macro' })).toEqual({
      threshold: 0.8,
      metric: 'f1_macro'
    });
    expect(performancePolicyChange({ threshold: 'high' })).toEqual({ threshold: 'high' });
  });
});
