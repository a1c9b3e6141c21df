/**
 * The base of the models that watch one deployment's report and its alerts (drift, performance): the error of
 * the last poll (only for the deployment still watched), and retraining or dismissing an alert, which refresh
 * the report (and the runs, since a retraining starts one). Every alert kind is acted on through the same routes.
 */
import { dismissAlert, IDriftAlert, retrainAlert } from '../api';
import { errorMessage } from '../errors';
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

  protected setError(error: string): void {
    if (error !== this._error) {
      this._error = error;
      this.emitChanged();
    }
  }

  private _error = '';
}
