/**
 * The model registry as the monitor shows it, kept fresh while the monitor is visible: the models
 * (conditional polling, ETag/304), and of the selected model its versions, gate policy and
 * decisions (fetched again whenever the models or the rollout change, or after a write), and the
 * rollout of the deployment serving it (conditional polling). Selections survive every refresh.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  changeRollout,
  decideRollout,
  deployModelVersion,
  fetchGateDecisions,
  fetchGatePolicy,
  fetchModelVersions,
  fetchRankedRuns,
  IDeployment,
  IGateDecision,
  IGatePolicy,
  IModelVersion,
  IRegisteredModel,
  IRollout,
  IStartRollout,
  pollAPI,
  registerModel,
  rolloutEndpoint,
  setModelAlias,
  setModelVersionState,
  startRollout,
  updateGatePolicy
} from '../api';
import { errorMessage } from '../errors';
import { PolledModel } from '../polling';
import { IModelsModel, RegisterRequest, VersionDeployOptions } from '../tokens';

const POLL_MS = 3000;

/** Where the deployments come from (the monitor's DeploymentsModel), refreshed after a version is deployed. */
export interface IDeploymentsSource {
  readonly deployments: IDeployment[];
  readonly changed: ISignal<unknown, IDeployment[]>;
  refresh(): Promise<void>;
}

/** The deployments serving a version of `model` (by `config.version.model`), newest first. */
export function servingDeployments(deployments: IDeployment[], model: string | null): IDeployment[] {
  return deployments
    .filter(d => model !== null && d.config?.version?.model === model)
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
}

/** Which versions a rollout runs, how, and the gate's verdict: what changes when it moves (not its live counts). */
export function rolloutStage(rollout: IRollout | null): string {
  return rollout === null
    ? ''
    : JSON.stringify([
        rollout.stable.version,
        rollout.candidate?.version,
        rollout.mode,
        rollout.percent,
        rollout.gate?.verdict
      ]);
}

