/**
 * Lists read page by page: the newest page polled, older pages read with "Load older …" through the server's
 * cursors, each item listed once however the newest page moves.
 */
import React from 'react';
import { act } from 'react';
import { Signal } from '@lumino/signaling';

import { ApiError, IDeployment, IDriftAlert, IRun } from '../api';
import { AlertsList } from '../drift/AlertsList';
import { DriftModel } from '../drift/model';
import { ExperimentsView } from '../monitor/ExperimentsView';
import { PagedList } from '../paging';
import { RunsModel } from '../runs/model';
import { deployment, report, trans } from './drift-fixtures';
import { mount } from './mount';
import { runRecord } from './run-fixtures';

jest.mock('@jupyterlab/apputils', () => ({ Notification: { promise: jest.fn() } }));
jest.mock('@jupyterlab/rendermime', () => ({ MimeModel: class {} }));
jest.mock('../api', () => ({
  ...jest.requireActual('../api'),
  pollAPI: jest.fn(),
  requestAPI: jest.fn(),
  fetchAlertsPage: jest.fn()
}));
const api = jest.requireMock('../api');

/** Runs r<n> ... r<n - count + 1>, newest first, a day apart. */
function runs(newest: number, count: number): IRun[] {
  return Array.from({ length: count }, (_, k) =>
    runRecord(`r${newest - k}`, { created_at: new Date(Date.UTC(2026, 0, newest - k)).toISOString() })
  );
}

const ids = (items: { id: string | number }[]) => items.map(item => item.id);

describe('PagedList', () => {
  it('lists a new first page alone until older pages are read, then keeps them under it', () => {
    const list = new PagedList<IRun>(run => run.id);
    list.setFirst(runs(9, 3), 'c6');
    expect([ids(list.items), list.hasMore, list.cursor]).toEqual([['r9', 'r8', 'r7'], true, 'c6']);
    list.setFirst(runs(10, 3), 'c7'); // nothing older read yet: the new first page is the list
    expect([ids(list.items), list.cursor]).toEqual([['r10', 'r9', 'r8'], 'c7']);
    list.addMore(runs(7, 3), 'c4');
    expect(ids(list.items)).toEqual(['r10', 'r9', 'r8', 'r7', 'r6', 'r5']);
    // Two newer runs push r9 and r8 out of the first page: they stay listed, once, above the older pages.
    list.setFirst(runs(12, 3), 'c9');
    expect(ids(list.items)).toEqual(['r12', 'r11', 'r10', 'r9', 'r8', 'r7', 'r6', 'r5']);
    expect(list.cursor).toBe('c4'); // where the pages read end, not where the new first page does
    list.addMore(runs(4, 4), null);
    expect([list.items.length, list.hasMore]).toEqual([12, false]);
    list.clear();
    expect([list.items, list.hasMore]).toEqual([[], false]);
  });

  it('takes a first page without a cursor (a server from before pages) as the whole list', () => {
    const list = new PagedList<IRun>(run => run.id);
    list.setFirst(runs(3, 3), undefined as unknown as null);
    expect(list.hasMore).toBe(false);
  });
});

