/**
 * The base of the models that watch one deployment's report and its alerts (drift, performance): the error of
 * the last poll (only for the deployment still watched), the alerts (the report's newest, then older pages read
 * on request), and retraining or dismissing an alert, which refresh the report (and the runs, since a retraining
 * starts one). Every alert kind is acted on through the same routes.
 */
import { AlertKind, dismissAlert, fetchAlertsPage, IDriftAlert, retrainAlert } from '../api';
import { errorMessage } from '../errors';
import { PagedList } from '../paging';
import { IPolledModelOptions, PolledModel } from '../polling';

export abstract class AlertingModel extends PolledModel {
  /**
   * @param runs refreshed after a retraining starts (it starts a run)
   */
  constructor(
    options: IPolledModelOptions,
    private readonly runs: { refresh(): Promise<void> } | null
  ) {
    super(options);
  }

  /** The watched deployment's name. */
  abstract get deployment(): string | null;

  /** Why the last poll failed ('' when it did not). */
  get error(): string {
    return this._error;
  }

  async retrain(
    alert: number,
    options: { redeploy: boolean; parameters?: Record<string, unknown> }
  ): Promise<IDriftAlert> {
    try {
      return await this.write(retrainAlert(alert, options));
    } finally {
      await this.runs?.refresh();
    }
  }

  dismiss(alert: number): Promise<IDriftAlert> {
    return this.write(dismissAlert(alert));
  }

  /** The watched deployment's alerts, newest first: the report's newest, then those `loadMoreAlerts` read. */
  get alerts(): IDriftAlert[] {
    return this._alerts.items;
  }

  get hasMoreAlerts(): boolean {
    return this._alerts.hasMore;
  }

  /** Read the next page of the watched deployment's older alerts; a failure is the model's error. */
  async loadMoreAlerts(): Promise<void> {
    const deployment = this.deployment;
    const cursor = this._alerts.cursor;
    if (deployment === null || cursor === null || this._loadingAlerts) {
      return;
    }
    this._loadingAlerts = true;
    try {
      const page = await fetchAlertsPage(deployment, this.alertKinds, cursor);
      if (deployment === this.deployment && cursor === this._alerts.cursor) {
        this._alerts.addMore(page.alerts, page.next_cursor);
        this.emitChanged();
      }
    } catch (error) {
      if (deployment === this.deployment) {
        this.setError(errorMessage(error));
      }
    } finally {
      this._loadingAlerts = false;
    }
  }

  /** Poll the watched deployment with `poll`; its failure is the model's error while it is still watched. */
  protected async fetch(): Promise<void> {
    const deployment = this.deployment;
    if (deployment === null) {
      return;
    }
    try {
      await this.poll(deployment);
      this.setError('');
    } catch (error) {
      if (deployment === this.deployment) {
        this.setError(errorMessage(error));
      }
      throw error;
    }
  }

  /** Ask the server about `deployment` and apply the answer (unless another deployment is watched by then). */
  protected abstract poll(deployment: string): Promise<void>;

  /** Emit the model's change signal. */
  protected abstract emitChanged(): void;

  /** The kinds of alert the report lists (and `loadMoreAlerts` reads on). */
  protected abstract readonly alertKinds: AlertKind[];

  /** The alerts of a new report (null: no report, e.g. another deployment is watched now). */
  protected showAlerts(report: { alerts: IDriftAlert[]; alerts_next_cursor: string | null } | null): void {
    if (report === null) {
      this._alerts.clear();
    } else {
      this._alerts.setFirst(report.alerts, report.alerts_next_cursor);
    }
  }

  protected setError(error: string): void {
    if (error !== this._error) {
      this._error = error;
      this.emitChanged();
    }
  }

  private _error = '';
  private _alerts = new PagedList<IDriftAlert>(alert => alert.id);
  private _loadingAlerts = false;
}
