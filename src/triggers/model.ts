/**
 * The data triggers the server knows, and of the selected one the files it handled and the files waiting; polled
 * while the monitor shows. Writes refresh it at once.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  createTrigger,
  deleteTrigger,
  fetchTriggerFiles,
  IDataTrigger,
  ITriggerFields,
  ITriggerFiles,
  pollAPI,
  switchTrigger,
  updateTrigger
} from '../api';
import { errorMessage } from '../errors';
import { PolledModel } from '../polling';
import { ITriggersModel } from '../tokens';

const POLL_MS = 5000;

export class TriggersModel extends PolledModel implements ITriggersModel {
  constructor() {
    super({ name: 'ai4mlops-lab:triggers', interval: POLL_MS });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get triggers(): IDataTrigger[] {
    return this._triggers;
  }

  get selected(): string | null {
    return this._selected;
  }

  get detail(): IDataTrigger | null {
    return this._triggers.find(trigger => trigger.name === this._selected) ?? null;
  }

  get files(): ITriggerFiles | null {
    return this._files?.trigger === this._selected ? this._files : null;
  }

  get error(): string {
    return this._error;
  }

  select(name: string | null): void {
    if (name !== this._selected) {
      this._selected = name;
      this._files = null;
      this._changed.emit();
      void this.refresh();
    }
  }

  create(fields: ITriggerFields): Promise<IDataTrigger> {
    return this.write(createTrigger(fields));
  }

  update(name: string, change: ITriggerFields): Promise<IDataTrigger> {
    return this.write(updateTrigger(name, change));
  }

  setEnabled(name: string, enabled: boolean): Promise<IDataTrigger> {
    return this.write(switchTrigger(name, enabled));
  }

  async remove(name: string): Promise<void> {
    await this.write(deleteTrigger(name));
    if (this._selected === name) {
      this.select(null);
    }
  }

  protected async fetch(): Promise<void> {
    const selected = this._selected;
    try {
      const polled = await pollAPI<{ triggers: IDataTrigger[] }>('triggers', this._etag);
      if (polled.changed) {
        this._etag = polled.etag;
        this._triggers = polled.data.triggers;
      }
      if (selected && this._triggers.some(t => t.name === selected)) {
        const files = await fetchTriggerFiles(selected);
        if (selected === this._selected) {
          this._files = files;
        }
      }
      this._error = '';
    } catch (error) {
      this._error = errorMessage(error); // what was shown stays
      throw error;
    } finally {
      this._changed.emit();
    }
  }

  private _triggers: IDataTrigger[] = [];
  private _selected: string | null = null;
  private _files: ITriggerFiles | null = null;
  private _etag = '';
  private _error = '';
  private _changed = new Signal<this, void>(this);
}
