/** DriftModel: which deployment and feature it watches, conditional polling, selections that survive refreshes. */
import { Signal } from '@lumino/signaling';

import { ApiError, IDeployment, IDriftReport, pollAPI, Polled } from '../api';
import { typedParameters } from '../components/ParameterFields';
import { defaultFeature, DriftModel, formatPValue, newestDeployment, pValueText, verdictOf } from '../drift/model';
import { parseDraft, policyFieldOf } from '../components/PolicyDraft';
import { NUMBER_FIELDS } from '../drift/PolicyForm';
import { deployment, driftWindow, featureTest, report } from './drift-fixtures';

jest.mock('../api', () => ({
  ...jest.requireActual('../api'),
  pollAPI: jest.fn(),
  retrainAlert: jest.fn(),
  updateDriftPolicy: jest.fn()
}));
const poll = pollAPI as jest.MockedFunction<typeof pollAPI>;
const api = jest.requireMock('../api');

class FakeDeployments {
  deployments: IDeployment[] = [];
  changed = new Signal<this, IDeployment[]>(this);
  set(deployments: IDeployment[]) {
    this.deployments = deployments;
    this.changed.emit(deployments);
  }
}

/** Answer each route from a table; record what was asked with which ETag. */
function serve(answers: Record<string, Polled<IDriftReport> | (() => Promise<Polled<IDriftReport>>)>) {
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

const drifted = report([
  driftWindow(1, 0.5),
  driftWindow(2, 0.001, { features: [featureTest('f0', 0.3), featureTest('f1', 0.0001)] })
]);
const withFeature = (name: string) => ({
  ...drifted,
  feature: { name, kind: 'numeric' as const, reference: { edges: [0, 1], counts: [1] }, current: null }
});

describe('DriftModel', () => {
  let source: FakeDeployments;
  let model: DriftModel;
  beforeEach(() => {
    poll.mockReset();
    source = new FakeDeployments();
    model = new DriftModel(source);
  });
  afterEach(() => model.dispose());

  it('watches the newest deployment until the user picks another, and falls back when it is removed', () => {
    expect(model.deployment).toBeNull();
    source.set([deployment('old', '2026-01-01T00:00:00Z'), deployment('new', '2026-02-01T00:00:00Z')]);
    expect(model.deployment).toBe('new');
    serve({});
    model.select('old');
    source.set([...source.deployments, deployment('newer', '2026-03-01T00:00:00Z')]);
    expect(model.deployment).toBe('old');
    source.set(source.deployments.filter(d => d.name !== 'old'));
    expect(model.deployment).toBe('newer');
  });

  it('polls the report, then the most drifted feature, with ETags (304 keeps what it has)', async () => {
    source.set([deployment('d1', '2026-01-01T00:00:00Z')]);
    const asked = serve({
      'deployments/d1/drift': { changed: true, etag: '"a"', data: drifted },
      'deployments/d1/drift?feature=f1': { changed: true, etag: '"b"', data: withFeature('f1') }
    });
    await model.refresh();
    expect(model.report).toBe(drifted);
    expect(model.feature).toBe('f1');
    expect(model.distribution?.name).toBe('f1');

    expect(asked).toEqual([
      ['deployments/d1/drift', ''],
      ['deployments/d1/drift?feature=f1', '']
    ]);

    const again = serve({
      'deployments/d1/drift': { changed: false },
      'deployments/d1/drift?feature=f1': { changed: false }
    });
    await model.refresh();
    expect(model.report).toBe(drifted);
    expect(model.distribution?.name).toBe('f1');
    expect(again).toEqual([
      ['deployments/d1/drift', '"a"'],
      ['deployments/d1/drift?feature=f1', '"b"']
    ]);
  });

  it("keeps the user's feature when new windows arrive", async () => {
    source.set([deployment('d1', '2026-01-01T00:00:00Z')]);
    serve({
      'deployments/d1/drift': { changed: true, etag: '"a"', data: drifted },
      'deployments/d1/drift?feature=f1': { changed: true, etag: '"b"', data: withFeature('f1') },
      'deployments/d1/drift?feature=f0': { changed: true, etag: '"c"', data: withFeature('f0') }
    });
    await model.refresh();
    model.selectFeature('f0');
    await model.refresh();
    expect(model.feature).toBe('f0');
    expect(model.distribution?.name).toBe('f0');
  });

  it('ignores an answer for a deployment the user has left', async () => {
    source.set([deployment('a', '2026-01-01T00:00:00Z'), deployment('b', '2026-01-02T00:00:00Z')]);
    let answerSlowly: () => void = () => undefined;
    serve({
      'deployments/b/drift': () =>
        new Promise(resolve => (answerSlowly = () => resolve({ changed: true, etag: '"b"', data: drifted }))),
      'deployments/a/drift': { changed: true, etag: '"a"', data: report([]) },
      'deployments/a/drift?feature=f0': { changed: false }
    });
    const pending = model.refresh();
    model.select('a');
    answerSlowly();
    await pending;
    await model.refresh();
    expect(model.deployment).toBe('a');
    expect(model.report?.windows).toEqual([]);
    expect(model.error).toBe('');
  });

  it('refreshes the report after a write, and the runs after a retraining starts', async () => {
    source.set([deployment('d1', '2026-01-01T00:00:00Z')]);
    const runs = { refresh: jest.fn(async () => undefined) };
    model.dispose();
    model = new DriftModel(source, runs);
    const asked = serve({
      'deployments/d1/drift': { changed: true, etag: '"a"', data: drifted },
      'deployments/d1/drift?feature=f1': { changed: false }
    });
    api.updateDriftPolicy.mockResolvedValue(drifted.policy);
    await expect(model.updatePolicy('d1', { window_size: 80 })).resolves.toBe(drifted.policy);
    expect(api.updateDriftPolicy).toHaveBeenCalledWith('d1', { window_size: 80 });
    expect(asked[0]).toEqual(['deployments/d1/drift', '']);
    expect(model.report).toBe(drifted);
    expect(runs.refresh).not.toHaveBeenCalled();

    api.retrainAlert.mockRejectedValue(
      new ApiError(409, { error: 'conflict', detail: 'Already retraining.', hint: '' })
    );
    await expect(model.retrain(1, { redeploy: true })).rejects.toBeInstanceOf(ApiError);
    expect(asked.slice(-2)[0]).toEqual(['deployments/d1/drift', '"a"']);
    expect(runs.refresh).toHaveBeenCalled();
  });

  it("shows the server's explanation when polling fails", async () => {
    source.set([deployment('d1', '2026-01-01T00:00:00Z')]);
    poll.mockRejectedValue(new ApiError(404, { error: 'not_found', detail: 'No deployment d1.', hint: 'Deploy it.' }));
    await model.refresh();
    expect(model.error).toBe('No deployment d1. Deploy it.');
  });
});

describe('drift summaries', () => {
  it('names the verdict of a window', () => {
    expect(verdictOf(driftWindow(1, 0.001))).toBe('drift');
    expect(verdictOf(driftWindow(1, 0.5))).toBe('no-drift');
    expect(verdictOf(driftWindow(1, null))).toBe('insufficient');
  });

  it('formats p-values', () => {
    expect(formatPValue(null)).toBe('–');
    expect(formatPValue(0.04567)).toBe('0.0457');
    expect(formatPValue(1.234e-12)).toBe('1.2e-12');
    expect(formatPValue(0)).toBe('< 1e-16');
    expect(pValueText(0.04567)).toBe('p = 0.0457');
    expect(pValueText(0)).toBe('p < 1e-16');
  });

  it('picks the most drifted feature first, else the first of the reference', () => {
    expect(defaultFeature(drifted)).toBe('f1');
    expect(defaultFeature(report([]))).toBe('f0');
  });

  it('finds the newest deployment', () => {
    expect(newestDeployment([])).toBeNull();
    expect(
      newestDeployment([deployment('a', '2026-01-02T00:00:00Z'), deployment('b', '2026-01-01T00:00:00Z')])?.name
    ).toBe('a');
  });
});

describe('policy form', () => {
  it('parses numbers and reports the fields that are not', () => {
    expect(
      parseDraft({ window_size: '50', consecutive: '2', auto_retrain: true, method: 'mmd' }, NUMBER_FIELDS)
    ).toEqual({
      change: { window_size: 50, consecutive: 2, auto_retrain: true, method: 'mmd' },
      invalid: []
    });
    expect(parseDraft({ window_size: '', alpha: 'x' }, NUMBER_FIELDS).invalid).toEqual(['window_size', 'alpha']);
  });

  it("finds the field a 422 names, preferring the server's field", () => {
    const fields = ['window', 'window_size', 'consecutive'];
    const error = (detail: string, extra = {}) => new ApiError(422, { error: 'invalid', detail, hint: '', ...extra });
    expect(policyFieldOf(error('window_size must be at least 10.'), fields)).toBe('window_size');
    expect(policyFieldOf(error('window must be count or time.'), fields)).toBe('window');
    expect(policyFieldOf(error('Bad value.', { field: 'consecutive' }), fields)).toBe('consecutive');
    expect(policyFieldOf(error('Something else.'), fields)).toBeNull();
  });
});

describe('retrain parameters', () => {
  it('keeps the types of the run parameters', () => {
    expect(
      typedParameters(
        { epochs: 40, lr: 0.1, name: 'x', flag: false },
        { epochs: '5', lr: '0.01', name: 'y', flag: 'true' }
      )
    ).toEqual({ epochs: 5, lr: 0.01, name: 'y', flag: true });
  });
});