describe('RunsModel and the experiments view', () => {
  let first: { runs: IRun[]; next_cursor: string | null };
  beforeEach(() => {
    first = { runs: runs(10, 3), next_cursor: 'after-r8' };
    api.pollAPI.mockReset().mockImplementation(async (endPoint: string) => ({
      changed: true,
      etag: `"${endPoint}"`,
      data: endPoint === 'runs' ? first : { runs: runs(10, 1), next_cursor: 'nightly-after-r10' }
    }));
    api.requestAPI.mockReset().mockImplementation(async (endPoint: string) => {
      const pages: Record<string, unknown> = {
        'runs?cursor=after-r8': { runs: runs(7, 3), next_cursor: 'after-r5' },
        'runs?cursor=after-r5': { runs: runs(4, 4), next_cursor: null },
        'runs?schedule=nightly&cursor=nightly-after-r10': { runs: runs(6, 1), next_cursor: null }
      };
      if (!(endPoint in pages)) {
        throw new Error(`unexpected ${endPoint}`);
      }
      return pages[endPoint];
    });
  });

  it('polls the newest page and reads older pages only when asked, by their cursors', async () => {
    const model = new RunsModel();
    await model.refresh();
    expect(api.pollAPI).toHaveBeenCalledWith('runs', '');
    expect([ids(model.runs), model.hasMore]).toEqual([['r10', 'r9', 'r8'], true]);
    await model.loadMore();
    await model.loadMore();
    expect(ids(model.runs)).toEqual(['r10', 'r9', 'r8', 'r7', 'r6', 'r5', 'r4', 'r3', 'r2', 'r1']);
    expect(model.hasMore).toBe(false);
    await model.loadMore(); // the end: nothing more is asked
    expect(api.requestAPI).toHaveBeenCalledTimes(2);
    // A new run: the polled first page moves, nothing read is lost or listed twice.
    first = { runs: runs(11, 3), next_cursor: 'after-r9' };
    await model.refresh();
    expect(ids(model.runs)).toEqual(['r11', 'r10', 'r9', 'r8', 'r7', 'r6', 'r5', 'r4', 'r3', 'r2', 'r1']);
    model.dispose();
  });

  it('reads the older runs of a schedule with the schedule’s own cursor', async () => {
    const model = new RunsModel();
    await model.refresh();
    await act(async () => model.filterByOrigin({ kind: 'schedule', name: 'nightly' }));
    await model.refresh();
    expect(model.hasMore).toBe(true);
    await model.loadMore();
    expect(api.requestAPI).toHaveBeenCalledWith('runs?schedule=nightly&cursor=nightly-after-r10');
    expect([ids(model.originRuns), ids(model.runs), model.hasMore]).toEqual([
      ['r10', 'r6'],
      ['r10', 'r9', 'r8'],
      false
    ]);
    model.dispose();
  });

  it('shows “Load older runs” while the server has more, and lists them when clicked', async () => {
    const model = new RunsModel();
    await model.refresh();
    const view = () => <ExperimentsView runs={model} rendermime={{} as any} trans={trans} />;
    const { host, rerender, unmount } = mount(view());
    const cards = () => Array.from(host.querySelectorAll<HTMLElement>('.a4m-RunCard')).map(card => card.dataset.run);
    const button = () => host.querySelector<HTMLButtonElement>('.a4m-LoadMore');
    expect(cards()).toEqual(['r10', 'r9', 'r8']);
    expect(button()?.textContent).toBe('Load older runs');
    await act(async () => button()!.click());
    rerender(view());
    expect(cards()).toEqual(['r10', 'r9', 'r8', 'r7', 'r6', 'r5']);
    await act(async () => button()!.click());
    rerender(view());
    expect(cards()).toHaveLength(10);
    expect(button()).toBeNull();
    unmount();
    model.dispose();
  });

  it('keeps the runs it has when a page fails, and says why', async () => {
    const model = new RunsModel();
    await model.refresh();
    const busy = { error: 'store_busy', detail: 'The store was busy.', hint: 'Try again.' };
    api.requestAPI.mockRejectedValueOnce(new ApiError(503, busy));
    await model.loadMore();
    expect([ids(model.runs), model.hasMore, model.error]).toEqual([
      ['r10', 'r9', 'r8'],
      true,
      'The store was busy. Try again.'
    ]);
    model.dispose();
  });
});

function alert(id: number): IDriftAlert {
  return {
    id,
    deployment: 'd1',
    kind: 'data_drift',
    status: 'dismissed',
    raised_at: '2026-11-25T10:01:30Z',
    updated_at: '2026-11-25T10:01:30Z',
    message: `alert ${id}`,
    window_ids: [],
    retrain_run_id: null,
    redeploy: true,
    redeployed_at: null,
    error: null
  };
}

describe('the alerts of a report', () => {
  it('lists the report’s newest alerts, then reads the older ones of its kinds by cursor', async () => {
    const source = {
      deployments: [deployment('d1', '2026-01-01T00:00:00Z')] as IDeployment[],
      changed: new Signal<unknown, IDeployment[]>({})
    };
    api.pollAPI.mockReset().mockResolvedValue({
      changed: true,
      etag: '"1"',
      data: report([], { alerts: [alert(9), alert(8)], alerts_next_cursor: 'after-8' })
    });
    api.fetchAlertsPage.mockReset().mockResolvedValue({ alerts: [alert(7), alert(6)], next_cursor: null });
    const model = new DriftModel(source);
    await model.refresh();
    expect([ids(model.alerts), model.hasMoreAlerts]).toEqual([[9, 8], true]);
    await model.loadMoreAlerts();
    expect(api.fetchAlertsPage).toHaveBeenCalledWith('d1', ['data_drift'], 'after-8');
    expect([ids(model.alerts), model.hasMoreAlerts]).toEqual([[9, 8, 7, 6], false]);
    await model.refresh(); // the report again: the older alerts stay
    expect(ids(model.alerts)).toEqual([9, 8, 7, 6]);
    model.dispose();
  });

  it('offers “Load older alerts” only with a way to read them', () => {
    const props = { runParameters: {}, model: { retrain: jest.fn(), dismiss: jest.fn() }, runs: {} as any, trans };
    const onLoadMore = jest.fn();
    const { host, rerender, unmount } = mount(<AlertsList alerts={[alert(2)]} onLoadMore={onLoadMore} {...props} />);
    act(() => host.querySelector<HTMLButtonElement>('.a4m-LoadMore')!.click());
    expect(onLoadMore).toHaveBeenCalledTimes(1);
    rerender(<AlertsList alerts={[alert(2)]} {...props} />);
    expect(host.querySelector('.a4m-LoadMore')).toBeNull();
    unmount();
  });
});
