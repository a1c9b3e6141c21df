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

  /** Requests per second of a deployment over the last poll interval (null until two polls saw it). */
  rate(name: string): number | null {
    return this._rates.get(name) ?? null;
  }

  async refresh(): Promise<void> {
    window.clearTimeout(this._timer);
    try {
      const next = (await fetchDeployments()).deployments;
      this._measureRates(next);
      if (JSON.stringify(next) !== JSON.stringify(this._deployments)) {
        this._deployments = next;
        this._changed.emit(next);
      }
    } catch {
      // the monitor shows the server's health; keep the last list
    }
    this._timer = window.setTimeout(() => void this.refresh(), POLL_MS);
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
  private _timer = 0;
  private _changed = new Signal<this, IDeployment[]>(this);
}
