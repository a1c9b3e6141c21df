/**
 * The schedules the server knows, and of the selected one its next fire times and recent fires; polled while the
 * monitor shows. Writes refresh it at once.
 */
import {
  createSchedule,
  deleteSchedule,
  fetchSchedule,
  fetchScheduleFires,
  ISchedule,
  IScheduleDetail,
  IScheduleFields,
  IScheduleFire,
  switchSchedule,
  updateSchedule
} from '../api';
import { ISchedulesModel } from '../tokens';
import { NamedItemsModel } from './namedItems';

export class SchedulesModel
  extends NamedItemsModel<ISchedule, IScheduleFields, IScheduleDetail>
  implements ISchedulesModel
{
  constructor() {
    super('ai4mlops-lab:schedules', 'schedules', {
      create: createSchedule,
      update: updateSchedule,
      setEnabled: switchSchedule,
      remove: deleteSchedule
    });
  }

  get schedules(): ISchedule[] {
    return this.items;
  }

  get detail(): IScheduleDetail | null {
    return this._detail?.name === this.selected ? this._detail : null;
  }

  get fires(): IScheduleFire[] {
    return this._fires;
  }

  protected forgetSelected(): void {
    this._detail = null;
    this._fires = [];
  }

  protected async readSelected(name: string): Promise<void> {
    const [detail, fires] = await Promise.all([fetchSchedule(name), fetchScheduleFires(name)]);
    if (name === this.selected) {
      this._detail = detail;
      this._fires = fires.fires;
    }
  }

  private _detail: IScheduleDetail | null = null;
  private _fires: IScheduleFire[] = [];
}
