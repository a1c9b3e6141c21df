/**
 * A polled list of named things that start runs (schedules, data triggers): the list, one selected item whose
 * detail is read on each poll, and the writes (create, change, switch, delete) that refresh it at once.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { pollAPI } from '../api';
import { errorMessage } from '../errors';
import { PolledModel } from '../polling';

const POLL_MS = 5000;

/** The REST calls of one kind of item: `Fields` is what a create or change sends, `Written` what it answers. */
export interface INamedItemsAPI<Fields, Written> {
  create(fields: Fields): Promise<Written>;
  update(name: string, change: Fields): Promise<Written>;
  setEnabled(name: string, enabled: boolean): Promise<Written>;
  remove(name: string): Promise<unknown>;
}

export abstract class NamedItemsModel<Item extends { name: string }, Fields, Written> extends PolledModel {
  /**
   * `route` is the list's REST route, whose answer holds the items under the same key; `api` writes them.
   */
  constructor(
    id: string,
    private readonly _route: string,
    private readonly _api: INamedItemsAPI<Fields, Written>
  ) {
    super({ name: id, interval: POLL_MS });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get selected(): string | null {
    return this._selected;
  }

  get error(): string {
    return this._error;
  }

  select(name: string | null): void {
    if (name !== this._selected) {
      this._selected = name;
      this.forgetSelected();
      this._changed.emit();
      void this.refresh();
    }
  }

  create(fields: Fields): Promise<Written> {
    return this.write(this._api.create(fields));
  }

  update(name: string, change: Fields): Promise<Written> {
    return this.write(this._api.update(name, change));
  }

  setEnabled(name: string, enabled: boolean): Promise<Written> {
    return this.write(this._api.setEnabled(name, enabled));
  }

  async remove(name: string): Promise<void> {
    await this.write(this._api.remove(name));
    if (this._selected === name) {
      this.select(null);
    }
  }

  /** The items, by name. */
  protected get items(): Item[] {
    return this._items;
  }

  /** Drop what was read of the item selected before. */
  protected abstract forgetSelected(): void;

  /** Read the selected item's detail; keep it only while `name` is still the one selected. */
  protected abstract readSelected(name: string): Promise<void>;

  protected async fetch(): Promise<void> {
    const selected = this._selected;
    try {
      const polled = await pollAPI<Record<string, Item[]>>(this._route, this._etag);
      if (polled.changed) {
        this._etag = polled.etag;
        this._items = polled.data[this._route];
      }
      if (selected && this._items.some(item => item.name === selected)) {
        await this.readSelected(selected);
      }
      this._error = '';
    } catch (error) {
      this._error = errorMessage(error); // what was shown stays
      throw error;
    } finally {
      this._changed.emit();
    }
  }

  private _items: Item[] = [];
  private _selected: string | null = null;
  private _etag = '';
  private _error = '';
  private _changed = new Signal<this, void>(this);
}
