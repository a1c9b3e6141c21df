/** Drift report fixtures shaped like the server's answers (tests only). */
import { TranslationBundle } from '@jupyterlab/translation';

import { IDeployment, IDriftReport, IDriftWindow, IFeatureTest } from '../api';

export function featureTest(name: string, adjusted: number | null, drift: boolean | null = null): IFeatureTest {
  return {
    name,
    kind: 'numeric',
    test: 'ks',
    n: 50,
    n_missing: 0,
    statistic: 0.3,
    p_value: adjusted,
    adjusted_p_value: adjusted,
    effect_size: 0.4,
    drift: drift ?? (adjusted !== null && adjusted < 0.05),
    n_unseen: 0,
    status: adjusted === null ? 'insufficient_data' : 'ok'
  };
}

export function driftWindow(id: number, p: number | null, extra: Partial<IDriftWindow> = {}): IDriftWindow {
  return {
    id,
    trigger: 'auto',
    kind: 'count',
    start: (id - 1) * 50,
    end: id * 50,
    first_at: `2026-11-25T10:0${id}:00.000Z`,
    last_at: `2026-11-25T10:0${id}:30.000Z`,
    checked_at: `2026-11-25T10:0${id}:31.000Z`,
    n: 50,
    status: p === null ? 'insufficient_data' : 'ok',
    drift: p === null ? null : p < 0.05,
    p_value: p,
    score: p === null ? null : 1 - p,
    alert_id: null,
    features: [featureTest('f0', p), featureTest('f1', p === null ? null : 0.5)],
    multivariate: null,
    ...extra
  };
}

export function report(windows: IDriftWindow[], extra: Partial<IDriftReport> = {}): IDriftReport {
  return {
    deployment: 'd1',
    policy: {
      window: 'count',
      window_size: 50,
      window_seconds: 3600,
      method: 'features',
      alpha: 0.05,
      correction: 'bonferroni',
      consecutive: 2,
      auto_retrain: false,
      redeploy: true
    },
    reference: {
      available: true,
      source: 'reference.npy saved with the model',
      n_rows: 640,
      features: [
        { name: 'f0', kind: 'numeric' },
        { name: 'f1', kind: 'numeric' }
      ]
    },
    pending: { rows: 10 },
    counts: {
      requests: 3,
      undecodable: 0,
      undecodable_reason: null,
      rejected: {},
      unattributed: {},
      windows: 2,
      drifted: 1
    },
    windows,
    model: { run_id: 'run1', since: '2025-01-01T00:00:00.000Z' },
    latest: windows[windows.length - 1] ?? null,
    previous: null,
    alerts: [],
    alerts_next_cursor: null,
    feature: null,
    ...extra
  };
}

export function deployment(name: string, created_at: string): IDeployment {
  return {
    name,
    run_id: 'run1',
    model_name: 'model',
    target: 'local',
    status: 'running',
    url: null,
    error: null,
    created_at,
    endpoints: null,
    runtime: { name: 'local', label: 'ai4mlops model server (this machine)', protocols: ['v1', 'v2'], fallback: null },
    signature: null,
    stats: null,
    config: {}
  };
}

/** A translation bundle that only fills in `%1`, `%2`… (JupyterLab's is an ES module jest does not load). */
export const trans = {
  __: (msgid: string, ...args: unknown[]) => msgid.replace(/%(\d+)/g, (_, i) => String(args[Number(i) - 1])),
  // As JupyterLab's: n is %1, the other arguments %2 on.
  _n: (singular: string, plural: string, n: number, ...args: unknown[]) =>
    (n === 1 ? singular : plural).replace(/%(\d+)/g, (_, i) => String([n, ...args][Number(i) - 1]))
} as unknown as TranslationBundle;
