/** Reading and writing the tags of notebook cells. */
import { Cell } from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';

import { parseTags } from './model';

export function cellTags(cell: Cell): string[] {
  const tags = cell.model.getMetadata('tags');
  return Array.isArray(tags) ? (tags as string[]) : [];
}

export function setCellTags(cell: Cell, tags: string[]): void {
  if (tags.length) {
    cell.model.setMetadata('tags', tags);
  } else {
    cell.model.deleteMetadata('tags');
  }
}

/** Names of the steps defined in the cells above `index`, in notebook order. */
export function stepsAbove(notebook: Notebook, index: number): string[] {
  const names: string[] = [];
  notebook.widgets.slice(0, index).forEach(cell => {
    const step = parseTags(cellTags(cell));
    if (step.kind === 'step' && step.name && !names.includes(step.name)) {
      names.push(step.name);
    }
  });
  return names;
}
