/** The Schedules section and the schedule form: words, the switch, the detail's links, the cron helper, errors. */
import React from 'react';
import { act } from 'react';
import { Signal } from '@lumino/signaling';

import { ApiError, IScheduleDetail, IScheduleFire } from '../api';
import { newDraft } from '../schedules/form';
import { PREVIEW_DELAY_MS, ScheduleForm } from '../schedules/ScheduleForm';
import { SchedulesView } from '../schedules/SchedulesView';
import type { ISchedulesModel } from '../tokens';
import { trans } from './drift-fixtures';
import { mount } from './mount';
import { scheduleRecord } from './schedule-fixtures';

jest.mock('@jupyterlab/ui-components', () => jest.requireActual('./ui-components-mock'));
jest.mock('../api', () => ({ ...jest.requireActual('../api'), previewSchedule: jest.fn() }));
const api = jest.requireMock('../api');
beforeEach(() => api.previewSchedule.mockResolvedValue({ times: [] }));

const started: IScheduleFire = {
  schedule_id: 1,
  due: 1767225600,
  outcome: 'started',
  reason: null,
  run_id: 'abcdef123456',
  fired_at: '2026-01-01T00:00:01Z'
};
const skipped: IScheduleFire = { ...started, due: 1767225570, outcome: 'skipped', reason: '1 run going', run_id: null };

function fakeSchedules(fields: Partial<ISchedulesModel> = {}): ISchedulesModel {
  return {
    changed: new Signal<ISchedulesModel, void>({} as ISchedulesModel),
    schedules: [],
    selected: null,
    detail: null,
    fires: [],
    error: '',
    select: jest.fn(),
    setEnabled: jest.fn().mockResolvedValue({}),
    remove: jest.fn().mockResolvedValue(undefined),
    update: jest.fn(),
    create: jest.fn(),
    ...fields
  } as unknown as ISchedulesModel;
}

const runName = (id: string) => (id === 'abcdef123456' ? 'run 7' : 'run ?');

const button = (host: HTMLElement, text: string) =>
  Array.from(host.querySelectorAll('button')).find(b => b.textContent === text)!;

