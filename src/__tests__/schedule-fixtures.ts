/** A schedule record for tests: nightly at 03:00 in Madrid, with `fields` over it. */
import { IScheduleDetail } from '../api';

export function scheduleRecord(fields: Partial<IScheduleDetail> = {}): IScheduleDetail {
  return {
    id: 1,
    name: 'nightly',
    notebook_path: 'train.ipynb',
    pin: null,
    parameters: { epochs: 5, lr: 0.01, shuffle: true },
    target: 'local',
    experiment: null,
    trigger: 'cron',
    expression: '0 3 * * *',
    time_zone: 'Europe/Madrid',
    start_at: 1767225600, // 2026-01-01T00:00:00Z
    end_at: null,
    max_concurrent: 1,
    catch_up: false,
    enabled: true,
    next_due: 1767232800,
    last_fire: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    next_times: ['2026-01-01T03:00:00+01:00'],
    ...fields
  };
}
