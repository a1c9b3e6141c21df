/** The deployments the server knows, polled while the monitor or a deploy needs them. */
import { ISignal, Signal } from '@lumino/signaling';

import { fetchDeployments, IDeployment } from '../api';

const POLL_MS = 3000;

export class DeploymentsModel {
  get changed(): ISignal<this, IDeployment[]> {
    return this._changed;
  }

  get deployments(): IDeployment[] {
    return this._deployments;
  }

  start(): void {
    if (!this._timer) {
      void this.refresh();
    }
  }

  async refresh(): Promise<void> {
    window.clearTimeout(this._timer);
    try {
      const next = (await fetchDeployments()).deployments;
      if (JSON.stringify(next) !== JSON.stringify(this._deployments)) {
        this._deployments = next;
        this._changed.emit(next);
      }
    } catch {
      // the monitor shows the server's health; keep the last list
    }
    this._timer = window.setTimeout(() => void this.refresh(), POLL_MS);
  }

  private _deployments: IDeployment[] = [];
  private _timer = 0;
  private _changed = new Signal<this, IDeployment[]>(this);
}
