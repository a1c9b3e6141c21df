/** The two places the step editor lives: the property inspector (primary) and a dialog. */
import React, { useState } from 'react';
import { Cell } from '@jupyterlab/cells';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Notebook, NotebookTools } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { PanelLayout } from '@lumino/widgets';

import { cellTags, setCellTags, stepsAbove } from './cells';
import { StepEditor } from './StepEditor';

/** The active cell's step editor in the property inspector; writes tags as the user edits. */
export class StepInspectorTool extends NotebookTools.Tool {
  constructor(private readonly trans: TranslationBundle) {
    super();
    this.addClass('a4m-StepInspector');
    this.layout = new PanelLayout();
    (this.layout as PanelLayout).addWidget(this._view);
  }

  protected onActiveCellChanged(_: Message): void {
    this._view.update();
  }

  protected onActiveCellMetadataChanged(): void {
    this._view.update();
  }

  private _render(): JSX.Element {
    const panel = this.notebookTools?.activeNotebookPanel;
    const cell = this.notebookTools?.activeCell;
    if (!panel || !cell) {
      return <p className="a4m-Panel-empty">{this.trans.__('Select a cell.')}</p>;
    }
    if (cell.model.type !== 'code') {
      return <p className="a4m-Panel-empty">{this.trans.__('Only code cells are pipeline steps.')}</p>;
    }
    const index = panel.content.widgets.indexOf(cell);
    return (
      <StepEditor
        key={cell.model.id}
        tags={cellTags(cell)}
        stepsAbove={stepsAbove(panel.content, index)}
        onChange={tags => setCellTags(cell, tags)}
        trans={this.trans}
      />
    );
  }

  private _view = new DrawnWidget(() => this._render());
}

/** A React widget that draws afresh from a callback on every update(). */
class DrawnWidget extends ReactWidget {
  constructor(private readonly draw: () => JSX.Element) {
    super();
  }

  render(): JSX.Element {
    return this.draw();
  }
}

/** A dialog body holding a draft of the tags until the user accepts. */
class StepDialogBody extends ReactWidget implements Dialog.IBodyWidget<string[]> {
  constructor(
    private tags: string[],
    private readonly above: string[],
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('a4m-StepDialog');
  }

  getValue(): string[] {
    return this.tags;
  }

  render(): JSX.Element {
    return <DraftEditor initial={this.tags} above={this.above} trans={this.trans} onDraft={t => (this.tags = t)} />;
  }
}

function DraftEditor(props: {
  initial: string[];
  above: string[];
  trans: TranslationBundle;
  onDraft: (tags: string[]) => void;
}): JSX.Element {
  const [tags, setTags] = useState(props.initial);
  return (
    <StepEditor
      tags={tags}
      stepsAbove={props.above}
      trans={props.trans}
      onChange={next => {
        setTags(next);
        props.onDraft(next);
      }}
    />
  );
}

/** Edit a cell's pipeline role in a dialog; the tags change only when the user accepts. */
export async function editStepInDialog(notebook: Notebook, cell: Cell, trans: TranslationBundle): Promise<void> {
  const index = notebook.widgets.indexOf(cell);
  const result = await showDialog({
    title: trans.__('Pipeline step of this cell'),
    body: new StepDialogBody(cellTags(cell), stepsAbove(notebook, index), trans),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: trans.__('Apply') })]
  });
  if (result.button.accept && result.value) {
    setCellTags(cell, result.value);
  }
}
