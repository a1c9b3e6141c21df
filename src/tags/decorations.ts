/**
 * Shows the pipeline on the notebook itself: a coloured marker and a chip with the step name on
 * every tagged cell, and the compiler's diagnostics under the cell they concern.
 */
import { Cell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';

import { IDiagnostic, IRun, IStepInfo } from '../api';
import { IAnalysisState, PipelineAnalysis } from '../pipeline/analysis';
import { IRunsModel } from '../tokens';
import { cellTags } from './cells';
import { cellColour, parseTags } from './model';

const TAGGED = 'a4m-mod-tagged';

/** The chip's text: the role, with the step's upstreams. */
function chipText(tags: string[]): string {
  const step = parseTags(tags);
  if (step.kind === 'none') {
    return '';
  }
  if (step.kind !== 'step') {
    return step.kind;
  }
  const name = step.name || '↑ (continues)';
  return step.prev.length ? `${name} ← ${step.prev.join(', ')}` : name;
}

function decorateCell(cell: Cell): void {
  const tags = cellTags(cell);
  const step = parseTags(tags);
  const colour = cellColour(step.kind, step.name);
  let chip = cell.node.querySelector<HTMLElement>(':scope > .a4m-StepChip');
  if (!colour) {
    cell.removeClass(TAGGED);
    chip?.remove();
    return;
  }
  cell.addClass(TAGGED);
  cell.node.style.setProperty('--a4m-cell-colour', colour);
  if (!chip) {
    chip = document.createElement('div');
    chip.className = 'a4m-StepChip';
    cell.node.appendChild(chip);
  }
  chip.textContent = chipText(tags);
  chip.dataset.kind = step.kind;
}

function showDiagnostics(cell: Cell, diagnostics: IDiagnostic[], trans: TranslationBundle): void {
  let box = cell.node.querySelector<HTMLElement>(':scope > .a4m-CellDiagnostics');
  if (!diagnostics.length) {
    box?.remove();
    return;
  }
  if (!box) {
    box = document.createElement('ul');
    box.className = 'a4m-CellDiagnostics';
    box.setAttribute('aria-label', trans.__('Pipeline diagnostics'));
    cell.node.appendChild(box);
  }
  box.replaceChildren(
    ...diagnostics.map(d => {
      const item = document.createElement('li');
      item.className = `a4m-Diagnostic a4m-mod-${d.severity}`;
      const where = d.line ? trans.__('line %1: ', d.line) : '';
      item.textContent = `${where}${d.message}${d.hint ? ` — ${d.hint}` : ''}`;
      return item;
    })
  );
}

/** Marks the cells of each step with the step's status in a run; shows a failed step's error. */
function showRun(cells: Cell[], steps: IStepInfo[], run: IRun | null): void {
  cells.forEach(cell => {
    delete cell.node.dataset.a4mRunStatus;
    cell.node.querySelector(':scope > .a4m-CellRunError')?.remove();
  });
  if (!run) {
    return;
  }
  for (const step of steps) {
    const status = run.steps.find(s => s.name === step.name);
    if (!status) {
      continue;
    }
    step.cells.forEach(index => {
      if (cells[index]) {
        cells[index].node.dataset.a4mRunStatus = status.status;
      }
    });
    const first = cells[step.cells[0]];
    if (status.status === 'failed' && first) {
      const box = document.createElement('div');
      box.className = 'a4m-CellRunError';
      box.setAttribute('role', 'alert');
      box.textContent = `${step.name} failed: ${status.error ?? run.error ?? ''}`;
      first.node.appendChild(box);
    }
  }
}

/** Keeps one notebook's cells decorated until the notebook closes. */
export class CellDecorator {
  constructor(
    private readonly panel: NotebookPanel,
    analysis: PipelineAnalysis,
    private readonly runs: IRunsModel,
    private readonly trans: TranslationBundle
  ) {
    void panel.context.ready.then(() => {
      if (panel.isDisposed) {
        return;
      }
      panel.context.model.contentChanged.connect(this._schedule, this);
      this._decorateAll();
    });
    analysis.changed.connect(this._onAnalysis, this);
    runs.changed.connect(this._showRun, this);
    panel.disposed.connect(() => {
      analysis.changed.disconnect(this._onAnalysis, this);
      runs.changed.disconnect(this._showRun, this);
    });
  }

  private _schedule(): void {
    // A timer rather than requestAnimationFrame: hidden or headless pages throttle animation frames.
    if (!this._timer) {
      this._timer = window.setTimeout(() => {
        this._timer = 0;
        this._decorateAll();
      }, 30);
    }
  }

  private _decorateAll(): void {
    this.panel.content.widgets.forEach(decorateCell);
  }

  private _onAnalysis(_: PipelineAnalysis, state: IAnalysisState): void {
    if (state.panel !== this.panel || !state.result) {
      return;
    }
    const byCell = new Map<number, IDiagnostic[]>();
    for (const d of state.result.diagnostics) {
      if (d.cell !== null && d.cell !== undefined) {
        byCell.set(d.cell, [...(byCell.get(d.cell) ?? []), d]);
      }
    }
    this.panel.content.widgets.forEach((cell, index) => showDiagnostics(cell, byCell.get(index) ?? [], this.trans));
    this._steps = state.result.steps;
    this._pipeline = state.result.pipeline;
    this._showRun();
  }

  private _showRun(): void {
    const run = this.runs.latestFor(this.panel.context.path);
    const current = run && run.pipeline === this._pipeline ? run : null;
    showRun(this.panel.content.widgets as Cell[], this._steps, current);
  }

  private _steps: IStepInfo[] = [];
  private _pipeline = '';

  private _timer = 0;
}
