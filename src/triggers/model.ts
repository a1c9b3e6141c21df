/**
 * The data triggers the server knows, and of the selected one the files it handled and the files waiting; polled
 * while the monitor shows. Writes refresh it at once.
 */
import {
  createTrigger,
  deleteTrigger,
  fetchTriggerFiles,
  IDataTrigger,
  ITriggerFields,
  ITriggerFiles,
  switchTrigger,
  updateTrigger
} from '../api';
import { NamedItemsModel } from '../schedules/namedItems';
import { ITriggersModel } from '../tokens';

export class TriggersModel
  extends NamedItemsModel<IDataTrigger, ITriggerFields, IDataTrigger>
  implements ITriggersModel
{
  constructor() {
    super('ai4mlops-lab:triggers', 'triggers', {
      create: createTrigger,
      update: updateTrigger,
      setEnabled: switchTrigger,
      remove: deleteTrigger
    });
  }

  get triggers(): IDataTrigger[] {
    return this.items;
  }

  get detail(): IDataTrigger | null {
    return this.items.find(trigger => trigger.name === this.selected) ?? null;
  }

  get files(): ITriggerFiles | null {
    return this._files?.trigger === this.selected ? this._files : null;
  }

  protected forgetSelected(): void {
    this._files = null;
  }

  protected async readSelected(name: string): Promise<void> {
    const files = await fetchTriggerFiles(name);
    if (name === this.selected) {
      this._files = files;
    }
  }

  private _files: ITriggerFiles | null = null;
}
