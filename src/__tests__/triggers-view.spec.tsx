/**
 * Data triggers in the Schedules list: the model (polled list, the selected one's files, writes), the row (kind,
 * words, switch, last file and its run, the source's error as a warning) and the detail (files handled and waiting,
 * Runs, Delete).
 */
import React from 'react';
import { act } from 'react';
import { Signal } from '@lumino/signaling';

import { IDataTrigger, ITriggerFiles } from '../api';
import { SchedulesView } from '../schedules/SchedulesView';
import { TriggersModel } from '../triggers/model';
import type { ISchedulesModel, ITriggersModel } from '../tokens';
import { trans } from './drift-fixtures';
import { mount } from './mount';
import { scheduleRecord } from './schedule-fixtures';
import { seenFile, triggerRecord } from './trigger-fixtures';

jest.mock('@jupyterlab/ui-components', () => jest.requireActual('./ui-components-mock'));
jest.mock('../api', () => ({
  ...jest.requireActual('../api'),
  pollAPI: jest.fn(),
  fetchTriggerFiles: jest.fn(),
  switchTrigger: jest.fn(),
  deleteTrigger: jest.fn()
}));
const api = jest.requireMock('../api');

const files: ITriggerFiles = {
  trigger: 'incoming',
  seen: [
    seenFile,
    { ...seenFile, content_hash: 'sha256:def', path: 'bad.csv', state: 'failed', reason: 'no slot', run_id: null }
  ],
  waiting: [{ path: 'day2.csv', size: 4, state: 'settling', since: '2026-01-01T00:01:00Z' }]
};

describe('the triggers model', () => {
  beforeEach(() => {
    api.pollAPI.mockResolvedValue({ changed: true, etag: '"1"', data: { triggers: [triggerRecord()] } });
    api.fetchTriggerFiles.mockResolvedValue(files);
    api.switchTrigger.mockResolvedValue(triggerRecord({ enabled: false }));
    api.deleteTrigger.mockResolvedValue({});
  });

  it('polls the list, reads the selected trigger’s files, and refreshes after a write', async () => {
    const model = new TriggersModel();
    await model.refresh();
    expect(api.pollAPI).toHaveBeenCalledWith('triggers', '');
    expect(model.triggers.map(t => t.name)).toEqual(['incoming']);
    expect(api.fetchTriggerFiles).not.toHaveBeenCalled();
    model.select('incoming');
    await model.refresh();
    expect(model.detail?.name).toBe('incoming');
    expect(model.files?.waiting.map(f => f.path)).toEqual(['day2.csv']);
    expect(api.pollAPI).toHaveBeenLastCalledWith('triggers', '"1"');
    await model.setEnabled('incoming', false);
    expect(api.switchTrigger).toHaveBeenCalledWith('incoming', false);
    await model.remove('incoming');
    expect(api.deleteTrigger).toHaveBeenCalledWith('incoming');
    expect(model.selected).toBeNull();
    expect(model.files).toBeNull();
    model.dispose();
  });

  it('keeps what it showed when a poll fails, and says why', async () => {
    const model = new TriggersModel();
    await model.refresh();
    api.pollAPI.mockRejectedValueOnce(new Error('offline'));
    await model.refresh();
    expect(model.error).toContain('offline');
    expect(model.triggers).toHaveLength(1);
    model.dispose();
  });
});

function fakeTriggers(fields: Partial<ITriggersModel> = {}): ITriggersModel {
  return {
    changed: new Signal<ITriggersModel, void>({} as ITriggersModel),
    triggers: [],
    selected: null,
    detail: null,
    files: null,
    error: '',
    select: jest.fn(),
    setEnabled: jest.fn().mockResolvedValue({}),
    remove: jest.fn().mockResolvedValue(undefined),
    update: jest.fn(),
    create: jest.fn(),
    ...fields
  } as unknown as ITriggersModel;
}

const fakeSchedules = (fields: Partial<ISchedulesModel> = {}) =>
  ({
    schedules: [],
    selected: null,
    detail: null,
    fires: [],
    error: '',
    select: jest.fn(),
    ...fields
  }) as unknown as ISchedulesModel;

const runName = (id: string) => (id === 'abcdef123456' ? 'run 7' : 'run ?');

function view(
  triggers: ITriggersModel,
  schedules = fakeSchedules(),
  links = { showRuns: jest.fn(), showRun: jest.fn() }
) {
  return <SchedulesView schedules={schedules} triggers={triggers} trans={trans} runName={runName} {...links} />;
}

