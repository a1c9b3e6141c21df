/**
 * The schedules the server knows, and of the selected one its next fire times and recent fires; polled while the
 * monitor shows. Writes refresh it at once.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  createSchedule,
  deleteSchedule,
  fetchSchedule,
  fetchScheduleFires,
  ISchedule,
  IScheduleDetail,
  IScheduleFields,
  IScheduleFire,
  pollAPI,
  switchSchedule,
  updateSchedule
} from '../api';
import { errorMessage } from '../errors';
import { PolledModel } from '../polling';
import { ISchedulesModel } from '../tokens';

const POLL_MS = 5000;

export class SchedulesModel extends PolledModel implements ISchedulesModel {
  constructor() {
    super({ name: 'ai4mlops-lab:schedules', interval: POLL_MS });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get schedules(): ISchedule[] {
    return this._schedules;
  }

  get selected(): string | null {
    return this._selected;
  }

  get detail(): IScheduleDetail | null {
    return this._detail?.name === this._selected ? this._detail : null;
  }

  get fires(): IScheduleFire[] {
    return this._fires;
  }

  get error(): string {
    return this._error;
  }

  select(name: string | null): void {
    if (name !== this._selected) {
      this._selected = name;
      this._detail = null;
      this._fires = [];
      this._changed.emit();
      void this.refresh();
    }
  }

  async create(fields: IScheduleFields): Promise<IScheduleDetail> {
    return this.write(createSchedule(fields));
  }

  update(name: string, change: IScheduleFields): Promise<IScheduleDetail> {
    return this.write(updateSchedule(name, change));
  }

  setEnabled(name: string, enabled: boolean): Promise<IScheduleDetail> {
    return this.write(switchSchedule(name, enabled));
  }

  async remove(name: string): Promise<void> {
    await this.write(deleteSchedule(name));
    if (this._selected === name) {
      this.select(null);
    }
  }

  protected async fetch(): Promise<void> {
    const selected = this._selected;
    try {
      const polled = await pollAPI<{ schedules: ISchedule[] }>('schedules', this._etag);
      if (polled.changed) {
        this._etag = polled.etag;
        this._schedules = polled.data.schedules;
      }
      if (selected && this._schedules.some(s => s.name === selected)) {
        const [detail, fires] = await Promise.all([fetchSchedule(selected), fetchScheduleFires(selected)]);
        if (selected === this._selected) {
          this._detail = detail;
          this._fires = fires.fires;
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

  private _schedules: ISchedule[] = [];
  private _selected: string | null = null;
  private _detail: IScheduleDetail | null = null;
  private _fires: IScheduleFire[] = [];
  private _etag = '';
  private _error = '';
  private _changed = new Signal<this, void>(this);
}
