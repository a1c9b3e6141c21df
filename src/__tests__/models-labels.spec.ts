/** How versions, rollouts, the gate's checks and decisions read; the versions compared like runs. */
import { comparisonRows, compareChartSpec } from '../monitor/compare';
import { chartTheme } from '../components/theme';
import {
  aliasPills,
  candidateVersions,
  checkRows,
  comparableVersion,
  decisionVersions,
  defaultModelName,
  mainMetric,
  sideRows,
  sortedModels,
  versionName
} from '../models/labels';
import { rolloutStage, servingDeployments } from '../models/model';
import { gatePolicyChange } from '../models/GatePolicyForm';
import { trans } from './drift-fixtures';
import {
  checks,
  decision,
  modelVersion,
  policy,
  registeredModel,
  rollout,
  servingDeployment,
  side
} from './model-fixtures';
import { deployment } from './drift-fixtures';

describe('versions and models', () => {
  it('names versions and lists aliases as pills, the newest version first', () => {
    expect(versionName(3)).toBe('v3');
    expect(versionName(null)).toBe('–');
    expect(aliasPills({ champion: 1, challenger: 3, prod: 1 })).toEqual(['challenger v3', 'champion v1', 'prod v1']);
    expect(aliasPills({})).toEqual([]);
  });

  it('sorts models by name', () => {
    const names = sortedModels([registeredModel('b', {}, 1), registeredModel('a', {}, 1)]).map(m => m.name);
    expect(names).toEqual(['a', 'b']);
  });

  it("takes the policy's metric, else the rollout's, else the newest version's first", () => {
    const versions = [modelVersion(1), modelVersion(2, { metrics: { f1: 0.7, accuracy: 0.9 } })];
    expect(mainMetric(versions, { ...policy, metric: 'loss' }, rollout(1, 2))).toBe('loss');
    expect(mainMetric(versions, policy, rollout(1, 2))).toBe('accuracy');
    expect(mainMetric(versions, policy, null, 'accuracy')).toBe('accuracy');
    expect(mainMetric(versions, policy, null)).toBe('f1');
    expect(mainMetric([modelVersion(1, { metrics: { x: null } })], null, null)).toBeNull();
  });

  it('offers the live versions other than the one serving, newest first', () => {
    const versions = [modelVersion(1), modelVersion(3), modelVersion(2, { state: 'archived' }), modelVersion(4)];
    expect(candidateVersions(versions, 4).map(v => v.version)).toEqual([3, 1]);
  });

  it('compares versions as the runs are compared, named by their number', () => {
    const versions = [modelVersion(1), modelVersion(2)].map(comparableVersion);
    expect(versions[0]).toMatchObject({ id: 'v1', parameters: { epochs: 2 }, metrics: { accuracy: 0.81 } });
    const rows = comparisonRows(versions, ['accuracy', 'loss'], ['epochs']);
    expect(rows.map(row => [row.item.id, row.metrics.accuracy.best, row.metrics.loss.best])).toEqual([
      ['v1', false, false],
      ['v2', true, true]
    ]);
    const theme = chartTheme(() => '');
    const labels = new Map([
      ['v1', 'v1'],
      ['v2', 'v2']
    ]);
    const spec = compareChartSpec(versions, { metric: 'loss', parameter: null, labels, theme, trans, kind: 'version' });
    expect(spec.description).toBe('loss (lower is better) of 2 versions, one bar per version.');
    expect((spec as any).layer[0].encoding.tooltip[0].title).toBe('version');
  });

  it("names a run's model as the server does by default", () => {
    expect(defaultModelName('torch-train', 'model')).toBe('torch-train-model');
    expect(defaultModelName('My Pipeline!', 'Net_1')).toBe('my-pipeline-net-1');
    expect(defaultModelName('2024 run', 'model')).toBe('m-2024-run-model');
    expect(defaultModelName('a'.repeat(50), 'model')).toBe('a'.repeat(45));
    expect(defaultModelName('p', 'x-'.repeat(30)).length).toBeLessThanOrEqual(45);
    expect(defaultModelName('p', 'x-'.repeat(30)).endsWith('-')).toBe(false);
  });
});

