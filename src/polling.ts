/**
 * The base of the models kept fresh from the server: a `Poll` (@lumino/polling) that backs off
 * while the server fails, stands by while the page is hidden, and ends when the model is disposed.
 */
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { Signal } from '@lumino/signaling';

/** The longest wait between two polls, reached by backing off while the server fails. */
export const MAX_INTERVAL_MS = 30000;

export interface IPolledModelOptions {
  /** The poll's name (for debugging). */
  name: string;
  /** Milliseconds between two polls while the server answers. */
  interval: number;
}

export abstract class PolledModel implements IDisposable {
  constructor(options: IPolledModelOptions) {
    this._poller = new Poll({
      auto: false,
      factory: () => this._fetchInTurn(),
      frequency: { interval: options.interval, backoff: true, max: MAX_INTERVAL_MS },
      name: options.name,
      standby: 'when-hidden'
    });
  }

  get isDisposed(): boolean {
    return this._poller.isDisposed;
  }

  /** Whether the model polls (between `startPolling()` and `stopPolling()`). */
  get isPolling(): boolean {
    return this._polling;
  }

  /** Poll until `stopPolling()` or `dispose()` (idempotent). */
  startPolling(): void {
    if (!this.isDisposed) {
      this._polling = true;
      void this._poller.start();
    }
  }

  stopPolling(): void {
    this._polling = false;
    void this._poller.stop();
  }

  /**
   * Fetch now, after any fetch in flight (answers are applied in order), and count the next poll
   * from now. Never rejects: a failure is the model's `error`.
   */
  async refresh(): Promise<void> {
    if (this.isDisposed) {
      return;
    }
    try {
      await this._fetchInTurn();
    } catch {
      return; // the poll keeps its backoff
    }
    if (this._polling && !this.isDisposed) {
      void this._poller.schedule({ interval: this._poller.frequency.interval, phase: 'refreshed' });
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._polling = false;
    this._poller.dispose();
    Signal.clearData(this);
  }

  /** Ask the server and apply its answer; reject on failure (the poll then backs off). */
  protected abstract fetch(): Promise<void>;

  /** Milliseconds between two polls from now on (while the server answers). */
  protected setInterval(ms: number): void {
    this._poller.frequency = { ...this._poller.frequency, interval: ms };
  }

  /** Await a write to the server, then refresh whatever its outcome, so listeners see its effect at once. */
  protected async write<T>(request: Promise<T>): Promise<T> {
    try {
      return await request;
    } finally {
      await this.refresh();
    }
  }

  private _fetchInTurn(): Promise<void> {
    const next = this._last.catch(() => undefined).then(() => this.fetch());
    this._last = next;
    return next;
  }

  private _poller: Poll;
  private _polling = false;
  private _last: Promise<void> = Promise.resolve();
}
