/** The Models view's parts: versions, the rollout panel and its gate, the gate policy form, decisions, registering. */
import React from 'react';
import { act } from 'react';

import { ApiError } from '../api';
import { DecisionsList } from '../models/DecisionsList';
import { GatePolicyForm } from '../models/GatePolicyForm';
import { ModelsView } from '../models/ModelsView';
import { RegisterModel } from '../models/RegisterModel';
import { RolloutPanel } from '../models/RolloutPanel';
import { IRunsModel } from '../tokens';
import { trans } from './drift-fixtures';
import { decision, fakeModels, modelVersion, policy, registeredModel, rollout } from './model-fixtures';
import { mount } from './mount';
import { runRecord } from './run-fixtures';

jest.mock('@jupyterlab/apputils', () => ({ Notification: { promise: jest.fn() } }));
// An ES module jest does not load; the charts are drawn by JupyterLab (the browser tests see them).
jest.mock('@jupyterlab/rendermime', () => ({ MimeModel: class {} }));

const refused = new ApiError(409, {
  error: 'gate_refused',
  detail: 'The gate refuses v2 of iris: accuracy 0.8 vs 0.9.',
  hint: 'Train a better model.'
});

const buttons = (host: HTMLElement) => Array.from(host.querySelectorAll('button'));
const button = (host: HTMLElement, text: string) => buttons(host).find(b => b.textContent === text)!;
const byLabel = <T extends HTMLElement>(host: HTMLElement, label: string) =>
  host.querySelector(`[aria-label="${label}"]`) as T;

