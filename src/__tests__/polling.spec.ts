/** The polled models: backoff, standby while hidden, stop and dispose, refresh after a write, ETag reuse. */
import { ApiError, IDeployment, IRun, pollAPI, Polled } from '../api';
import { DeploymentsModel } from '../deploy/model';
import { MAX_INTERVAL_MS } from '../polling';
import { RunsModel } from '../runs/model';
import { deployment } from './drift-fixtures';

jest.mock('../api', () => ({
  ...jest.requireActual('../api'),
  pollAPI: jest.fn(),
  deploymentAction: jest.fn(),
  removeDeployment: jest.fn(),
  startRun: jest.fn()
}));
const api = jest.requireMock('../api');
const poll = pollAPI as jest.MockedFunction<typeof pollAPI>;

type Answer = Polled<unknown> | Error;

/** Answer polls from a queue (the last answer repeats); record each poll's time and ETag. */
function serve(...answers: Answer[]): { at: number; etag: string }[] {
  const asked: { at: number; etag: string }[] = [];
  poll.mockImplementation(async (_: string, etag: string) => {
    asked.push({ at: Date.now(), etag });
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    if (answer instanceof Error) {
      throw answer;
    }
    return answer as Polled<any>;
  });
  return asked;
}

const list = (etag: string, ...deployments: IDeployment[]): Answer => ({
  changed: true,
  etag,
  data: { deployments }
});
const down = () => new ApiError(503, { error: 'unavailable', detail: 'The server is down.', hint: 'Wait.' });

function setHidden(hidden: boolean): void {
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => (hidden ? 'hidden' : 'visible')
  });
  document.dispatchEvent(new Event('visibilitychange'));
}

/** Gaps between consecutive polls, in ms. */
const gaps = (asked: { at: number }[]) => asked.slice(1).map((a, i) => a.at - asked[i].at);

beforeEach(() => {
  jest.useFakeTimers();
  poll.mockReset();
  setHidden(false);
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('DeploymentsModel polling', () => {
  let model: DeploymentsModel;
  beforeEach(() => {
    model = new DeploymentsModel();
  });
  afterEach(() => model.dispose());

  it('sends the ETag it got, and keeps its list (no change signal) on a 304', async () => {
    const asked = serve(list('"e1"', deployment('a', '2026-01-01T00:00:00Z')), { changed: false });
    const changes: IDeployment[][] = [];
    model.changed.connect((_, deployments) => changes.push(deployments));
    model.startPolling();
    await jest.advanceTimersByTimeAsync(6100);
    expect(asked.map(a => a.etag)).toEqual(['', '"e1"', '"e1"']);
    expect(gaps(asked)).toEqual([3000, 3000]);
    expect(model.deployments.map(d => d.name)).toEqual(['a']);
    expect(changes).toHaveLength(1);
  });

  it('backs off while the server fails, up to a maximum, and shows why', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.999); // the longest wait lumino's backoff allows
    const ok = list('"e1"');
    const asked = serve(ok, down(), down(), down(), down(), ok);
    model.startPolling();
    await jest.advanceTimersByTimeAsync(120000);
    const waits = gaps(asked);
    expect(waits[0]).toBe(3000);
    expect(waits[1]).toBeGreaterThan(3000); // the first failure waits longer
    expect(waits[2]).toBeGreaterThan(waits[1]);
    expect(Math.max(...waits)).toBe(MAX_INTERVAL_MS);
    expect(waits[waits.length - 1]).toBe(3000); // answered again: back to the normal pace
    expect(model.error).toBe('');

    serve(down());
    await model.refresh();
    expect(model.error).toBe('The server is down. Wait.');
  });

  it('stands by while the page is hidden, and polls again once it shows', async () => {
    const asked = serve(list('"e1"'));
    model.startPolling();
    await jest.advanceTimersByTimeAsync(100);
    expect(asked).toHaveLength(1);
    setHidden(true);
    await jest.advanceTimersByTimeAsync(60000);
    expect(asked.length).toBeLessThanOrEqual(2); // lumino lingers for one poll
    const whileHidden = asked.length;
    setHidden(false);
    await jest.advanceTimersByTimeAsync(3100);
    expect(asked.length).toBe(whileHidden + 1);
  });

  it('stops polling when stopped or disposed', async () => {
    const asked = serve(list('"e1"'));
    model.startPolling();
    await jest.advanceTimersByTimeAsync(100);
    model.stopPolling();
    await jest.advanceTimersByTimeAsync(30000);
    expect(asked).toHaveLength(1);
    expect(model.isPolling).toBe(false);

    model.startPolling();
    await jest.advanceTimersByTimeAsync(100);
    expect(asked).toHaveLength(2);
    model.dispose();
    expect(model.isDisposed).toBe(true);
    await model.refresh();
    model.startPolling();
    await jest.advanceTimersByTimeAsync(30000);
    expect(asked).toHaveLength(2);
  });

  it('refreshes at once after a write, whatever its outcome', async () => {
    const before = deployment('a', '2026-01-01T00:00:00Z');
    const stopped = { ...before, status: 'stopped' as const };
    const asked = serve(list('"e1"', before), list('"e2"', stopped), list('"e3"'));
    model.startPolling();
    await jest.advanceTimersByTimeAsync(100);
    api.deploymentAction.mockResolvedValue(stopped);

    await expect(model.stop('a')).resolves.toBe(stopped);
    expect(api.deploymentAction).toHaveBeenCalledWith('a', 'stop');
    expect(asked.map(a => a.etag)).toEqual(['', '"e1"']);
    expect(model.deployments[0].status).toBe('stopped');

    api.removeDeployment.mockRejectedValue(down());
    await expect(model.remove('a')).rejects.toBeInstanceOf(ApiError);
    expect(asked.map(a => a.etag)).toEqual(['', '"e1"', '"e2"']);
    expect(model.deployments).toEqual([]);
  });

  it('counts the next poll from a refresh', async () => {
    const asked = serve(list('"e1"'));
    model.startPolling();
    await jest.advanceTimersByTimeAsync(2000);
    await model.refresh();
    await jest.advanceTimersByTimeAsync(2900);
    expect(asked).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(200);
    expect(asked).toHaveLength(3);
  });
});

describe('RunsModel polling', () => {
  const run = (status: IRun['status']) => ({ id: 'r1', notebook_path: 'a.ipynb', status }) as IRun;
  const runs = (etag: string, ...items: IRun[]): Answer => ({ changed: true, etag, data: { runs: items } });

  it('polls fast while a run is active, slowly otherwise', async () => {
    const model = new RunsModel();
    const asked = serve(runs('"1"'), runs('"2"', run('running')), { changed: false }, runs('"3"', run('succeeded')));
    model.startPolling();
    await jest.advanceTimersByTimeAsync(13000);
    expect(gaps(asked).slice(0, 4)).toEqual([5000, 1000, 1000, 5000]);
    model.dispose();
  });

  it('shows a submitted run at once', async () => {
    const model = new RunsModel();
    const started = run('pending');
    api.startRun.mockResolvedValue(started);
    serve(runs('"1"', started));
    const request = { path: 'a.ipynb', target: 'local' as const, parameters: {} };
    await expect(model.submit(request)).resolves.toBe(started);
    expect(api.startRun).toHaveBeenCalledWith(request);
    expect(model.latestFor('a.ipynb')).toBe(started);
    model.dispose();
  });
});
