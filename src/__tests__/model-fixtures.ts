/** Registry, rollout and gate fixtures shaped like the server's answers (tests only). */
import { Signal } from '@lumino/signaling';

import {
  IDeployment,
  IGateCheck,
  IGateDecision,
  IGatePolicy,
  IModelVersion,
  IRegisteredModel,
  IRollout,
  IRolloutSide
} from '../api';
import { IModelsModel } from '../tokens';
import { deployment } from './drift-fixtures';

export function modelVersion(version: number, fields: Partial<IModelVersion> = {}): IModelVersion {
  return {
    model: 'iris',
    version,
    state: 'live',
    artifact_uri: `/runs/r${version}/train/model`,
    artifact: 'train/model',
    framework: 'torch',
    framework_version: '2.5',
    signature: null,
    run_id: `r${version}`,
    notebook_path: 'train.ipynb',
    notebook_hash: null,
    parameters: { epochs: version * 2, lr: 0.1 },
    metrics: { accuracy: 0.8 + version / 100, loss: 0.5 - version / 100 },
    steps: [],
    reference: null,
    author: 'me',
    created_at: `2026-11-2${version}T10:00:00Z`,
    aliases: [],
    ...fields
  };
}

export function registeredModel(name: string, aliases: Record<string, number>, count: number): IRegisteredModel {
  return {
    name,
    description: '',
    created_at: '2026-11-20T10:00:00Z',
    updated_at: '2026-11-20T10:00:00Z',
    version_count: count,
    aliases,
    latest_version: null
  };
}

export const policy: IGatePolicy = {
  metric: null,
  direction: null,
  min_gain: 0,
  max_error_rate: 0.01,
  max_p99_ratio: 2,
  min_requests: 100,
  canary_percent: 20,
  min_labels: 0,
  max_metric_drop: 0,
  auto: true
};

export function side(version: number | null, fields: Partial<IRolloutSide> = {}): IRolloutSide {
  return {
    version,
    run_id: version === null ? null : `r${version}`,
    metric: { name: 'accuracy', value: 0.8 },
    requests: 0,
    errors: 0,
    error_rate: null,
    p50_ms: null,
    p99_ms: null,
    ...fields
  };
}

export function check(name: IGateCheck['name'], passed: boolean | null, fields: Partial<IGateCheck> = {}): IGateCheck {
  return { name, passed, candidate: null, stable: null, threshold: null, detail: `${name} in words`, ...fields };
}

export const checks: IGateCheck[] = [
  check('offline_metric', true, { candidate: 0.93, stable: 0.87, threshold: 0 }),
  check('requests', null, { candidate: 40, threshold: 100, detail: '40 of 100 requests seen' }),
  check('error_rate', false, { candidate: 0.05, stable: 0, threshold: 0.01 }),
  check('p99_latency', null, { candidate: 12.5, stable: 10, threshold: 2 }),
  check('live_performance', true, { candidate: 0.9, stable: 0.91, threshold: 0.02 })
];

/** A deployment `name` serving `version` of iris, with a canary of `candidate` (or no rollout). */
export function rollout(stable: number, candidate: number | null, fields: Partial<IRollout> = {}): IRollout {
  return {
    deployment: 'iris',
    model: 'iris',
    target: 'local',
    stable: side(stable, { requests: 160, errors: 0, error_rate: 0, p99_ms: 10 }),
    candidate: candidate === null ? null : side(candidate, { requests: 40, errors: 2, error_rate: 0.05, p99_ms: 12.5 }),
    mode: candidate === null ? null : 'canary',
    percent: candidate === null ? null : 20,
    started_at: candidate === null ? null : '2026-11-25T10:00:00Z',
    gate: candidate === null ? null : { verdict: 'fail', checks, summary: 'error_rate in words' },
    policy,
    ...fields
  };
}

export function decision(
  id: number,
  action: IGateDecision['action'],
  fields: Partial<IGateDecision> = {}
): IGateDecision {
  return {
    id,
    model: 'iris',
    deployment: 'iris',
    action,
    candidate_version: 2,
    stable_version: 1,
    by: 'ada',
    automatic: false,
    reason: '',
    evidence: { checks, policy },
    run_id: 'r2',
    alert_id: null,
    at: '2026-11-25T10:00:00Z',
    ...fields
  };
}

/** A deployment serving `version` of iris. */
export function servingDeployment(name: string, version: number, created_at = '2026-11-25T09:00:00Z'): IDeployment {
  return { ...deployment(name, created_at), config: { version: { model: 'iris', version, alias: null } } };
}

/** An `IModelsModel` holding what the test gives it; its writes are jest mocks. */
export function fakeModels(fields: Partial<IModelsModel> = {}): IModelsModel {
  const fake = {} as IModelsModel;
  return Object.assign(fake, {
    changed: new Signal<IModelsModel, void>(fake),
    models: [registeredModel('iris', { champion: 1 }, 2)],
    selected: 'iris',
    select: jest.fn(),
    versions: [modelVersion(2), modelVersion(1, { aliases: ['champion'] })],
    deployments: [servingDeployment('iris', 1)],
    deployment: 'iris',
    selectDeployment: jest.fn(),
    rollout: rollout(1, 2),
    rolloutError: '',
    policy,
    notebookMetric: null,
    decisions: [],
    error: '',
    isPolling: false,
    isDisposed: false,
    startPolling: jest.fn(),
    stopPolling: jest.fn(),
    refresh: jest.fn(),
    dispose: jest.fn(),
    versionsOfRun: jest.fn().mockResolvedValue([]),
    register: jest.fn(),
    deploy: jest.fn(),
    setAlias: jest.fn().mockResolvedValue(modelVersion(2)),
    setState: jest.fn(),
    startRollout: jest.fn(),
    changePercent: jest.fn(),
    decide: jest.fn(),
    updatePolicy: jest.fn(),
    ...fields
  });
}