/** Set an input's value as a user does (React listens to the native setter's event). */
function type(input: HTMLInputElement | HTMLSelectElement, value: string) {
  const proto = input instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(input, value);
  input.dispatchEvent(new Event(input instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
}

const runs = { runs: [runRecord('r1'), runRecord('r2', { created_at: '2026-01-02T00:00:00Z' })], select: jest.fn() };

describe('ModelsView', () => {
  it('lists the models with their aliases, and the versions with their state, metric and lineage', () => {
    const models = fakeModels({
      models: [registeredModel('iris', { champion: 1, challenger: 2 }, 2), registeredModel('wine', {}, 1)],
      versions: [
        modelVersion(2, { aliases: ['challenger'] }),
        modelVersion(1, { aliases: ['champion'], state: 'archived' })
      ]
    });
    const showCell = jest.fn();
    const { host, unmount } = mount(
      <ModelsView
        models={models}
        runs={runs as unknown as IRunsModel}
        rendermime={{} as any}
        trans={trans}
        showCell={showCell}
      />
    );
    const rows = host.querySelectorAll('.a4m-ModelRow');
    expect(Array.from(rows).map(r => r.textContent)).toEqual([
      'iris2 versionschallenger v2champion v1',
      'wine1 version'
    ]);
    expect(rows[0].getAttribute('aria-pressed')).toBe('true');
    act(() => (rows[1] as HTMLButtonElement).click());
    expect(models.select).toHaveBeenCalledWith('wine');

    const [v2, v1] = Array.from(host.querySelectorAll('.a4m-VersionCard'));
    expect(v2.querySelector('.a4m-VersionCard-pills')?.textContent).toBe('challengercanarylive');
    expect(v1.querySelector('.a4m-VersionCard-pills')?.textContent).toBe('championservingarchived');
    expect(v2.querySelector('.a4m-RunCard-metric')?.textContent).toBe('accuracy0.82');
    expect(v2.querySelector('.a4m-RunLink')?.textContent).toBe('run 2');
    act(() => (v2.querySelector('.a4m-RunLink') as HTMLElement).click());
    expect(runs.select).toHaveBeenCalledWith('r2');
    act(() => (v2.querySelector('.a4m-NotebookLink') as HTMLElement).click());
    expect(showCell).toHaveBeenCalledWith('train.ipynb', 0);
    // An archived version cannot be deployed; it can be restored.
    expect(buttons(v1 as HTMLElement).map(b => b.textContent)).toEqual(['Restore']);
    act(() => button(v1 as HTMLElement, 'Restore').click());
    expect(models.setState).toHaveBeenCalledWith('iris', 1, 'restore');
    unmount();
  });

  it('points an alias at a version with a reason, and shows a refusal at its field', async () => {
    const models = fakeModels();
    models.setAlias = jest
      .fn()
      .mockRejectedValueOnce(
        new ApiError(422, {
          error: 'bad_request',
          detail: "The alias 'Best!' in 'alias' is invalid.",
          hint: '',
          field: 'alias'
        })
      )
      .mockResolvedValueOnce(modelVersion(2));
    const { host, unmount } = mount(
      <ModelsView models={models} runs={runs as unknown as IRunsModel} rendermime={{} as any} trans={trans} />
    );
    const card = host.querySelector('.a4m-VersionCard') as HTMLElement;
    act(() => byLabel<HTMLButtonElement>(card, 'Set alias of v2').click());
    const alias = byLabel<HTMLInputElement>(card, 'Alias to point at v2');
    expect(alias.value).toBe('champion');
    act(() => type(alias, 'Best!'));
    act(() => type(byLabel<HTMLInputElement>(card, 'Reason for the alias of v2'), 'better'));
    await act(async () => button(card, 'Make v2 Best!').click());
    expect(models.setAlias).toHaveBeenCalledWith('iris', 'Best!', 2, 'better');
    expect(alias.getAttribute('aria-invalid')).toBe('true');
    expect(card.querySelector('.a4m-FieldError')?.textContent).toBe("The alias 'Best!' in 'alias' is invalid.");
    act(() => type(alias, 'champion'));
    await act(async () => button(card, 'Make v2 champion').click());
    expect(card.querySelector('.a4m-AliasForm')).toBeNull();
    unmount();
  });

  it('compares two or more ticked versions', () => {
    const models = fakeModels();
    const { host, unmount } = mount(
      <ModelsView
        models={models}
        runs={runs as unknown as IRunsModel}
        rendermime={{ mimeTypes: [] } as any}
        trans={trans}
      />
    );
    expect(host.textContent).toContain('Tick two or more versions to compare their metrics.');
    act(() => byLabel<HTMLInputElement>(host, 'Compare v2').click());
    expect(host.querySelector('.a4m-Compare')).toBeNull();
    act(() => byLabel<HTMLInputElement>(host, 'Compare v1').click());
    const compare = host.querySelector('[aria-label="Compare versions"]')!;
    expect(compare.querySelector('h4')?.textContent).toBe('Comparing 2 versions');
    expect(Array.from(compare.querySelectorAll('tbody th')).map(th => th.firstChild?.textContent)).toEqual([
      'v2',
      'v1'
    ]);
    unmount();
  });
});

describe('RolloutPanel', () => {
  it('shows both versions, the share, and each check of the gate with its state', () => {
    const { host, unmount } = mount(
      <RolloutPanel models={fakeModels()} versions={[modelVersion(2), modelVersion(1)]} policy={policy} trans={trans} />
    );
    expect(host.querySelector('.a4m-Rollout-summary')?.textContent).toMatch(
      /^canary 20 % iris serves v1; v2 is tried, since /
    );
    const heads = Array.from(host.querySelectorAll('.a4m-RolloutSides thead th')).map(th => th.textContent);
    expect(heads).toEqual(['Stable v1', 'Candidate v2']);
    expect(byLabel<HTMLInputElement>(host, 'Share of the traffic for the canary, in percent').value).toBe('20');
    expect(host.querySelector('.a4m-Gate-verdict .a4m-Status')?.textContent).toBe('fail');
    const checkHeads = Array.from(host.querySelectorAll('.a4m-GateChecks thead th')).map(th => th.textContent);
    expect(checkHeads).toEqual(['Check', 'v2 (candidate)', 'v1 (stable)', 'Limit']);
    const states = Array.from(host.querySelectorAll('.a4m-GateCheck')).map(c => [
      c.getAttribute('data-check'),
      c.querySelector('.a4m-GateCheck-mark')?.textContent,
      c.querySelector('.a4m-VisuallyHidden')?.textContent
    ]);
    expect(states).toEqual([
      ['offline_metric', '✓', ': passed'],
      ['requests', '…', ': waiting'],
      ['error_rate', '✗', ': failed'],
      ['p99_latency', '…', ': waiting'],
      ['live_performance', '✓', ': passed']
    ]);
    expect(host.querySelector('[data-check="requests"] .a4m-GateCheck-detail')?.textContent).toBe(
      '40 of 100 requests seen'
    );
    unmount();
  });

  it('promotes only once confirmed, with the reason; evaluate says what the gate did', async () => {
    const models = fakeModels();
    models.decide = jest
      .fn()
      .mockResolvedValueOnce({
        decision: null,
        rollout: rollout(1, 2, { gate: { verdict: 'waiting', checks: [], summary: '40 of 100 requests seen' } })
      })
      .mockResolvedValueOnce({ decision: decision(3, 'promoted'), rollout: rollout(2, null) });
    const { host, unmount } = mount(<RolloutPanel models={models} versions={[]} policy={policy} trans={trans} />);
    await act(async () => button(host, 'Evaluate now').click());
    expect(models.decide).toHaveBeenCalledWith('iris', 'evaluate', '');
    expect(host.querySelector('[role="status"]')?.textContent).toBe('The gate waits: 40 of 100 requests seen');

    act(() => button(host, 'Promote v2…').click());
    expect(models.decide).toHaveBeenCalledTimes(1);
    expect(host.querySelector('.a4m-Confirm')?.textContent).toContain('v2 takes all the traffic and becomes champion');
    act(() => type(byLabel<HTMLInputElement>(host, 'Reason for the decision'), 'better on the canary'));
    await act(async () => button(host, 'Promote v2').click());
    expect(models.decide).toHaveBeenLastCalledWith('iris', 'promote', 'better on the canary');
    expect(host.querySelector('[role="status"]')?.textContent).toBe('v2 promoted.');

    act(() => button(host, 'Roll back v2…').click());
    act(() => button(host, 'Cancel').click());
    expect(models.decide).toHaveBeenCalledTimes(2);
    unmount();
  });

  it("starts a canary at the policy's share; a refusal of the gate offers to start anyway", async () => {
    const models = fakeModels({ rollout: rollout(1, null) });
    models.startRollout = jest.fn().mockRejectedValueOnce(refused).mockResolvedValueOnce(rollout(1, 3));
    const versions = [modelVersion(3), modelVersion(2, { state: 'archived' }), modelVersion(1)];
    const { host, unmount } = mount(
      <RolloutPanel models={models} versions={versions} policy={{ ...policy, canary_percent: 25 }} trans={trans} />
    );
    expect(host.querySelector('.a4m-Rollout-summary')?.textContent).toBe('iris serves v1; no rollout runs.');
    const picker = byLabel<HTMLSelectElement>(host, 'Candidate version');
    expect(Array.from(picker.options).map(o => o.textContent)).toEqual(['v3']);
    expect(byLabel<HTMLInputElement>(host, 'Share of the traffic for the canary, in percent').value).toBe('25');
    await act(async () => button(host, 'Start canary of v3').click());
    expect(models.startRollout).toHaveBeenCalledWith('iris', { version: 3, mode: 'canary', percent: 25 });
    const alert = host.querySelector('.a4m-Refusal')!;
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain(
      'The gate refused v3. The gate refuses v2 of iris: accuracy 0.8 vs 0.9. Train a better model.'
    );
    await act(async () => button(host, 'Start anyway').click());
    expect(models.startRollout).toHaveBeenLastCalledWith('iris', {
      version: 3,
      mode: 'canary',
      percent: 25,
      force: true
    });
    expect(host.querySelector('.a4m-Refusal')).toBeNull();
    unmount();
  });

  it('starts a shadow without a share, and says what a shadow does', async () => {
    const models = fakeModels({ rollout: rollout(1, null) });
    const { host, unmount } = mount(
      <RolloutPanel models={models} versions={[modelVersion(2), modelVersion(1)]} policy={policy} trans={trans} />
    );
    act(() => type(byLabel<HTMLSelectElement>(host, 'Rollout mode'), 'shadow'));
    expect(host.textContent).toContain('v2 answers a copy of every request; its answers are logged, never returned.');
    await act(async () => button(host, 'Start shadow of v2').click());
    expect(models.startRollout).toHaveBeenCalledWith('iris', { version: 2, mode: 'shadow' });
    unmount();
  });

  it('asks for a deployment when none serves the model', () => {
    const { host, unmount } = mount(
      <RolloutPanel
        models={fakeModels({ deployments: [], deployment: null, rollout: null })}
        versions={[]}
        policy={policy}
        trans={trans}
      />
    );
    expect(host.textContent).toBe('Deploy a version of this model to try another one against it.');
    unmount();
  });
});

describe('GatePolicyForm', () => {
  it('keeps the draft across polls and shows a refused setting at its field', async () => {
    const models = fakeModels();
    models.updatePolicy = jest
      .fn()
      .mockRejectedValueOnce(
        new ApiError(422, {
          error: 'bad_policy',
          detail: 'max_error_rate must be at most 1 (got 5).',
          hint: '',
          field: 'max_error_rate'
        })
      )
      .mockResolvedValueOnce(policy);
    const element = (p = policy) => <GatePolicyForm model="iris" policy={p} models={models} trans={trans} />;
    const { host, rerender, unmount } = mount(element({ ...policy, metric: 'f1' }));
    const rate = byLabel<HTMLInputElement>(host, 'Max. error rate');
    act(() => type(rate, '5'));
    act(() => type(byLabel<HTMLInputElement>(host, 'Metric compared offline'), ''));
    // A poll brings the policy again, changed elsewhere: the draft stays.
    rerender(element({ ...policy, metric: 'f1', max_error_rate: 0.02, min_requests: 50 }));
    expect(rate.value).toBe('5');
    expect(byLabel<HTMLInputElement>(host, 'Min. requests').value).toBe('50');
    expect(byLabel<HTMLInputElement>(host, 'Min. labels').value).toBe('0');
    expect(byLabel<HTMLInputElement>(host, 'Max. metric drop').value).toBe('0');
    await act(async () => button(host, 'Save').click());
    expect(models.updatePolicy).toHaveBeenCalledWith('iris', { max_error_rate: 5, metric: null });
    expect(rate.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(rate.getAttribute('aria-describedby')!)?.textContent).toBe(
      'max_error_rate must be at most 1 (got 5).'
    );
    // Fixed and saved: the draft is gone, the fields show the policy.
    act(() => type(rate, '0.05'));
    await act(async () => button(host, 'Save').click());
    expect(models.updatePolicy).toHaveBeenLastCalledWith('iris', { max_error_rate: 0.05, metric: null });
    expect(button(host, 'Save').disabled).toBe(true);
    expect(rate.value).toBe('0.02');
    unmount();
  });

  it('keeps an edit made while a save is in flight', async () => {
    let finish: (value: typeof policy) => void = () => undefined;
    const pending = new Promise<typeof policy>(resolve => (finish = resolve));
    const models = fakeModels({ updatePolicy: jest.fn(() => pending) });
    const { host, unmount } = mount(<GatePolicyForm model="iris" policy={policy} models={models} trans={trans} />);
    act(() => type(byLabel<HTMLInputElement>(host, 'Min. gain'), '1'));
    await act(async () => button(host, 'Save').click());
    expect(button(host, 'Save').disabled).toBe(true); // saving
    act(() => type(byLabel<HTMLInputElement>(host, 'Max. error rate'), '0.5'));
    await act(async () => finish(policy));
    expect(byLabel<HTMLInputElement>(host, 'Max. error rate').value).toBe('0.5');
    expect(byLabel<HTMLInputElement>(host, 'Min. gain').value).toBe('0'); // saved: the policy shows
    expect(button(host, 'Save').disabled).toBe(false);
    unmount();
  });
});

describe('DecisionsList', () => {
  it('lists each decision with its action, versions, who, reason, and the evidence on demand', () => {
    const { host, unmount } = mount(
      <DecisionsList
        decisions={[
          decision(2, 'promoted', { by: 'gate', automatic: true, reason: 'every check passed' }),
          decision(1, 'refused', { reason: 'accuracy 0.8 vs 0.9' })
        ]}
        trans={trans}
      />
    );
    const items = Array.from(host.querySelectorAll('.a4m-Decision'));
    expect(items.map(i => i.querySelector('.a4m-Status')?.textContent)).toEqual(['promoted', 'refused']);
    expect(items[0].textContent).toContain('v2 over v1');
    expect(items[0].textContent).toContain('by the gate · automatic · iris');
    expect(items[1].textContent).toContain('by ada · iris');
    expect(items[1].querySelector('.a4m-Decision-reason')?.textContent).toBe('accuracy 0.8 vs 0.9');
    const evidence = items[0].querySelector('details')!;
    expect(evidence.open).toBe(false);
    expect(evidence.querySelector('summary')?.textContent).toBe('Evidence: 5 checks');
    expect(evidence.querySelectorAll('.a4m-GateCheck')).toHaveLength(5);
    unmount();
  });
});

describe('RegisterModel', () => {
  const artifacts = [{ step: 'train', name: 'model', uri: '/m', type: 'system.Model', size: null, metadata: {} }];
  const run = runRecord('r9', { pipeline: 'torch-train' });

  it('offers the default name, as champion of a new model', async () => {
    const models = fakeModels({ models: [] });
    const { host, unmount } = mount(<RegisterModel run={run} artifacts={artifacts} models={models} trans={trans} />);
    await act(async () => undefined);
    expect(models.versionsOfRun).toHaveBeenCalledWith('r9');
    expect(byLabel<HTMLInputElement>(host, 'Registered model name').value).toBe('torch-train-model');
    expect(host.textContent).toContain('Creates the model torch-train-model.');
    expect((host.querySelector('input[type="checkbox"]') as HTMLInputElement).checked).toBe(true);
    await act(async () => button(host, 'Register model').click());
    expect(models.register).toHaveBeenCalledWith({ run_id: 'r9', artifact: 'train/model', aliases: ['champion'] });
    unmount();
  });

  it('adds the next version of an existing model, not as champion unless asked', async () => {
    const models = fakeModels({ models: [registeredModel('torch-train-model', { champion: 1 }, 1)] });
    const { host, unmount } = mount(<RegisterModel run={run} artifacts={artifacts} models={models} trans={trans} />);
    await act(async () => undefined);
    expect(host.textContent).toContain('Adds v2 to torch-train-model.');
    await act(async () => button(host, 'Register model').click());
    expect(models.register).toHaveBeenCalledWith({ run_id: 'r9', artifact: 'train/model' });
    unmount();
  });

  it('says as what a run is registered already, and shows it in Models', async () => {
    const models = fakeModels({
      versionsOfRun: jest.fn().mockResolvedValue([modelVersion(2, { aliases: ['champion'] })])
    });
    const { host, unmount } = mount(<RegisterModel run={run} artifacts={artifacts} models={models} trans={trans} />);
    await act(async () => undefined);
    expect(host.querySelector('.a4m-Registered')?.textContent).toBe('Registered as iris v2champion');
    expect(button(host, 'Register model')).toBeUndefined();
    act(() => button(host, 'iris v2').click());
    expect(models.select).toHaveBeenCalledWith('iris');
    unmount();
  });

  it('is not offered for a failed run or a run without a model', () => {
    const models = fakeModels();
    const failed = mount(
      <RegisterModel run={{ ...run, status: 'failed' }} artifacts={artifacts} models={models} trans={trans} />
    );
    expect(failed.host.textContent).toBe('');
    failed.unmount();
    const none = mount(<RegisterModel run={run} artifacts={[]} models={models} trans={trans} />);
    expect(none.host.textContent).toBe('');
    none.unmount();
  });
});
