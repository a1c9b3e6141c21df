/** The deployments the server knows, kept fresh by conditional polling (ETag/304). */
import { ISignal, Signal } from '@lumino/signaling';

import {
  deploymentAction,
  deployRun,
  IDeployment,
  IMonitorJobRequest,
  pollAPI,
  removeDeployment,
  scheduleMonitorJob,
  unscheduleMonitorJob
} from '../api';
import { errorMessage } from '../errors';
import { PolledModel } from '../polling';
import { DeployRequest, IDeploymentsModel } from '../tokens';

const POLL_MS = 3000;

export class DeploymentsModel extends PolledModel implements IDeploymentsModel {
  constructor() {
    super({ name: 'ai4mlops-lab:deployments', interval: POLL_MS });
  }

  get changed(): ISignal<this, IDeployment[]> {
    return this._changed;
  }

  get deployments(): IDeployment[] {
    return this._deployments;
  }

  get error(): string {
    return this._error;
  }

  /** Requests per second of a deployment over the last poll interval (null until two polls saw it). */
  rate(name: string): number | null {
    return this._rates.get(name) ?? null;
  }

  /** Deploy a run's model: the list shows the deployment while it starts, and once it is ready. */
  deploy(request: DeployRequest): Promise<IDeployment> {
    const pending = deployRun(request);
    void this.refresh();
    return this.write(pending);
  }

  stop(name: string): Promise<IDeployment> {
    return this.write(deploymentAction(name, 'stop'));
  }

  restart(name: string): Promise<IDeployment> {
    return this.write(deploymentAction(name, 'restart'));
  }

  scheduleMonitorJob(name: string, request: IMonitorJobRequest): Promise<IDeployment> {
    return this.write(scheduleMonitorJob(name, request));
  }

  unscheduleMonitorJob(name: string): Promise<IDeployment> {
    return this.write(unscheduleMonitorJob(name));
  }

  async remove(name: string): Promise<void> {
    await this.write(removeDeployment(name));
  }

  protected async fetch(): Promise<void> {
    try {
      const polled = await pollAPI<{ deployments: IDeployment[] }>('deployments', this._etag);
      if (polled.changed) {
        this._etag = polled.etag;
        this._deployments = polled.data.deployments;
      }
      this._measureRates(this._deployments);
      this._error = '';
      if (polled.changed) {
        this._changed.emit(this._deployments);
      }
    } catch (error) {
      this._error = errorMessage(error); // the list stays as it was
      throw error;
    }
  }

  private _measureRates(deployments: IDeployment[]): void {
    const now = Date.now();
    for (const d of deployments) {
      const requests = d.stats?.requests ?? 0;
      const last = this._counts.get(d.name);
      if (last && now > last.at) {
        this._rates.set(d.name, Math.max(0, requests - last.requests) / ((now - last.at) / 1000));
      }
      this._counts.set(d.name, { requests, at: now });
    }
  }

  private _counts = new Map<string, { requests: number; at: number }>();
  private _rates = new Map<string, number>();
  private _deployments: IDeployment[] = [];
  private _etag = '';
  private _error = '';
  private _changed = new Signal<this, IDeployment[]>(this);
}