describe('the Schedules list', () => {
  it('says there is none and where to make one', () => {
    const { host, unmount } = mount(
      <SchedulesView
        schedules={fakeSchedules()}
        trans={trans}
        showRuns={jest.fn()}
        showRun={jest.fn()}
        runName={runName}
      />
    );
    expect(host.textContent).toMatch(/No schedule or data trigger yet.*Schedule….*Run on new data…/);
    unmount();
  });

  it('shows each schedule’s kind, trigger in words, next and last run, and switches it', () => {
    const often = scheduleRecord({ name: 'often', trigger: 'interval', expression: '30s', last_fire: started });
    const off = scheduleRecord({ name: 'off', enabled: false, next_due: null });
    const schedules = fakeSchedules({ schedules: [often, off] });
    const showRun = jest.fn();
    const { host, unmount } = mount(
      <SchedulesView schedules={schedules} trans={trans} showRuns={jest.fn()} showRun={showRun} runName={runName} />
    );
    // Listed by name, whatever their kind.
    const [second, first] = Array.from(host.querySelectorAll<HTMLElement>('.a4m-Automation'));
    expect(second.dataset.name).toBe('off');
    expect(first.dataset.kind).toBe('schedule');
    expect(first.querySelector('.a4m-Kind')?.textContent).toContain('Schedule');
    expect(first.querySelector('.a4m-Kind svg')).not.toBeNull();
    expect(first.querySelector('.a4m-Automation-trigger')?.textContent).toBe('Every 30 seconds');
    expect(first.querySelector('.a4m-Automation-trigger')?.getAttribute('title')).toBe('interval 30s');
    expect(first.querySelector('.a4m-Automation-last .a4m-Status')?.textContent).toBe('started');
    // The next time in the schedule's zone: 02:00 UTC is 03:00 in Madrid.
    expect(first.querySelector('.a4m-Automation-when')?.textContent).toMatch(/^Next: .*03:00$/);
    expect(second.querySelector('.a4m-Automation-when')?.textContent).toBe('Next: none');
    expect(second.querySelector('.a4m-Automation-last')?.textContent).toBe('Last: never');

    expect(first.querySelector('.a4m-RunLink')?.textContent).toBe('run 7'); // named as in Experiments
    act(() => (first.querySelector('.a4m-RunLink') as HTMLElement).click());
    expect(showRun).toHaveBeenCalledWith('abcdef123456');
    const toggle = second.querySelector<HTMLInputElement>('input[role="switch"]')!;
    expect(toggle.checked).toBe(false);
    expect(toggle.getAttribute('aria-label')).toBe('Enable off');
    act(() => toggle.click());
    expect(schedules.setEnabled).toHaveBeenCalledWith('off', true);
    act(() => button(first, 'often').click());
    expect(schedules.select).toHaveBeenCalledWith('often');
    unmount();
  });

  it('shows the selected schedule’s next times and fires, and links its runs', async () => {
    const detail: IScheduleDetail = scheduleRecord({
      next_times: ['2026-01-02T03:00:00+01:00', '2026-01-03T03:00:00+01:00'],
      last_fire: started
    });
    const schedules = fakeSchedules({
      schedules: [detail],
      selected: 'nightly',
      detail,
      fires: [started, skipped]
    });
    const showRuns = jest.fn();
    const showRun = jest.fn();
    const { host, unmount } = mount(
      <SchedulesView schedules={schedules} trans={trans} showRuns={showRuns} showRun={showRun} runName={runName} />
    );
    const section = host.querySelector<HTMLElement>('.a4m-ScheduleDetail')!;
    expect(section.querySelectorAll('.a4m-FireTimes li')).toHaveLength(2);
    expect(section.querySelector('.a4m-FireTimes li')?.textContent).toMatch(/03:00$/);
    const fires = Array.from(section.querySelectorAll<HTMLElement>('.a4m-Fires li'));
    expect(fires.map(li => li.dataset.outcome)).toEqual(['started', 'skipped']);
    expect(fires[1].textContent).toContain('skipped: 1 run going');
    act(() => (fires[0].querySelector('.a4m-RunLink') as HTMLElement).click());
    expect(showRun).toHaveBeenCalledWith('abcdef123456');
    act(() => button(section, 'Runs').click());
    expect(showRuns).toHaveBeenCalledWith({ kind: 'schedule', name: 'nightly' });
    await act(async () => button(section, 'Delete').click());
    expect(schedules.remove).toHaveBeenCalledWith('nightly');
    act(() => button(section, 'Edit').click());
    expect(section.querySelector<HTMLInputElement>('input[aria-label="Name"]')?.disabled).toBe(true);
    (schedules.update as jest.Mock).mockResolvedValue(detail);
    await act(async () => button(section, 'Save').click());
    expect(schedules.update).toHaveBeenCalledWith(
      'nightly',
      expect.objectContaining({ expression: '0 3 * * *', parameters: { epochs: 5, lr: 0.01, shuffle: true } })
    );
    expect((schedules.update as jest.Mock).mock.calls[0][1]).not.toHaveProperty('name');
    expect(section.querySelector('form')).toBeNull(); // saved: the detail again
    unmount();
  });
});

it('shows a schedule on KFP as fired there, its fires linked to the KFP runs', () => {
  const detail = scheduleRecord({ target: 'kfp', next_due: null, next_times: [], pin: 'f00d'.repeat(16) });
  const kfpFire: IScheduleFire = {
    ...started,
    run_id: null,
    kfp_run: { run_id: 'k1', name: 'nightly-run', status: 'running', url: 'http://kfp.example/#/runs/details/k1' }
  };
  const schedules = fakeSchedules({ schedules: [detail], selected: 'nightly', detail, fires: [kfpFire] });
  const { host, unmount } = mount(
    <SchedulesView schedules={schedules} trans={trans} showRuns={jest.fn()} showRun={jest.fn()} runName={runName} />
  );
  expect(host.querySelector('.a4m-Automation-when')?.textContent).toBe('Next: as Kubeflow Pipelines fires it');
  const section = host.querySelector<HTMLElement>('.a4m-ScheduleDetail')!;
  expect(section.textContent).toContain('pinned (f00df00df00d)');
  expect(section.textContent).toContain('Kubeflow Pipelines fires it.');
  const link = section.querySelector<HTMLAnchorElement>('.a4m-Fires a.a4m-RunLink')!;
  expect(link.href).toBe('http://kfp.example/#/runs/details/k1');
  expect(link.textContent).toBe('nightly-run on KFP');
  expect(section.querySelector('.a4m-Fires .a4m-Status[data-status="running"]')).not.toBeNull();
  unmount();
});

