/** PerformanceModel: follows the drift view's deployment, conditional polling, labels read at once, errors. */
import { Signal } from '@lumino/signaling';

import { ApiError, IDeployment, IPerformanceReport, pollAPI, Polled } from '../api';
import { PerformanceModel } from '../performance/model';
import { deployment } from './drift-fixtures';
import { performanceReport, performanceWindow } from './performance-fixtures';

jest.mock('../api', () => ({
  ...jest.requireActual('../api'),
  pollAPI: jest.fn(),
  checkPerformance: jest.fn(),
  sendLabels: jest.fn(),
  updatePerformancePolicy: jest.fn(),
  dismissAlert: jest.fn()
}));
const poll = pollAPI as jest.MockedFunction<typeof pollAPI>;
const api = jest.requireMock('../api');

/** The drift model's choice of deployment, as the performance model sees it. */
class FakeChoice {
  deployments: IDeployment[] = [deployment('a', '2026-01-01T00:00:00Z'), deployment('b', '2026-02-01T00:00:00Z')];
  deployment: string | null = 'b';
  changed = new Signal<this, void>(this);
  select(name: string) {
    this.deployment = name;
    this.changed.emit();
  }
}

function serve(answers: Record<string, Polled<IPerformanceReport> | (() => Promise<Polled<IPerformanceReport>>)>) {
  const asked: [string, string][] = [];
  poll.mockImplementation(async (endPoint: string, etag: string) => {
    asked.push([endPoint, etag]);
    const answer = answers[endPoint];
    if (!answer) {
      throw new Error(`unexpected ${endPoint}`);
    }
    return (typeof answer === 'function' ? answer() : answer) as Polled<any>;
  });
  return asked;
}

const report = performanceReport([performanceWindow(0, 40, 0.9, null)], {
  deployment: 'b',
  latest: { window: 0, value: 0.9, source: 'realized' }
});

describe('PerformanceModel', () => {
  let choice: FakeChoice;
  let model: PerformanceModel;
  beforeEach(() => {
    jest.resetAllMocks();
    choice = new FakeChoice();
    model = new PerformanceModel(choice);
  });
  afterEach(() => model.dispose());

  it('watches the deployment chosen for drift, and chooses it there', () => {
    expect(model.deployment).toBe('b');
    expect(model.deployments).toBe(choice.deployments);
    serve({ 'deployments/a/performance': { changed: false } });
    const changed = jest.fn();
    model.changed.connect(changed);
    model.select('a');
    expect(choice.deployment).toBe('a');
    expect(model.deployment).toBe('a');
    expect(model.report).toBeNull();
    expect(changed).toHaveBeenCalled();
  });

  it('polls the report with its ETag (304 keeps what it has)', async () => {
    const asked = serve({ 'deployments/b/performance': { changed: true, etag: '"1"', data: report } });
    await model.refresh();
    expect(model.report).toBe(report);
    serve({ 'deployments/b/performance': { changed: false } });
    const again = serve({ 'deployments/b/performance': { changed: false } });
    await model.refresh();
    expect(model.report).toBe(report);
    expect(asked).toEqual([['deployments/b/performance', '']]);
    expect(again).toEqual([['deployments/b/performance', '"1"']]);
  });

  it('ignores an answer for a deployment the user has left', async () => {
    let answerSlowly: () => void = () => undefined;
    serve({
      'deployments/b/performance': () =>
        new Promise(resolve => (answerSlowly = () => resolve({ changed: true, etag: '"b"', data: report }))),
      'deployments/a/performance': { changed: true, etag: '"a"', data: { ...report, deployment: 'a' } }
    });
    const pending = model.refresh();
    await new Promise(resolve => setTimeout(resolve, 0)); // b's poll is in flight
    choice.select('a');
    answerSlowly();
    await pending;
    expect(model.report).toBeNull();
    await model.refresh();
    expect(model.report?.deployment).toBe('a');
  });

  it('reads labels at once after sending them, and keeps them when that round fails', async () => {
    const result = { received: 2, stored: 2, unchanged: 0, joined: 2, refused_count: 0, refused: [] };
    api.sendLabels.mockResolvedValue(result);
    api.checkPerformance.mockResolvedValue(report);
    const asked = serve({ 'deployments/b/performance': { changed: true, etag: '"2"', data: report } });
    await expect(model.sendLabels('b', 'id,label\nx,1\n')).resolves.toBe(result);
    expect(api.sendLabels).toHaveBeenCalledWith('b', 'id,label\nx,1\n');
    expect(api.checkPerformance).toHaveBeenCalledWith('b');
    expect(asked).toHaveLength(1);
    expect(model.report).toBe(report);

    api.checkPerformance.mockRejectedValue(new Error('busy'));
    await expect(model.sendLabels('b', [{ id: 'x', label: 1 }])).resolves.toBe(result);
  });

  it('saves the policy and refreshes; acts on alerts through the shared routes', async () => {
    const asked = serve({ 'deployments/b/performance': { changed: false } });
    api.updatePerformancePolicy.mockResolvedValue(report.policy);
    await expect(model.updatePolicy('b', { min_labels: 5 })).resolves.toBe(report.policy);
    expect(api.updatePerformancePolicy).toHaveBeenCalledWith('b', { min_labels: 5 });
    api.dismissAlert.mockResolvedValue({ id: 7 });
    await model.dismiss(7);
    expect(api.dismissAlert).toHaveBeenCalledWith(7);
    expect(asked).toHaveLength(2);
  });

  it("shows the server's explanation when polling fails, and forgets it for another deployment", async () => {
    poll.mockRejectedValue(new ApiError(404, { error: 'not_found', detail: 'No deployment b.', hint: 'Deploy it.' }));
    await model.refresh();
    expect(model.error).toBe('No deployment b. Deploy it.');
    serve({ 'deployments/a/performance': { changed: false } });
    choice.select('a');
    expect(model.error).toBe('');
  });
});
