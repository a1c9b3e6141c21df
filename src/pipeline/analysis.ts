/**
 * Keeps the current notebook's pipeline analysis fresh: re-analyses (debounced) whenever the
 * notebook changes, and tells listeners. The only state the panel and the cell decorations read.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { analyzeNotebook, IPipelineInfo } from '../api';
import { errorMessage } from '../errors';

/** The analysis of one notebook at one moment. */
export interface IAnalysisState {
  panel: NotebookPanel | null;
  result: IPipelineInfo | null;
  /** Why the last analysis failed (the server's message), or ''. */
  error: string;
  busy: boolean;
}

const DEBOUNCE_MS = 300;

export class PipelineAnalysis {
  constructor(private readonly tracker: INotebookTracker) {
    tracker.currentChanged.connect(this._onCurrentChanged, this);
    this._onCurrentChanged();
  }

  /** Emitted whenever the state changes. */
  get changed(): ISignal<this, IAnalysisState> {
    return this._changed;
  }

  get state(): IAnalysisState {
    return this._state;
  }

  /** Analyse the current notebook now. */
  async refresh(): Promise<void> {
    const panel = this._state.panel;
    if (!panel?.context.isReady) {
      return;
    }
    const requestId = ++this._requestId;
    this._update({ busy: true });
    try {
      const notebook = panel.context.model.toJSON();
      const name =
        panel.context.path
          .split('/')
          .pop()
          ?.replace(/\.ipynb$/, '') ?? 'pipeline';
      const result = await analyzeNotebook(notebook, name);
      if (requestId === this._requestId && panel === this._state.panel) {
        this._update({ result, error: '', busy: false });
      }
    } catch (error) {
      if (requestId === this._requestId) {
        this._update({ error: errorMessage(error), busy: false });
      }
    }
  }

  private _onCurrentChanged(): void {
    this._watched?.disconnect(this._schedule, this);
    const panel = this.tracker.currentWidget;
    this._update({ panel, result: null, error: '' });
    if (!panel) {
      this._watched = null;
      return;
    }
    void panel.context.ready.then(() => {
      if (panel !== this._state.panel) {
        return;
      }
      this._watched = panel.context.model.contentChanged;
      this._watched.connect(this._schedule, this);
      void this.refresh();
    });
  }

  private _schedule(): void {
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => void this.refresh(), DEBOUNCE_MS);
  }

  private _update(change: Partial<IAnalysisState>): void {
    this._state = { ...this._state, ...change };
    this._changed.emit(this._state);
  }

  private _state: IAnalysisState = { panel: null, result: null, error: '', busy: false };
  private _changed = new Signal<this, IAnalysisState>(this);
  private _watched: ISignal<unknown, unknown> | null = null;
  private _timer = 0;
  private _requestId = 0;
}
