/**
 * The drift report of the deployment the monitor watches, kept fresh by conditional polling
 * (ETag/304) while the monitor is visible: the whole report, plus the distributions of the
 * selected feature (`?feature=`). Selections survive every refresh.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  AlertKind,
  checkDrift,
  driftEndpoint,
  IDeployment,
  IDriftPolicy,
  IDriftReport,
  IDriftWindow,
  IFeatureDistribution,
  pollAPI,
  updateDriftPolicy
} from '../api';
import { IDriftModel } from '../tokens';
import { AlertingModel } from './alerting';

const POLL_MS = 3000;

/** Where the deployments come from (the monitor's DeploymentsModel). */
export interface IDeploymentsSource {
  readonly deployments: IDeployment[];
  readonly changed: ISignal<unknown, IDeployment[]>;
}

/** The newest deployment (by creation time), or null when there is none. */
export function newestDeployment(deployments: IDeployment[]): IDeployment | null {
  return deployments.reduce<IDeployment | null>(
    (newest, d) => (newest === null || d.created_at > newest.created_at ? d : newest),
    null
  );
}

export type Verdict = 'drift' | 'no-drift' | 'insufficient';

/** What a window concluded. */
export function verdictOf(window: IDriftWindow): Verdict {
  if (window.status !== 'ok' || window.drift === null) {
    return 'insufficient';
  }
  return window.drift ? 'drift' : 'no-drift';
}

/** A p-value for people: 3 significant digits, scientific below 0.001. */
export function formatPValue(p: number | null): string {
  if (p === null || p === undefined) {
    return '–';
  }
  if (p === 0) {
    return '< 1e-16'; // below what a double can tell from zero
  }
  return p < 0.001 ? p.toExponential(1) : p.toPrecision(3);
}

/** "p = 0.0457", "p < 1e-16". */
export function pValueText(p: number | null): string {
  const value = formatPValue(p);
  return value.startsWith('<') ? `p ${value}` : `p = ${value}`;
}

/** The feature to show first: the most drifted one of the newest window, else the reference's first. */
export function defaultFeature(report: IDriftReport): string | null {
  const tested = [...(report.latest?.features ?? [])].filter(f => f.adjusted_p_value !== null);
  tested.sort((a, b) => a.adjusted_p_value! - b.adjusted_p_value!);
  if (tested.length) {
    return tested[0].name;
  }
  return report.reference.available ? (report.reference.features[0]?.name ?? null) : null;
}

/** The names of the features of a report: the reference's, else those the windows tested. */
export function featureNames(report: IDriftReport): string[] {
  if (report.reference.available) {
    return report.reference.features.map(f => f.name);
  }
  return [...new Set(report.windows.flatMap(w => w.features.map(f => f.name)))];
}

export class DriftModel extends AlertingModel implements IDriftModel {
  /**
   * @param source the deployments to watch
   * @param runs refreshed after a retraining starts (it starts a run)
   */
  constructor(
    private readonly source: IDeploymentsSource,
    runs: { refresh(): Promise<void> } | null = null
  ) {
    super({ name: 'ai4mlops-lab:drift', interval: POLL_MS }, runs);
    source.changed.connect(this._onDeployments, this);
    this._onDeployments();
  }

  /** Emitted when the report, a selection or the deployments change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get deployments(): IDeployment[] {
    return this.source.deployments;
  }

  /** The watched deployment's name. */
  get deployment(): string | null {
    return this._deployment;
  }

  /** The feature whose distributions are shown. */
  get feature(): string | null {
    return this._feature;
  }

  /** The watched deployment's report (null until the first answer). */
  get report(): IDriftReport | null {
    return this._report;
  }

  /** The selected feature's reference and current distributions. */
  get distribution(): IFeatureDistribution | null {
    return this._distribution?.name === this._feature ? this._distribution : null;
  }

  /** Watch another deployment. */
  select(name: string): void {
    if (name !== this._deployment) {
      this._deployment = name;
      this._forget();
      void this.refresh();
    }
  }

  /** Show another feature's distributions. */
  selectFeature(name: string): void {
    if (name !== this._feature) {
      this._feature = name;
      this._featureEtag = '';
      this._changed.emit();
      void this.refresh();
    }
  }

  check(deployment: string): Promise<IDriftWindow> {
    return this.write(checkDrift(deployment));
  }

  updatePolicy(deployment: string, change: Partial<IDriftPolicy>): Promise<IDriftPolicy> {
    return this.write(updateDriftPolicy(deployment, change));
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.source.changed.disconnect(this._onDeployments, this);
      super.dispose();
    }
  }

  protected emitChanged(): void {
    this._changed.emit();
  }

  protected readonly alertKinds: AlertKind[] = ['data_drift'];

  /** Poll the watched deployment's report, then its selected feature. */
  protected async poll(deployment: string): Promise<void> {
    const polled = await pollAPI<IDriftReport>(driftEndpoint(deployment), this._etag);
    if (deployment !== this._deployment) {
      return; // the user picked another deployment meanwhile
    }
    if (polled.changed) {
      this._etag = polled.etag;
      this._report = polled.data;
      this.showAlerts(polled.data);
      const names = featureNames(polled.data);
      if (this._feature === null || !names.includes(this._feature)) {
        this._feature = defaultFeature(polled.data);
        this._featureEtag = '';
      }
      this._changed.emit();
    }
    const feature = this._feature;
    if (feature === null) {
      return;
    }
    const detail = await pollAPI<IDriftReport>(driftEndpoint(deployment, feature), this._featureEtag);
    if (detail.changed && deployment === this._deployment && feature === this._feature) {
      this._featureEtag = detail.etag;
      this._distribution = detail.data.feature;
      this._changed.emit();
    }
  }

  private _onDeployments(): void {
    const names = this.source.deployments.map(d => d.name);
    if (this._deployment === null || !names.includes(this._deployment)) {
      this._deployment = newestDeployment(this.source.deployments)?.name ?? null;
      this._forget();
      if (this._deployment !== null && this.isPolling) {
        void this.refresh();
      }
    }
    this._changed.emit();
  }
  /** Drop what belongs to the previously watched deployment. */
  private _forget(): void {
    this._report = null;
    this.showAlerts(null);
    this._distribution = null;
    this._feature = null;
    this._etag = '';
    this._featureEtag = '';
    this.setError('');
    this._changed.emit();
  }

  private _deployment: string | null = null;
  private _feature: string | null = null;
  private _report: IDriftReport | null = null;
  private _distribution: IFeatureDistribution | null = null;
  private _etag = '';
  private _featureEtag = '';
  private _changed = new Signal<this, void>(this);
}
