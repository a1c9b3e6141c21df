/**
 * The runs the server knows, kept fresh by cheap conditional polling (ETag/304): fast while a
 * run is active, slow otherwise. Shared by the pipeline panel, the cells and the monitor.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { cancelRun, IRun, pollAPI, startRun } from '../api';
import { errorMessage } from '../errors';
import { PolledModel } from '../polling';
import { IRunOrigin, IRunsModel, RunRequest } from '../tokens';

const ACTIVE_MS = 1000;
const IDLE_MS = 5000;

export function isActive(run: IRun): boolean {
  return run.status === 'pending' || run.status === 'running';
}

export class RunsModel extends PolledModel implements IRunsModel {
  constructor() {
    super({ name: 'ai4mlops-lab:runs', interval: IDLE_MS });
  }

  /** Emitted whenever the list of runs changes. */
  get changed(): ISignal<this, IRun[]> {
    return this._changed;
  }

  get runs(): IRun[] {
    return this._runs;
  }

  get error(): string {
    return this._error;
  }

  /** The newest run of a notebook (by its path under the server root). */
  latestFor(notebookPath: string): IRun | null {
    return this._runs.find(run => run.notebook_path === notebookPath) ?? null;
  }

  /** The run whose detail the monitor shows (set by links elsewhere, e.g. a deployment's run). */
  get selected(): string | null {
    return this._selected;
  }

  select(id: string | null): void {
    this._selected = id;
    this._changed.emit(this._runs);
  }

  async submit(request: RunRequest): Promise<IRun> {
    return this._upsert(await this.write(startRun(request)));
  }

  async cancel(id: string): Promise<IRun> {
    return this._upsert(await this.write(cancelRun(id)));
  }

  get origin(): IRunOrigin | null {
    return this._origin;
  }

  get originRuns(): IRun[] {
    return this._originRuns;
  }

  filterByOrigin(origin: IRunOrigin | null): void {
    if (origin?.kind !== this._origin?.kind || origin?.name !== this._origin?.name) {
      this._origin = origin;
      this._originRuns = [];
      this._originEtag = '';
      this._changed.emit(this._runs);
      void this.refresh();
    }
  }

  protected async fetch(): Promise<void> {
    try {
      const polled = await pollAPI<{ runs: IRun[] }>('runs', this._etag);
      if (polled.changed) {
        this._etag = polled.etag;
        this._runs = polled.data.runs;
      }
      const origin = this._origin;
      const filtered = origin
        ? await pollAPI<{ runs: IRun[] }>(`runs?${origin.kind}=${encodeURIComponent(origin.name)}`, this._originEtag)
        : null;
      if (filtered?.changed && origin === this._origin) {
        this._originEtag = filtered.etag;
        this._originRuns = filtered.data.runs;
      }
      if (polled.changed || filtered?.changed) {
        this._changed.emit(this._runs);
      }
      this._error = '';
    } catch (error) {
      this._error = errorMessage(error);
      throw error;
    } finally {
      this.setInterval(this._runs.some(isActive) ? ACTIVE_MS : IDLE_MS);
    }
  }

  /** Show a run the server just returned, should the refreshed list not have it (the refresh failed). */
  private _upsert(run: IRun): IRun {
    if (!this._runs.some(r => r.id === run.id)) {
      this._runs = [run, ...this._runs];
      this._changed.emit(this._runs);
    }
    return run;
  }

  private _selected: string | null = null;
  private _origin: IRunOrigin | null = null;
  private _originRuns: IRun[] = [];
  private _originEtag = '';
  private _runs: IRun[] = [];
  private _etag = '';
  private _error = '';
  private _changed = new Signal<this, IRun[]>(this);
}
