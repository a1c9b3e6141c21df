/**
 * The models of ai4mlops-lab, provided by its plugins for other extensions to use: the runs, the
 * deployments, the drift report and the model registry the server knows, kept fresh by polling. Writes go through
 * their methods, which refresh the model at once.
 */
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import {
  deployModelVersion,
  deployRun,
  IDataTrigger,
  IDeployment,
  IDriftAlert,
  IDriftPolicy,
  IDriftReport,
  IDriftWindow,
  IFeatureDistribution,
  IGateDecision,
  IGatePolicy,
  ILabel,
  ILabelsResult,
  IModelVersion,
  IMonitorJobRequest,
  IPerformancePolicy,
  IPerformanceReport,
  IRegisteredModel,
  IRollout,
  IRun,
  ISchedule,
  IScheduleDetail,
  IScheduleFields,
  IScheduleFire,
  IStartRollout,
  ITriggerFields,
  ITriggerFiles,
  registerModel,
  startRun
} from './api';

/** What starting a run needs. */
export type RunRequest = Parameters<typeof startRun>[0];

/** What deploying a run's model needs. */
export type DeployRequest = Parameters<typeof deployRun>[0];

/** What registering a run's model needs. */
export type RegisterRequest = Parameters<typeof registerModel>[0];

/** The options of deploying a model version. */
export type VersionDeployOptions = NonNullable<Parameters<typeof deployModelVersion>[2]>;

/** A model polled from the server. */
export interface IPolledModel extends IDisposable {
  /** Poll until `stopPolling()` (idempotent); the poll stands by while the page is hidden. */
  startPolling(): void;
  stopPolling(): void;
  readonly isPolling: boolean;
  /** Fetch now; resolves once the answer is applied, never rejects (see `error`). */
  refresh(): Promise<void>;
  /** Why the last fetch failed ('' when it did not). */
  readonly error: string;
}

/**
 * The runs the server knows, newest first; polled fast while a run is active. The newest page of runs is polled;
 * older pages are read on request (`loadMore`).
 */
export interface IRunsModel extends IPolledModel {
  /** Emitted whenever the list of runs or the selection changes. */
  readonly changed: ISignal<IRunsModel, IRun[]>;
  /** The runs read so far: the newest page, then the pages `loadMore` read. */
  readonly runs: IRun[];
  /** The run whose detail the monitor shows. */
  readonly selected: string | null;
  select(id: string | null): void;
  /** The newest run of a notebook (by its path under the server root). */
  latestFor(notebookPath: string): IRun | null;
  /** Start a run of a saved notebook; resolves with its record. */
  submit(request: RunRequest): Promise<IRun>;
  cancel(id: string): Promise<IRun>;
  /** The schedule or data trigger whose runs the monitor lists (null: every run). */
  readonly origin: IRunOrigin | null;
  /** The runs it started, newest first, as the server lists them. */
  readonly originRuns: IRun[];
  /** List only the runs a schedule or a data trigger started (null: every run again). */
  filterByOrigin(origin: IRunOrigin | null): void;
  /** Whether the server has older runs than those listed (of the origin, when one is set). */
  readonly hasMore: boolean;
  /** Read the next page of older runs (of the origin, when one is set); never rejects (see `error`). */
  loadMore(): Promise<void>;
}

/** The alerts of the deployment a report model watches: the report's newest, then older pages read on request. */
export interface IAlertPages {
  /** Newest first. */
  readonly alerts: IDriftAlert[];
  /** Whether the server has older alerts than those listed. */
  readonly hasMoreAlerts: boolean;
  /** Read the next page of older alerts; never rejects (see `error`). */
  loadMoreAlerts(): Promise<void>;
}

/** What starts runs on its own, by name: a schedule or a data trigger (the runs API's `?schedule=`, `?trigger=`). */
export interface IRunOrigin {
  kind: 'schedule' | 'trigger';
  name: string;
}

/**
 * The schedules the server knows and, of the selected one, its next fire times and recent fires; the monitor polls
 * it while it shows.
 */