describe('rollouts', () => {
  it('puts the stable version and the candidate side by side', () => {
    const rows = sideRows(
      side(1, { requests: 160, errors: 0, error_rate: 0, p99_ms: 10 }),
      side(2, { requests: 40, errors: 2, error_rate: 0.05, p99_ms: 12.5, metric: { name: 'accuracy', value: 0.93 } }),
      trans
    );
    expect(rows).toEqual([
      { label: 'Requests', stable: '160', candidate: '40' },
      { label: 'Errors', stable: '0', candidate: '2' },
      { label: 'Error rate', stable: '0 %', candidate: '5 %' },
      { label: 'p99 latency', stable: '10 ms', candidate: '12.5 ms' },
      { label: 'accuracy', stable: '0.8', candidate: '0.93' }
    ]);
    expect(sideRows(side(1, { metric: null }), null, trans).map(r => r.candidate)).toEqual(['–', '–', '–', '–']);
  });

  it('finds the deployments serving the model, newest first', () => {
    const found = servingDeployments(
      [
        servingDeployment('old', 1, '2026-11-01T00:00:00Z'),
        deployment('other', '2026-11-30T00:00:00Z'),
        servingDeployment('new', 2, '2026-11-20T00:00:00Z')
      ],
      'iris'
    );
    expect(found.map(d => d.name)).toEqual(['new', 'old']);
    expect(servingDeployments([servingDeployment('x', 1)], null)).toEqual([]);
  });

  it('moves when versions, mode, share or verdict change, not with the live counts', () => {
    const running = rollout(1, 2);
    const busier = { ...running, stable: { ...running.stable, requests: 999 } };
    expect(rolloutStage(busier)).toBe(rolloutStage(running));
    expect(rolloutStage({ ...running, percent: 50 })).not.toBe(rolloutStage(running));
    expect(rolloutStage(rollout(2, null))).not.toBe(rolloutStage(running));
    expect(rolloutStage(null)).toBe('');
  });
});

describe('the gate', () => {
  it('reads each check: its state as a mark, the values in their units, the detail', () => {
    const rows = checkRows(checks, trans);
    expect(rows.map(r => [r.label, r.state, r.mark, r.stateLabel])).toEqual([
      ['Metric', 'passed', '✓', 'passed'],
      ['Requests', 'waiting', '…', 'waiting'],
      ['Errors', 'failed', '✗', 'failed'],
      ['p99 ms', 'waiting', '…', 'waiting'],
      ['Live metric', 'passed', '✓', 'passed']
    ]);
    expect(rows.map(r => [r.candidate, r.stable, r.threshold])).toEqual([
      ['0.93', '0.87', '0'],
      ['40', '–', '100'],
      ['5 %', '0 %', '1 %'],
      ['12.5', '10', '2×'],
      ['0.9', '0.91', '0.02']
    ]);
    expect(rows[1].detail).toBe('40 of 100 requests seen');
  });

  it('says what a decision was about', () => {
    expect(decisionVersions(decision(1, 'promoted'), trans)).toBe('v2 over v1');
    expect(decisionVersions(decision(1, 'started', { stable_version: null }), trans)).toBe('v2');
  });

  it('sends an empty metric or direction as "from the runs" (null)', () => {
    expect(gatePolicyChange({ metric: '', direction: '', min_gain: 0.01, auto: false })).toEqual({
      metric: null,
      direction: null,
      min_gain: 0.01,
      auto: false
    });
    expect(gatePolicyChange({ metric: 'f1', direction: 'lower' })).toEqual({ metric: 'f1', direction: 'lower' });
  });
});