describe('a trigger in the Schedules list', () => {
  it('shows its kind, when it runs, its last file and run, its switch, and a source error as a warning', () => {
    const working = triggerRecord({ last_seen: seenFile });
    const broken = triggerRecord({
      name: 'bucket',
      source: 's3://b/in/',
      enabled: false,
      last_error: 'No such bucket.'
    });
    const triggers = fakeTriggers({ triggers: [broken, working] });
    const schedules = fakeSchedules({ schedules: [scheduleRecord({ name: 'nightly' })] });
    const links = { showRuns: jest.fn(), showRun: jest.fn() };
    const { host, unmount } = mount(view(triggers, schedules, links));
    const rows = Array.from(host.querySelectorAll<HTMLElement>('.a4m-Automation'));
    // One list, by name: schedules and triggers told apart by their kind's icon.
    expect(rows.map(row => [row.dataset.kind, row.dataset.name])).toEqual([
      ['trigger', 'bucket'],
      ['trigger', 'incoming'],
      ['schedule', 'nightly']
    ]);
    const [bucket, incoming] = rows;
    expect(incoming.querySelector('.a4m-Kind svg')?.getAttribute('data-icon')).toBe('fileUpload');
    expect(rows[2].querySelector('.a4m-Kind svg')?.getAttribute('data-icon')).toBe('history');
    expect(incoming.querySelector('.a4m-Kind')?.textContent).toBe('Data trigger');
    expect(incoming.querySelector('.a4m-Automation-trigger')?.textContent).toBe(
      'When a file matching *.csv lands in data/incoming'
    );
    expect(incoming.querySelector('.a4m-Automation-last')?.textContent).toMatch(
      /^Last file: day1\.csv .* run started run 7$/
    );
    act(() => (incoming.querySelector('.a4m-RunLink') as HTMLElement).click());
    expect(links.showRun).toHaveBeenCalledWith('abcdef123456');
    expect(incoming.querySelector('.a4m-mod-warning')).toBeNull();
    expect(bucket.querySelector('.a4m-mod-warning')?.textContent).toBe('Cannot list the source: No such bucket.');
    expect(bucket.querySelector('.a4m-Automation-last')?.textContent).toBe('Last file: none yet');
    act(() => bucket.querySelector<HTMLInputElement>('input[role="switch"]')!.click());
    expect(triggers.setEnabled).toHaveBeenCalledWith('bucket', true);
    act(() => (incoming.querySelector('.a4m-Automation-name') as HTMLElement).click());
    expect(triggers.select).toHaveBeenCalledWith('incoming');
    expect(schedules.select).toHaveBeenCalledWith(null); // one detail at a time
    unmount();
  });

  it('shows the selected trigger’s settings, files handled and waiting, and links its runs', async () => {
    const trigger: IDataTrigger = triggerRecord({ last_seen: seenFile, batch: true, settle_seconds: 1 });
    const triggers = fakeTriggers({ triggers: [trigger], selected: 'incoming', detail: trigger, files });
    const links = { showRuns: jest.fn(), showRun: jest.fn() };
    const { host, unmount } = mount(view(triggers, fakeSchedules(), links));
    const detail = host.querySelector<HTMLElement>('section[aria-label="Data trigger incoming"]')!;
    expect(detail.querySelector('.a4m-Parameters')?.textContent).toContain(
      'one run for each batch of files, once unchanged for 1 second'
    );
    const handled = detail.querySelector('[aria-label="Files handled by incoming"]')!;
    expect(Array.from(handled.querySelectorAll('li')).map(li => li.getAttribute('data-state'))).toEqual([
      'started',
      'failed'
    ]);
    expect(handled.textContent).toContain('not run: no slot');
    const waiting = detail.querySelector('[aria-label="Files waiting for incoming"]')!;
    expect(waiting.textContent).toContain('day2.csv');
    expect(waiting.textContent).toContain('settling');
    const button = (text: string) => Array.from(detail.querySelectorAll('button')).find(b => b.textContent === text)!;
    act(() => button('Runs').click());
    expect(links.showRuns).toHaveBeenCalledWith({ kind: 'trigger', name: 'incoming' });
    await act(async () => button('Delete').click());
    expect(triggers.remove).toHaveBeenCalledWith('incoming');
    act(() => button('Edit').click());
    expect(detail.querySelector('form[aria-label="Edit trigger incoming"]')).not.toBeNull();
    expect(detail.querySelector<HTMLSelectElement>('select')?.value).toBe('data_path');
    unmount();
  });
});