describe('the schedule form', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const draft = { ...newDraft('train.ipynb', { epochs: 5 }), time_zone: 'UTC' };
  const wait = async (ms: number) => act(async () => void jest.advanceTimersByTime(ms));

  it('shows the next five fire times once the user stops typing', async () => {
    const times = [1, 2, 3, 4, 5].map(day => `2026-01-0${day}T03:00:00+00:00`);
    api.previewSchedule.mockResolvedValue({ times });
    const { host, unmount } = mount(
      <ScheduleForm initial={draft} save={jest.fn()} onSaved={jest.fn()} onCancel={jest.fn()} trans={trans} />
    );
    await wait(PREVIEW_DELAY_MS);
    expect(api.previewSchedule).toHaveBeenLastCalledWith('cron', '0 3 * * *', 'UTC');
    expect(host.querySelectorAll('.a4m-FirePreview li')).toHaveLength(5);

    api.previewSchedule.mockClear();
    act(() => button(host, 'Hourly').click());
    await wait(PREVIEW_DELAY_MS / 2);
    expect(api.previewSchedule).not.toHaveBeenCalled(); // debounced
    await wait(PREVIEW_DELAY_MS);
    expect(api.previewSchedule).toHaveBeenCalledTimes(1);
    expect(api.previewSchedule).toHaveBeenLastCalledWith('cron', '0 * * * *', 'UTC');
    unmount();
  });

  it('shows why the server refuses an expression at the expression', async () => {
    api.previewSchedule.mockRejectedValue(
      new ApiError(422, {
        error: 'invalid_value',
        detail: "The cron expression '0 25 * * *' has hour 25.",
        hint: 'Hours go from 0 to 23.',
        field: 'expression'
      })
    );
    const { host, unmount } = mount(
      <ScheduleForm
        initial={{ ...draft, expression: '0 25 * * *' }}
        save={jest.fn()}
        onSaved={jest.fn()}
        onCancel={jest.fn()}
        trans={trans}
      />
    );
    await wait(PREVIEW_DELAY_MS);
    const input = host.querySelector<HTMLInputElement>('input[aria-label="Cron expression"]')!;
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(host.querySelector(`#${input.getAttribute('aria-describedby')}`)?.textContent).toBe(
      "The cron expression '0 25 * * *' has hour 25. Hours go from 0 to 23."
    );
    expect(host.querySelector('.a4m-FirePreview')).toBeNull();
    unmount();
  });

  it('sends the body and shows a refused field next to it', async () => {
    api.previewSchedule.mockResolvedValue({ times: [] });
    const save = jest.fn().mockRejectedValue(
      new ApiError(422, {
        error: 'invalid_value',
        detail: "Schedules on target 'kfp' are not supported yet.",
        hint: "Use target 'local'.",
        field: 'target'
      })
    );
    const onSaved = jest.fn();
    const { host, unmount } = mount(
      <ScheduleForm initial={draft} save={save} onSaved={onSaved} onCancel={jest.fn()} trans={trans} />
    );
    const target = host.querySelector<HTMLSelectElement>('select[aria-label="Schedule target"]')!;
    const epochs = host.querySelector<HTMLInputElement>('input[aria-label="Value of epochs for each run"]')!;
    expect(epochs.value).toBe('5');
    await act(async () => button(host, 'Create schedule').click());
    expect(save).toHaveBeenCalledWith(expect.objectContaining({ name: 'train', parameters: { epochs: 5 } }));
    expect(onSaved).not.toHaveBeenCalled();
    expect(target.getAttribute('aria-invalid')).toBe('true');
    expect(target.parentElement?.querySelector('.a4m-FieldError')?.textContent).toMatch(/not supported yet/);
    unmount();
  });

  it('asks nothing of the server while a field is wrong', async () => {
    api.previewSchedule.mockResolvedValue({ times: [] });
    const save = jest.fn();
    const { host, unmount } = mount(
      <ScheduleForm
        initial={{ ...draft, max_concurrent: '0' }}
        save={save}
        onSaved={jest.fn()}
        onCancel={jest.fn()}
        trans={trans}
      />
    );
    await act(async () => button(host, 'Create schedule').click());
    expect(save).not.toHaveBeenCalled();
    expect(host.querySelector('input[aria-label="Runs at once"]')?.getAttribute('aria-invalid')).toBe('true');
    unmount();
  });
});