export class ModelsModel extends PolledModel implements IModelsModel {
  constructor(private readonly source: IDeploymentsSource) {
    super({ name: 'ai4mlops-lab:models', interval: POLL_MS });
    source.changed.connect(this._onDeployments, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get models(): IRegisteredModel[] {
    return this._models;
  }

  get selected(): string | null {
    return this._selected;
  }

  get versions(): IModelVersion[] {
    return this._versions;
  }

  get deployments(): IDeployment[] {
    return servingDeployments(this.source.deployments, this._selected);
  }

  get deployment(): string | null {
    return this._deployment;
  }

  get rollout(): IRollout | null {
    return this._rollout;
  }

  get rolloutError(): string {
    return this._rolloutError;
  }

  get policy(): IGatePolicy | null {
    return this._policy;
  }

  get decisions(): IGateDecision[] {
    return this._decisions;
  }

  get notebookMetric(): string | null {
    return this._notebookMetric;
  }

  get error(): string {
    return this._error;
  }

  /** Show another model. */
  select(name: string): void {
    if (name !== this._selected) {
      this._selected = name;
      this._forgetModel();
      void this.refresh();
    }
  }

  /** Show the rollout of another deployment of the selected model. */
  selectDeployment(name: string): void {
    if (name !== this._deployment) {
      this._chosenDeployment = name;
      this._deployment = name;
      this._forgetRollout();
      void this.refresh();
    }
  }

  async versionsOfRun(runId: string): Promise<IModelVersion[]> {
    const all = await Promise.all(this._models.map(m => fetchModelVersions(m.name)));
    return all.flatMap(reply => reply.versions).filter(v => v.run_id === runId);
  }

  /** Register a run's model; the registered model is shown. */
  async register(request: RegisterRequest): Promise<IModelVersion> {
    const version = await this.write(registerModel(request));
    this.select(version.model);
    return version;
  }

  /** Deploy a version; the deployments list is refreshed, so the rollout panel finds it. */
  async deploy(model: string, version: number, options: VersionDeployOptions = {}): Promise<IDeployment> {
    try {
      return await this.write(deployModelVersion(model, version, options));
    } finally {
      await this.source.refresh();
    }
  }

  setAlias(model: string, alias: string, version: number, reason: string): Promise<IModelVersion> {
    return this.write(setModelAlias(model, alias, { version, ...(reason ? { reason } : {}) }));
  }

  setState(model: string, version: number, action: 'archive' | 'restore'): Promise<IModelVersion> {
    return this.write(setModelVersionState(model, version, action));
  }

  startRollout(deployment: string, request: IStartRollout): Promise<IRollout> {
    return this.write(startRollout(deployment, request));
  }

  changePercent(deployment: string, percent: number): Promise<IRollout> {
    return this.write(changeRollout(deployment, { percent }));
  }

  decide(
    deployment: string,
    action: 'promote' | 'rollback' | 'evaluate',
    reason = ''
  ): Promise<{ decision: IGateDecision | null; rollout: IRollout }> {
    return this.write(decideRollout(deployment, action, reason ? { reason } : {}));
  }

  updatePolicy(model: string, change: Partial<IGatePolicy>): Promise<IGatePolicy> {
    return this.write(updateGatePolicy(model, change));
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.source.changed.disconnect(this._onDeployments, this);
      super.dispose();
    }
  }

  /** A write changes what the model holds: fetch the selected model's details again once it is done. */
  protected write<T>(request: Promise<T>): Promise<T> {
    return super.write(request.finally(() => (this._stale = true)));
  }

  protected async fetch(): Promise<void> {
    try {
      await this._fetchModels();
      this._setError('');
    } catch (error) {
      this._setError(errorMessage(error));
      throw error;
    }
  }

  private async _fetchModels(): Promise<void> {
    const polled = await pollAPI<{ models: IRegisteredModel[] }>('models', this._etag);
    let stale = this._stale;
    this._stale = false;
    if (polled.changed) {
      this._etag = polled.etag;
      this._models = polled.data.models;
      stale = true;
      if (this._selected === null || !this._models.some(m => m.name === this._selected)) {
        this._selected = this._models[0]?.name ?? null;
        this._forgetModel();
      }
      this._changed.emit();
    }
    const name = this._selected;
    if (name === null) {
      return;
    }
    const moved = await this._fetchRollout();
    if (stale || moved || this._detailsOf !== name) {
      await this._fetchDetails(name);
    }
  }

  /**
   * Poll the shown deployment's rollout; whether it moved (another version, mode, share or verdict: what
   * the versions' aliases and the decisions follow; not its live counts). A failure is the rollout's own error.
   */
  private async _fetchRollout(): Promise<boolean> {
    const deployment = this._deployment;
    if (deployment === null) {
      return false;
    }
    try {
      const polled = await pollAPI<IRollout>(rolloutEndpoint(deployment), this._rolloutEtag);
      if (deployment !== this._deployment || !polled.changed) {
        return false;
      }
      const moved = rolloutStage(polled.data) !== rolloutStage(this._rollout);
      this._rolloutEtag = polled.etag;
      this._rollout = polled.data;
      this._rolloutError = '';
      this._changed.emit();
      return moved;
    } catch (error) {
      if (deployment === this._deployment && this._rolloutError !== errorMessage(error)) {
        this._rolloutError = errorMessage(error);
        this._changed.emit();
      }
      return false;
    }
  }

  /** The selected model's versions, policy and decisions, and its notebook's main metric. */
  private async _fetchDetails(name: string): Promise<void> {
    const [versions, policy, decisions] = await Promise.all([
      fetchModelVersions(name),
      fetchGatePolicy(name).catch(() => null),
      fetchGateDecisions(name).catch(() => ({ decisions: [] as IGateDecision[] }))
    ]);
    const notebook = versions.versions[0]?.notebook_path;
    const ranking = notebook ? await fetchRankedRuns(notebook).catch(() => null) : null;
    if (name !== this._selected) {
      return; // the user picked another model meanwhile
    }
    this._detailsOf = name;
    this._notebookMetric = ranking?.metric?.name ?? null;
    this._versions = versions.versions;
    this._policy = policy;
    this._decisions = decisions.decisions;
    this._changed.emit();
  }

  /** Follow the deployments: the shown one stays while it serves the model, else the newest serving it. */
  private _onDeployments(): void {
    const names = this.deployments.map(d => d.name);
    const next =
      this._chosenDeployment !== null && names.includes(this._chosenDeployment)
        ? this._chosenDeployment
        : (names[0] ?? null);
    if (next !== this._deployment) {
      this._deployment = next;
      this._forgetRollout();
      if (this.isPolling) {
        void this.refresh();
      }
    }
    this._changed.emit();
  }

  /** Drop what belongs to the previously selected model. */
  private _forgetModel(): void {
    this._detailsOf = null;
    this._notebookMetric = null;
    this._versions = [];
    this._policy = null;
    this._decisions = [];
    this._chosenDeployment = null;
    this._deployment = this.deployments[0]?.name ?? null;
    this._forgetRollout();
  }

  private _forgetRollout(): void {
    this._rollout = null;
    this._rolloutEtag = '';
    this._rolloutError = '';
    this._changed.emit();
  }

  private _setError(error: string): void {
    if (error !== this._error) {
      this._error = error;
      this._changed.emit();
    }
  }

  private _models: IRegisteredModel[] = [];
  private _selected: string | null = null;
  /** The model whose versions, policy and decisions are held. */
  private _detailsOf: string | null = null;
  private _versions: IModelVersion[] = [];
  private _policy: IGatePolicy | null = null;
  private _decisions: IGateDecision[] = [];
  private _notebookMetric: string | null = null;
  /** The deployment the user picked (null: the newest serving the model). */
  private _chosenDeployment: string | null = null;
  private _deployment: string | null = null;
  private _rollout: IRollout | null = null;
  private _rolloutEtag = '';
  private _rolloutError = '';
  private _etag = '';
  private _error = '';
  /** Whether the selected model's details must be fetched again (after a write). */
  private _stale = false;
  private _changed = new Signal<this, void>(this);
}
