/**
 * The runs of one schedule or data trigger: asked of the runs API, shown in Experiments under a chip that clears the
 * filter.
 */
import React from 'react';
import { act } from 'react';

import { ExperimentsView } from '../monitor/ExperimentsView';
import { RunsModel } from '../runs/model';
import { trans } from './drift-fixtures';
import { mount } from './mount';
import { runRecord } from './run-fixtures';

jest.mock('@jupyterlab/apputils', () => ({ Notification: { promise: jest.fn() } }));
jest.mock('@jupyterlab/rendermime', () => ({ MimeModel: class {} }));
jest.mock('../api', () => ({ ...jest.requireActual('../api'), pollAPI: jest.fn() }));
const api = jest.requireMock('../api');

const byHand = runRecord('r1', { created_at: '2026-01-01T00:00:00Z' });
const scheduled = runRecord('r2', { created_at: '2026-01-02T00:00:00Z', schedule: 'nightly' });
const fromData = runRecord('r0', { created_at: '2025-12-31T00:00:00Z', trigger: 'incoming' });

beforeEach(() => {
  api.pollAPI.mockImplementation(async (endPoint: string) => ({
    changed: true,
    etag: `"${endPoint}"`,
    data: {
      runs:
        endPoint === 'runs' ? [scheduled, byHand, fromData] : endPoint.includes('trigger=') ? [fromData] : [scheduled]
    }
  }));
});

it('asks the runs API for a schedule’s runs, and leaves the shared list whole', async () => {
  const runs = new RunsModel();
  await runs.refresh();
  expect(runs.origin).toBeNull();
  expect(api.pollAPI).not.toHaveBeenCalledWith(expect.stringContaining('schedule='), expect.anything());
  await act(async () => runs.filterByOrigin({ kind: 'schedule', name: 'nightly' }));
  await runs.refresh();
  expect(api.pollAPI).toHaveBeenCalledWith('runs?schedule=nightly', expect.any(String));
  expect(runs.originRuns.map(run => run.id)).toEqual(['r2']);
  expect(runs.runs.map(run => run.id)).toEqual(['r2', 'r1', 'r0']);
  runs.filterByOrigin(null);
  expect(runs.originRuns).toEqual([]);
  runs.dispose();
});

it('lists only the schedule’s runs under a chip that clears the filter', async () => {
  const runs = new RunsModel();
  await runs.refresh();
  await act(async () => runs.filterByOrigin({ kind: 'schedule', name: 'nightly' }));
  await runs.refresh();
  const view = () => <ExperimentsView runs={runs} rendermime={{} as any} trans={trans} />;
  const { host, rerender, unmount } = mount(view());
  expect(host.querySelector('.a4m-FilterChip')?.textContent).toContain('From schedule nightly');
  const cards = () => Array.from(host.querySelectorAll<HTMLElement>('.a4m-RunCard')).map(card => card.dataset.run);
  expect(cards()).toEqual(['r2']);
  // Numbered among every run: the scheduled run is run 2 with and without the filter.
  expect(host.querySelector('.a4m-RunCard-name')?.textContent).toBe('run 3');
  act(() => (host.querySelector('.a4m-FilterChip button') as HTMLElement).click());
  rerender(view());
  expect(runs.origin).toBeNull();
  expect(host.querySelector('.a4m-FilterChip')).toBeNull();
  expect(cards()).toEqual(['r2', 'r1', 'r0']);
  unmount();
  runs.dispose();
});

it('lists a data trigger’s runs under a “From trigger” chip, asked with ?trigger=', async () => {
  const runs = new RunsModel();
  await runs.refresh();
  await act(async () => runs.filterByOrigin({ kind: 'trigger', name: 'incoming' }));
  await runs.refresh();
  expect(api.pollAPI).toHaveBeenCalledWith('runs?trigger=incoming', expect.any(String));
  const { host, unmount } = mount(<ExperimentsView runs={runs} rendermime={{} as any} trans={trans} />);
  expect(host.querySelector('.a4m-FilterChip')?.textContent).toContain('From trigger incoming');
  const cards = Array.from(host.querySelectorAll<HTMLElement>('.a4m-RunCard')).map(card => card.dataset.run);
  expect(cards).toEqual(['r0']);
  // Switching to a schedule of the same name asks again, for the schedule's runs.
  await act(async () => runs.filterByOrigin({ kind: 'schedule', name: 'incoming' }));
  await runs.refresh();
  expect(api.pollAPI).toHaveBeenCalledWith('runs?schedule=incoming', expect.any(String));
  unmount();
  runs.dispose();
});
