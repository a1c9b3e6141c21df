/**
 * The runs the server knows, kept fresh by cheap conditional polling (ETag/304): fast while a
 * run is active, slow otherwise. Shared by the pipeline panel, the cells and the monitor.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IRun, pollAPI } from '../api';

const ACTIVE_MS = 1000;
const IDLE_MS = 5000;

export function isActive(run: IRun): boolean {
  return run.status === 'pending' || run.status === 'running';
}

export class RunsModel {
  /** Emitted whenever the list of runs changes. */
  get changed(): ISignal<this, IRun[]> {
    return this._changed;
  }

  get runs(): IRun[] {
    return this._runs;
  }

  /** The newest run of a notebook (by its path under the server root). */
  latestFor(notebookPath: string): IRun | null {
    return this._runs.find(run => run.notebook_path === notebookPath) ?? null;
  }

  /** Start polling (idempotent). */
  start(): void {
    if (!this._timer) {
      void this.refresh();
    }
  }

  /** Poll now, and schedule the next poll. */
  async refresh(): Promise<void> {
    window.clearTimeout(this._timer);
    try {
      const polled = await pollAPI<{ runs: IRun[] }>('runs', this._etag);
      if (polled.changed) {
        this._etag = polled.etag;
        this._runs = polled.data.runs;
        this._changed.emit(this._runs);
      }
      this.error = '';
    } catch (error) {
      this.error = String(error);
    }
    const delay = this._runs.some(isActive) ? ACTIVE_MS : IDLE_MS;
    this._timer = window.setTimeout(() => void this.refresh(), delay);
  }

  /** Add or replace a run just returned by the server, and poll soon. */
  upsert(run: IRun): void {
    this._runs = [run, ...this._runs.filter(r => r.id !== run.id)];
    this._changed.emit(this._runs);
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => void this.refresh(), ACTIVE_MS);
  }

  /** The run whose detail the monitor shows (set by links elsewhere, e.g. a deployment's run). */
  get selected(): string | null {
    return this._selected;
  }

  select(id: string | null): void {
    this._selected = id;
    this._changed.emit(this._runs);
  }

  error = '';
  private _selected: string | null = null;
  private _runs: IRun[] = [];
  private _etag = '';
  private _timer = 0;
  private _changed = new Signal<this, IRun[]>(this);
}
