/**
 * The runs the server knows, kept fresh by cheap conditional polling (ETag/304) of their newest page: fast while
 * a run is active, slow otherwise. Older pages are read when asked for (`loadMore`). Shared by the pipeline panel,
 * the cells and the monitor.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { cancelRun, IRun, IRunsPage, pollAPI, requestAPI, runsPageEndpoint, startRun } from '../api';
import { errorMessage } from '../errors';
import { PagedList } from '../paging';
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
    return this._all.items;
  }

  get error(): string {
    return this._error;
  }

  /** The newest run of a notebook (by its path under the server root). */
  latestFor(notebookPath: string): IRun | null {
    return this.runs.find(run => run.notebook_path === notebookPath) ?? null;
  }

  /** The run whose detail the monitor shows (set by links elsewhere, e.g. a deployment's run). */
  get selected(): string | null {
    return this._selected;
  }

  select(id: string | null): void {
    this._selected = id;
    this._changed.emit(this.runs);
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
    return this._byOrigin.items;
  }

  filterByOrigin(origin: IRunOrigin | null): void {
    if (origin?.kind !== this._origin?.kind || origin?.name !== this._origin?.name) {
      this._origin = origin;
      this._byOrigin.clear();
      this._originEtag = '';
      this._changed.emit(this.runs);
      void this.refresh();
    }
  }

  get hasMore(): boolean {
    return (this._origin ? this._byOrigin : this._all).hasMore;
  }

  async loadMore(): Promise<void> {
    const origin = this._origin;
    const list = origin ? this._byOrigin : this._all;
    const cursor = list.cursor;
    if (cursor === null || this._loading) {
      return;
    }
    this._loading = true;
    try {
      const page = await requestAPI<IRunsPage>(runsPageEndpoint(origin, cursor));
      if (origin === this._origin && cursor === list.cursor) {
        list.addMore(page.runs, page.next_cursor);
        this._error = '';
        this._changed.emit(this.runs);
      }
    } catch (error) {
      this._error = errorMessage(error);
      this._changed.emit(this.runs);
    } finally {
      this._loading = false;
    }
  }

  protected async fetch(): Promise<void> {
    try {
      const polled = await pollAPI<IRunsPage>(runsPageEndpoint(null, null), this._etag);
      if (polled.changed) {
        this._etag = polled.etag;
        this._all.setFirst(polled.data.runs, polled.data.next_cursor);
      }
      const origin = this._origin;
      const filtered = origin ? await pollAPI<IRunsPage>(runsPageEndpoint(origin, null), this._originEtag) : null;
      if (filtered?.changed && origin === this._origin) {
        this._originEtag = filtered.etag;
        this._byOrigin.setFirst(filtered.data.runs, filtered.data.next_cursor);
      }
      if (polled.changed || filtered?.changed) {
        this._changed.emit(this.runs);
      }
      this._error = '';
    } catch (error) {
      this._error = errorMessage(error);
      throw error;
    } finally {
      this.setInterval(this.runs.some(isActive) ? ACTIVE_MS : IDLE_MS);
    }
  }

  /** Show a run the server just returned, should the refreshed list not have it (the refresh failed). */
  private _upsert(run: IRun): IRun {
    if (!this.runs.some(r => r.id === run.id)) {
      this._all.prepend(run);
      this._changed.emit(this.runs);
    }
    return run;
  }

  private _selected: string | null = null;
  private _origin: IRunOrigin | null = null;
  private _byOrigin = new PagedList<IRun>(run => run.id);
  private _originEtag = '';
  private _all = new PagedList<IRun>(run => run.id);
  private _loading = false;
  private _etag = '';
  private _error = '';
  private _changed = new Signal<this, IRun[]>(this);
}
