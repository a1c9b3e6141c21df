/** The runs table's filtering, sorting and compare chart. */
import { IRun, IRunStep } from '../api';
import { formatDuration, metricNames, visibleRuns } from '../monitor/table';
import { runRecord } from './run-fixtures';

const step: IRunStep = {
  name: 's',
  status: 'succeeded',
  started_at: null,
  finished_at: null,
  duration: 1,
  error: null
};

function run(id: string, extra: Partial<IRun>, metrics: Record<string, number> = {}): IRun {
  return runRecord(id, { created_at: `2026-01-0${id}T00:00:00Z`, steps: [step], metrics, ...extra });
}

const runs = [
  run('1', { parameters: { lr: 0.1 } }, { accuracy: 0.8 }),
  run('2', { status: 'failed', experiment: 'other' }, {}),
  run('3', { parameters: { lr: 0.01 } }, { accuracy: 0.9, loss: 0.2 })
];

describe('runs table', () => {
  it('filters by experiment and by text in parameters, status or notebook', () => {
    const base = { experiment: '', filter: '', sort: 'created_at' as const, descending: true };
    expect(visibleRuns(runs, { ...base, experiment: 'exp' }).map(r => r.id)).toEqual(['3', '1']);
    expect(visibleRuns(runs, { ...base, filter: 'failed' }).map(r => r.id)).toEqual(['2']);
    expect(visibleRuns(runs, { ...base, filter: '0.01' }).map(r => r.id)).toEqual(['3']);
    expect(visibleRuns(runs, { ...base, filter: 'a.ipynb' }).map(r => r.id)).toEqual(['3', '2', '1']);
  });

  it('sorts by a metric, runs without it last when descending', () => {
    const sorted = visibleRuns(runs, { experiment: '', filter: '', sort: 'metric:accuracy', descending: true });
    expect(sorted.map(r => r.id)).toEqual(['3', '1', '2']);
  });

  it('matches runs by their names too', () => {
    const labels = new Map([['1', 'run 1 · 14:02']]);
    const base = { experiment: '', sort: 'created_at' as const, descending: true, labels };
    expect(visibleRuns(runs, { ...base, filter: 'run 1' }).map(r => r.id)).toEqual(['1']);
  });

  it('lists metric names', () => {
    expect(metricNames(runs)).toEqual(['accuracy', 'loss']);
  });

  it('formats durations', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(12.34)).toBe('12.3 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
  });
});