export interface ISchedulesModel extends IPolledModel {
  /** Emitted after each poll and when the selection changes. */
  readonly changed: ISignal<ISchedulesModel, void>;
  /** By name. */
  readonly schedules: ISchedule[];
  /** The schedule whose detail is shown. */
  readonly selected: string | null;
  select(name: string | null): void;
  /** The selected schedule with its next fire times (null until read). */
  readonly detail: IScheduleDetail | null;
  /** The selected schedule's recent fires, latest first. */
  readonly fires: IScheduleFire[];
  /** Create a schedule; rejects with the server's ApiError (a 422 names the field). */
  create(fields: IScheduleFields): Promise<IScheduleDetail>;
  update(name: string, change: IScheduleFields): Promise<IScheduleDetail>;
  setEnabled(name: string, enabled: boolean): Promise<IScheduleDetail>;
  remove(name: string): Promise<void>;
}

/**
 * The data triggers the server knows and, of the selected one, the files it handled and the files waiting; the
 * monitor polls it while it shows.
 */
export interface ITriggersModel extends IPolledModel {
  /** Emitted after each poll and when the selection changes. */
  readonly changed: ISignal<ITriggersModel, void>;
  /** By name, each with its latest handled file. */
  readonly triggers: IDataTrigger[];
  /** The trigger whose detail is shown. */
  readonly selected: string | null;
  select(name: string | null): void;
  /** The selected trigger (null when none is). */
  readonly detail: IDataTrigger | null;
  /** The selected trigger's files (null until read). */
  readonly files: ITriggerFiles | null;
  /** Create a trigger; rejects with the server's ApiError (a 422 names the field). */
  create(fields: ITriggerFields): Promise<IDataTrigger>;
  update(name: string, change: ITriggerFields): Promise<IDataTrigger>;
  setEnabled(name: string, enabled: boolean): Promise<IDataTrigger>;
  remove(name: string): Promise<void>;
}

/** The deployments the server knows. */
export interface IDeploymentsModel extends IPolledModel {
  readonly changed: ISignal<IDeploymentsModel, IDeployment[]>;
  readonly deployments: IDeployment[];
  /** Requests per second of a deployment between the last two polls (null until two polls saw it). */
  rate(name: string): number | null;
  /** Deploy a run's model; local deployments resolve once the model server is ready. */
  deploy(request: DeployRequest): Promise<IDeployment>;
  stop(name: string): Promise<IDeployment>;
  restart(name: string): Promise<IDeployment>;
  remove(name: string): Promise<void>;
  /** Monitor a KServe deployment's drift by a KFP recurring run (replacing one scheduled before). */
  scheduleMonitorJob(name: string, request: IMonitorJobRequest): Promise<IDeployment>;
  /** Delete its recurring run: the Jupyter server reads the logger's objects itself again. */
  unscheduleMonitorJob(name: string): Promise<IDeployment>;
}

/** The drift report of one deployment (the watched one); the monitor polls it while it shows. */
export interface IDriftModel extends IPolledModel, IAlertPages {
  /** Emitted when the report, a selection or the deployments change. */
  readonly changed: ISignal<IDriftModel, void>;
  readonly deployments: IDeployment[];
  /** The watched deployment (the newest one until the user picks another). */
  readonly deployment: string | null;
  readonly report: IDriftReport | null;
  /** The feature whose distributions are shown, and its distributions. */
  readonly feature: string | null;
  readonly distribution: IFeatureDistribution | null;
  select(deployment: string): void;
  selectFeature(feature: string): void;
  /** Test a deployment's newest rows now. */
  check(deployment: string): Promise<IDriftWindow>;
  /** Change some settings of a deployment's policy; resolves with the whole policy. */
  updatePolicy(deployment: string, change: Partial<IDriftPolicy>): Promise<IDriftPolicy>;
  /** Retrain the pipeline of an alert's deployment (and redeploy when it succeeds). */
  retrain(alert: number, options: { redeploy: boolean; parameters?: Record<string, unknown> }): Promise<IDriftAlert>;
  dismiss(alert: number): Promise<IDriftAlert>;
}

/**
 * The performance report of the deployment the monitor watches (the same deployment as the drift report's);
 * the monitor polls it while it shows.
 */
