/**
 * How the registry, rollouts and the promotion gate read to a person (pure functions, unit-tested):
 * alias pills, a model's main metric, the versions as comparable rows, the two sides of a rollout,
 * the gate's checks and decisions in words.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import {
  IGateCheck,
  IGateDecision,
  IGatePolicy,
  IModelVersion,
  IRegisteredModel,
  IRollout,
  IRolloutSide
} from '../api';
import { IComparable } from '../monitor/compare';
import { formatValue } from '../runs/labels';

/** A version as people name it: "v3". */
export function versionName(version: number | null): string {
  return version === null ? '–' : `v${version}`;
}

/** A model's aliases as pills, "champion v3", the newest version's first. */
export function aliasPills(aliases: Record<string, number>): string[] {
  return Object.entries(aliases)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([alias, version]) => `${alias} ${versionName(version)}`);
}

/** The models sorted by name. */
export function sortedModels(models: IRegisteredModel[]): IRegisteredModel[] {
  return [...models].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The metric a model's versions are judged by: the gate policy's, else the one the rollout compares, else
 * the notebook's main metric (`notebook`), else the first metric of the newest version that reports any.
 */
export function mainMetric(
  versions: IModelVersion[],
  policy: IGatePolicy | null,
  rollout: IRollout | null,
  notebook: string | null = null
): string | null {
  if (policy?.metric) {
    return policy.metric;
  }
  const compared = rollout?.stable.metric?.name ?? rollout?.candidate?.metric?.name ?? notebook;
  if (compared) {
    return compared;
  }
  const newest = [...versions]
    .sort((a, b) => b.version - a.version)
    .find(v => Object.values(v.metrics).some(value => typeof value === 'number'));
  return newest ? (Object.keys(newest.metrics).find(name => typeof newest.metrics[name] === 'number') ?? null) : null;
}

/** A version as a row the comparison (table and chart) takes: its id is its name, "v3". */
export function comparableVersion(version: IModelVersion): IComparable {
  return {
    id: versionName(version.version),
    created_at: version.created_at,
    parameters: version.parameters,
    metrics: version.metrics
  };
}

/** The versions a rollout can try: live ones, other than the one serving now, newest first. */
export function candidateVersions(versions: IModelVersion[], serving: number | null): IModelVersion[] {
  return versions.filter(v => v.state === 'live' && v.version !== serving).sort((a, b) => b.version - a.version);
}

/** A rate (0 to 1) as a percentage: "1.2 %". */
export function formatRate(rate: number | null): string {
  return rate === null || rate === undefined ? '–' : `${formatValue(rate * 100)} %`;
}

/** Milliseconds: "12.3 ms". */
export function formatMs(ms: number | null): string {
  return ms === null || ms === undefined ? '–' : `${formatValue(ms)} ms`;
}

/** One line of the rollout's side-by-side table: what the stable version and the candidate show. */
export interface ISideRow {
  label: string;
  stable: string;
  candidate: string;
}

/** The rollout's two sides, line by line: requests, errors, error rate, p99 latency and the metric. */
export function sideRows(stable: IRolloutSide, candidate: IRolloutSide | null, trans: TranslationBundle): ISideRow[] {
  const row = (label: string, value: (side: IRolloutSide) => string): ISideRow => ({
    label,
    stable: value(stable),
    candidate: candidate ? value(candidate) : '–'
  });
  const metric = stable.metric?.name ?? candidate?.metric?.name;
  return [
    row(trans.__('Requests'), side => formatValue(side.requests)),
    row(trans.__('Errors'), side => formatValue(side.errors)),
    row(trans.__('Error rate'), side => formatRate(side.error_rate)),
    row(trans.__('p99 latency'), side => formatMs(side.p99_ms)),
    ...(metric ? [row(metric, side => formatValue(side.metric?.value))] : [])
  ];
}

/** A check's state: passed, failed, or not decided yet (too few requests, or not measured). */
export type CheckState = 'passed' | 'failed' | 'waiting';

/** One check of the gate as the checks table shows it. */
export interface ICheckRow {
  name: IGateCheck['name'];
  label: string;
  state: CheckState;
  /** ✓, ✗ or …: the state as a mark beside the check's name. */
  mark: string;
  /** The state in words, for assistive technology. */
  stateLabel: string;
  candidate: string;
  stable: string;
  threshold: string;
  detail: string;
}

/** What a check is called. */
export function checkLabel(name: IGateCheck['name'], trans: TranslationBundle): string {
  return {
    offline_metric: trans.__('Metric'),
    requests: trans.__('Requests'),
    error_rate: trans.__('Errors'),
    p99_latency: trans.__('p99 ms'),
    live_performance: trans.__('Live metric')
  }[name];
}

/**
 * How a check's value reads, short enough for the sidebar: rates as percentages, latencies as ms (the unit is in
 * the check's name; their threshold is a ratio, "2×"), else a number.
 */
function checkValue(name: IGateCheck['name'], value: number | null, threshold = false): string {
  if (name === 'error_rate') {
    return formatRate(value);
  }
  if (name === 'p99_latency' && threshold && value !== null) {
    return `${formatValue(value)}×`;
  }
  return formatValue(value);
}

/** The gate's checks as rows: name, state (✓ ✗ …), candidate, stable, threshold, and the check in words. */
export function checkRows(checks: IGateCheck[], trans: TranslationBundle): ICheckRow[] {
  return checks.map(check => {
    const state: CheckState = check.passed === null ? 'waiting' : check.passed ? 'passed' : 'failed';
    return {
      name: check.name,
      label: checkLabel(check.name, trans),
      state,
      mark: { passed: '✓', failed: '✗', waiting: '…' }[state],
      stateLabel: { passed: trans.__('passed'), failed: trans.__('failed'), waiting: trans.__('waiting') }[state],
      candidate: checkValue(check.name, check.candidate),
      stable: checkValue(check.name, check.stable),
      threshold: checkValue(check.name, check.threshold, true),
      detail: check.detail
    };
  });
}

/** The gate's verdict in words. */
export function verdictLabel(verdict: 'pass' | 'fail' | 'waiting', trans: TranslationBundle): string {
  return { pass: trans.__('pass'), fail: trans.__('fail'), waiting: trans.__('waiting') }[verdict];
}

/** A decision's action in words. */
export function actionLabel(action: IGateDecision['action'], trans: TranslationBundle): string {
  return {
    started: trans.__('started'),
    refused: trans.__('refused'),
    promoted: trans.__('promoted'),
    rolled_back: trans.__('rolled back')
  }[action];
}

/** What a decision was about: "v2 over v1", or "v2" when nothing was serving. */
export function decisionVersions(decision: IGateDecision, trans: TranslationBundle): string {
  return decision.stable_version === null
    ? versionName(decision.candidate_version)
    : trans.__('%1 over %2', versionName(decision.candidate_version), versionName(decision.stable_version));
}

/** Longest name the server gives a model by default (its deployments' limit). */
const MAX_NAME = 45;

/**
 * The name the server registers a run's model under when none is given: `<pipeline>-<artifact>`, made a
 * valid name (the same rule as `deployment_name` in ai4mlops_lab/serving/artifacts.py).
 */
export function defaultModelName(pipeline: string, artifact: string): string {
  const trim = (text: string) => text.slice(0, MAX_NAME).replace(/-+$/, '');
  let name = trim(
    `${pipeline}-${artifact}`
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
  );
  if (!/^[a-z]/.test(name)) {
    name = trim(`m-${name}`);
  }
  return /^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(name) ? name : 'model';
}
