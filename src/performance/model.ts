/**
 * The performance report of the deployment the monitor watches (the one chosen for drift: one choice for both
 * views), kept fresh by conditional polling (ETag/304) while the monitor is visible; labels, the policy and an
 * immediate round are sent through it.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  AlertKind,
  checkPerformance,
  IDeployment,
  ILabel,
  ILabelsResult,
  IPerformancePolicy,
  IPerformanceReport,
  performanceEndpoint,
  pollAPI,
  sendLabels,
  updatePerformancePolicy
} from '../api';
import { AlertingModel } from '../drift/alerting';
import { IPerformanceModel } from '../tokens';

const POLL_MS = 3000;

/** The deployment chosen (the drift model's choice), and the deployments to choose from. */
export interface IDeploymentChoice {
  readonly deployments: IDeployment[];
  readonly deployment: string | null;
  readonly changed: ISignal<unknown, unknown>;
  select(name: string): void;
}

export class PerformanceModel extends AlertingModel implements IPerformanceModel {
  /**
   * @param choice the deployment watched, chosen there
   * @param runs refreshed after a retraining starts (it starts a run)
   */
  constructor(
    private readonly choice: IDeploymentChoice,
    runs: { refresh(): Promise<void> } | null = null
  ) {
    super({ name: 'ai4mlops-lab:performance', interval: POLL_MS }, runs);
    choice.changed.connect(this._onChoice, this);
    this._onChoice();
  }

  /** Emitted when the report or the watched deployment changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get deployments(): IDeployment[] {
    return this.choice.deployments;
  }

  get deployment(): string | null {
    return this._deployment;
  }

  /** The watched deployment's report (null until the first answer). */
  get report(): IPerformanceReport | null {
    return this._report;
  }

  /** Watch another deployment (the drift view follows). */
  select(name: string): void {
    this.choice.select(name);
  }

  /** Read new predictions and labels now; the report after it. */
  check(deployment: string): Promise<IPerformanceReport> {
    return this.write(checkPerformance(deployment));
  }

  updatePolicy(deployment: string, change: Partial<IPerformancePolicy>): Promise<IPerformancePolicy> {
    return this.write(updatePerformancePolicy(deployment, change));
  }

  /** Send labels (rows, or CSV text), then read them at once so that the report shows them. */
  async sendLabels(deployment: string, labels: ILabel[] | string): Promise<ILabelsResult> {
    const result = await sendLabels(deployment, labels);
    try {
      await this.write(checkPerformance(deployment));
    } catch {
      // Stored all the same: the server's background round reads them, and the poll shows them.
    }
    return result;
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.choice.changed.disconnect(this._onChoice, this);
      super.dispose();
    }
  }

  protected emitChanged(): void {
    this._changed.emit();
  }

  protected readonly alertKinds: AlertKind[] = ['performance', 'concept_drift'];

  protected async poll(deployment: string): Promise<void> {
    const polled = await pollAPI<IPerformanceReport>(performanceEndpoint(deployment), this._etag);
    if (polled.changed && deployment === this._deployment) {
      this._etag = polled.etag;
      this._report = polled.data;
      this.showAlerts(polled.data);
      this._changed.emit();
    }
  }

  private _onChoice(): void {
    if (this.choice.deployment !== this._deployment) {
      this._deployment = this.choice.deployment;
      this._report = null;
      this.showAlerts(null);
      this._etag = '';
      this.setError('');
      this._changed.emit();
      if (this._deployment !== null && this.isPolling) {
        void this.refresh();
      }
    }
  }

  private _deployment: string | null = null;
  private _report: IPerformanceReport | null = null;
  private _etag = '';
  private _changed = new Signal<this, void>(this);
}