export interface IPerformanceModel extends IPolledModel, IAlertPages {
  /** Emitted when the report or the watched deployment changes. */
  readonly changed: ISignal<IPerformanceModel, void>;
  readonly deployments: IDeployment[];
  readonly deployment: string | null;
  readonly report: IPerformanceReport | null;
  /** Watch another deployment (the drift report follows). */
  select(deployment: string): void;
  /** Read a deployment's new predictions and labels now; the report after it. */
  check(deployment: string): Promise<IPerformanceReport>;
  /** Change some settings of a deployment's performance policy; resolves with the whole policy. */
  updatePolicy(deployment: string, change: Partial<IPerformancePolicy>): Promise<IPerformancePolicy>;
  /** Send ground-truth labels (rows, or CSV text with id and label columns). */
  sendLabels(deployment: string, labels: ILabel[] | string): Promise<ILabelsResult>;
  /** Retrain the pipeline of an alert's deployment (and redeploy when it succeeds). */
  retrain(alert: number, options: { redeploy: boolean; parameters?: Record<string, unknown> }): Promise<IDriftAlert>;
  dismiss(alert: number): Promise<IDriftAlert>;
}

/**
 * The model registry as the monitor shows it: every registered model, and of the selected one its
 * versions, gate policy and decisions, and the rollout of the deployment serving it; polled while the
 * monitor shows.
 */
export interface IModelsModel extends IPolledModel {
  /** Emitted when anything it holds, or the selection, changes. */
  readonly changed: ISignal<IModelsModel, void>;
  readonly models: IRegisteredModel[];
  /** The model whose versions are shown (the first one until the user picks another). */
  readonly selected: string | null;
  select(name: string): void;
  /** The selected model's versions, newest first. */
  readonly versions: IModelVersion[];
  /** The deployments serving a version of the selected model, newest first (the first one's rollout is shown). */
  readonly deployments: IDeployment[];
  /** The deployment whose rollout is shown. */
  readonly deployment: string | null;
  selectDeployment(name: string): void;
  readonly rollout: IRollout | null;
  /** Why the rollout could not be read ('' when it could). */
  readonly rolloutError: string;
  readonly policy: IGatePolicy | null;
  /** The main metric of the notebook the newest version came from (its first declared metric), if known. */
  readonly notebookMetric: string | null;
  /** The selected model's decisions, newest first. */
  readonly decisions: IGateDecision[];
  /** The versions (of any model) registered from a run. */
  versionsOfRun(runId: string): Promise<IModelVersion[]>;
  register(request: RegisterRequest): Promise<IModelVersion>;
  deploy(model: string, version: number, options?: VersionDeployOptions): Promise<IDeployment>;
  setAlias(model: string, alias: string, version: number, reason: string): Promise<IModelVersion>;
  setState(model: string, version: number, action: 'archive' | 'restore'): Promise<IModelVersion>;
  startRollout(deployment: string, request: IStartRollout): Promise<IRollout>;
  changePercent(deployment: string, percent: number): Promise<IRollout>;
  decide(
    deployment: string,
    action: 'promote' | 'rollback' | 'evaluate',
    reason?: string
  ): Promise<{ decision: IGateDecision | null; rollout: IRollout }>;
  updatePolicy(model: string, change: Partial<IGatePolicy>): Promise<IGatePolicy>;
}

export const IRunsModel = new Token<IRunsModel>(
  'ai4mlops-lab:IRunsModel',
  'The runs of notebook pipelines the ai4mlops-lab server knows, kept fresh.'
);

export const IDeploymentsModel = new Token<IDeploymentsModel>(
  'ai4mlops-lab:IDeploymentsModel',
  'The model deployments (local and KServe) the ai4mlops-lab server knows, kept fresh.'
);

export const IDriftModel = new Token<IDriftModel>(
  'ai4mlops-lab:IDriftModel',
  'The drift report of the deployment the ai4mlops-lab monitor watches, kept fresh while it shows.'
);

export const IPerformanceModel = new Token<IPerformanceModel>(
  'ai4mlops-lab:IPerformanceModel',
  'The performance report (labels, realized and estimated metric, concept drift) of the deployment the ai4mlops-lab monitor watches.'
);

export const IModelsModel = new Token<IModelsModel>(
  'ai4mlops-lab:IModelsModel',
  'The registered models, their versions, rollouts and promotion gate, as the ai4mlops-lab monitor shows them.'
);

export const ISchedulesModel = new Token<ISchedulesModel>(
  'ai4mlops-lab:ISchedulesModel',
  'The schedules (notebooks run on a cron expression or an interval) the ai4mlops-lab server knows.'
);

export const ITriggersModel = new Token<ITriggersModel>(
  'ai4mlops-lab:ITriggersModel',
  'The data triggers (notebooks run when new files land in a folder or an S3 prefix) the ai4mlops-lab server knows.'
);
