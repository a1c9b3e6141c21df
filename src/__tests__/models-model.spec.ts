/** ModelsModel: the selected model's details, the rollout of the deployment serving it, refreshes after writes. */
import { Signal } from '@lumino/signaling';

import { IDeployment, pollAPI, Polled } from '../api';
import { ModelsModel } from '../models/model';
import { modelVersion, policy, registeredModel, rollout, servingDeployment } from './model-fixtures';

jest.mock('../api', () => ({
  ...jest.requireActual('../api'),
  pollAPI: jest.fn(),
  fetchModelVersions: jest.fn(),
  fetchGatePolicy: jest.fn(),
  fetchGateDecisions: jest.fn(),
  fetchRankedRuns: jest.fn(),
  startRollout: jest.fn(),
  deployModelVersion: jest.fn()
}));
const poll = pollAPI as jest.MockedFunction<typeof pollAPI>;
const api = jest.requireMock('../api');

class FakeDeployments {
  deployments: IDeployment[] = [];
  changed = new Signal<this, IDeployment[]>(this);
  refresh = jest.fn().mockResolvedValue(undefined);
  set(deployments: IDeployment[]) {
    this.deployments = deployments;
    this.changed.emit(deployments);
  }
}

const models = { models: [registeredModel('iris', { champion: 1 }, 2), registeredModel('wine', {}, 1)] };

/** Answer polls from a table (a function: answered afresh each time); record what was asked with which ETag. */
function serve(answers: Record<string, Polled<unknown> | (() => Polled<unknown>)>) {
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

describe('ModelsModel', () => {
  let source: FakeDeployments;
  let model: ModelsModel;
  beforeEach(() => {
    poll.mockReset();
    api.fetchModelVersions.mockReset().mockImplementation(async (name: string) => ({
      model: name,
      versions: [modelVersion(2, { model: name }), modelVersion(1, { model: name })]
    }));
    api.fetchGatePolicy.mockReset().mockResolvedValue(policy);
    api.fetchGateDecisions.mockReset().mockResolvedValue({ model: 'iris', decisions: [] });
    api.fetchRankedRuns.mockReset().mockResolvedValue({ metric: { name: 'accuracy', higher_is_better: true } });
    source = new FakeDeployments();
    model = new ModelsModel(source);
  });
  afterEach(() => model.dispose());

  it("shows the first model with its versions, policy, decisions and its notebook's main metric", async () => {
    serve({ models: { changed: true, etag: '"m1"', data: models } });
    await model.refresh();
    expect(model.selected).toBe('iris');
    expect(model.versions.map(v => v.version)).toEqual([2, 1]);
    expect(model.policy).toEqual(policy);
    expect(api.fetchRankedRuns).toHaveBeenCalledWith('train.ipynb');
    expect(model.notebookMetric).toBe('accuracy');
    expect(model.deployment).toBeNull();
    expect(model.rollout).toBeNull();
  });

  it('polls the rollout of the deployment serving the model, and its details only when it moves', async () => {
    let current = rollout(1, 2);
    const asked = serve({
      models: () => ({ changed: false }),
      'deployments/iris-prod/rollout': () => ({ changed: true, etag: `"${JSON.stringify(current)}"`, data: current })
    });
    // The first answer of the models: then unchanged.
    poll.mockImplementationOnce(async () => ({ changed: true, etag: '"m1"', data: models }));
    source.set([servingDeployment('other', 1), { ...servingDeployment('iris-prod', 1), created_at: '2026-12-01' }]);
    await model.refresh();
    expect(model.deployment).toBe('iris-prod');
    expect(model.rollout?.candidate?.version).toBe(2);
    expect(api.fetchModelVersions).toHaveBeenCalledTimes(1);

    // Live counts only: the details are not fetched again.
    current = { ...current, stable: { ...current.stable, requests: 500 } };
    await model.refresh();
    expect(model.rollout?.stable.requests).toBe(500);
    expect(api.fetchModelVersions).toHaveBeenCalledTimes(1);
    expect(asked.filter(([route]) => route === 'deployments/iris-prod/rollout').pop()?.[1]).toBe(
      `"${JSON.stringify(rollout(1, 2))}"`
    );

    // Promoted: the rollout moved, so the versions (aliases) and decisions are fetched again.
    current = rollout(2, null);
    await model.refresh();
    expect(api.fetchModelVersions).toHaveBeenCalledTimes(2);
    expect(api.fetchGateDecisions).toHaveBeenCalledTimes(2);
  });

  it('keeps the versions when the rollout cannot be read, and says why', async () => {
    serve({ models: { changed: true, etag: '"m1"', data: models } });
    poll.mockImplementation(async (endPoint: string) => {
      if (endPoint === 'models') {
        return { changed: true, etag: '"m1"', data: models } as Polled<any>;
      }
      throw new api.ApiError(404, { error: 'not_found', detail: 'No deployment iris.', hint: '' });
    });
    source.set([servingDeployment('iris', 1)]);
    await model.refresh();
    expect(model.rolloutError).toBe('No deployment iris.');
    expect(model.versions).toHaveLength(2);
    expect(model.error).toBe('');
  });

  it('fetches the details again after a write, even one the server refused', async () => {
    serve({
      models: { changed: false },
      'deployments/iris/rollout': { changed: false }
    });
    poll.mockImplementationOnce(async () => ({ changed: true, etag: '"m1"', data: models }));
    source.set([servingDeployment('iris', 1)]);
    await model.refresh();
    expect(api.fetchGateDecisions).toHaveBeenCalledTimes(1);
    api.startRollout.mockRejectedValue(
      new api.ApiError(409, { error: 'gate_refused', detail: 'The gate refuses v2.', hint: '' })
    );
    await expect(model.startRollout('iris', { version: 2 })).rejects.toThrow('The gate refuses v2.');
    expect(api.fetchGateDecisions).toHaveBeenCalledTimes(2); // the refusal is listed
  });

  it('drops the previous model when another is picked, and refreshes the deployments after a deploy', async () => {
    serve({ models: { changed: true, etag: '"m1"', data: models } });
    await model.refresh();
    model.select('wine');
    expect(model.versions).toEqual([]);
    await model.refresh();
    expect(model.versions[0].model).toBe('wine');
    api.deployModelVersion.mockResolvedValue(servingDeployment('wine', 2));
    await model.deploy('wine', 2);
    expect(api.deployModelVersion).toHaveBeenCalledWith('wine', 2, {});
    expect(source.refresh).toHaveBeenCalled();
  });
});
