/** The notebook's Deploy action: one click serves the model of its best run by the notebook's main metric. */
import React from 'react';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';

import { fetchRankedRuns, fetchRun, IDeployment, IRankedRuns, IRun } from '../api';
import { errorMessage } from '../errors';
import { withProgress } from '../components/progress';
import { DeployRequest, IDeploymentsModel } from '../tokens';
import { chooseRun, IChosenRun, labelRuns } from './runLabel';

type Target = 'local' | 'kserve';

/** What the options dialog asks. */
interface IDeployOptions {
  run_id: string;
  target: Target;
  name: string;
  storage_uri: string;
  reference: string;
}

/** What the deploy actions work with. */
export interface IDeployContext {
  deployments: IDeploymentsModel;
  /** The default target (a setting). */
  target: Target;
  trans: TranslationBundle;
}

/**
 * Deploy with a progress notification until the deployment is ready (or says why not); the reason the run
 * was chosen, if any, in a notification of its own (a notification shows 140 characters at most).
 */
export async function deployWithProgress(
  options: DeployRequest,
  chosen: Pick<IChosenRun, 'label' | 'why'>,
  { deployments, trans }: IDeployContext
): Promise<IDeployment | null> {
  if (chosen.why) {
    Notification.info(chosen.why, { autoClose: 30000 });
  }
  return withProgress(deployments.deploy(options), {
    pending: trans.__('Deploying the %1…', chosen.label),
    success: d => trans.__('%1 is %2, serving the %3.', d.name, d.status, chosen.label),
    failure: reason => trans.__('Deploy failed: %1', reason)
  });
}

/** The notebook's succeeded runs ranked, or null (with a notification saying why) when there are none. */
async function rankedRuns(panel: NotebookPanel, trans: TranslationBundle): Promise<IRankedRuns | null> {
  let ranking: IRankedRuns;
  try {
    ranking = await fetchRankedRuns(panel.context.path);
  } catch (error) {
    Notification.error(trans.__('Could not read the runs of this notebook: %1', errorMessage(error)), {
      autoClose: false
    });
    return null;
  }
  if (!ranking.runs.length) {
    Notification.warning(
      trans.__('This notebook has no successful run yet: run it from the Pipeline panel, then deploy.'),
      { autoClose: 8000 }
    );
    return null;
  }
  return ranking;
}

/** One click: the best successful run of this notebook by its main metric, to the default target. */
export async function deployNotebook(panel: NotebookPanel, context: IDeployContext): Promise<IDeployment | null> {
  const ranking = await rankedRuns(panel, context.trans);
  const chosen = ranking && chooseRun(ranking, context.trans);
  if (!chosen) {
    return null;
  }
  return deployWithProgress({ run_id: chosen.run.id, target: context.target }, chosen, context);
}

class DeployOptions extends ReactWidget implements Dialog.IBodyWidget<IDeployOptions> {
  constructor(
    private readonly candidates: IRun[],
    private readonly labels: Map<string, string>,
    private readonly trans: TranslationBundle,
    private value: IDeployOptions
  ) {
    // `candidates` (best first) carry their artifacts (run details), for the reference picker.
    super();
    this.addClass('a4m-DeployDialog');
  }

  getValue() {
    return this.value;
  }

  render(): JSX.Element {
    const trans = this.trans;
    const set = (change: Partial<IDeployOptions>) => {
      this.value = { ...this.value, ...change };
      this.update();
    };
    return (
      <div className="a4m-StepEditor">
        <label className="a4m-Field">
          <span>{trans.__('Run')}</span>
          <select
            className="jp-mod-styled"
            aria-label={trans.__('Run to deploy')}
            value={this.value.run_id}
            onChange={e => set({ run_id: e.target.value })}
          >
            {this.candidates.map((run, index) => (
              <option key={run.id} value={run.id}>
                {index === 0 ? trans.__('%1 (best)', this.labels.get(run.id)) : this.labels.get(run.id)}
              </option>
            ))}
          </select>
        </label>
        <label className="a4m-Field">
          <span>{trans.__('Reference data for drift monitoring')}</span>
          <select
            className="jp-mod-styled"
            aria-label={trans.__('Reference data')}
            value={this.value.reference}
            onChange={e => set({ reference: e.target.value })}
          >
            <option value="">{trans.__("The model's training features (recorded with it)")}</option>
            {(this.candidates.find(run => run.id === this.value.run_id)?.artifacts ?? [])
              .filter(a => a.type !== 'system.Model')
              .map(a => (
                <option key={`${a.step}/${a.name}`} value={`${a.step}/${a.name}`}>
                  {a.step}/{a.name}
                </option>
              ))}
          </select>
        </label>
        <label className="a4m-Field">
          <span>{trans.__('Target')}</span>
          <select
            className="jp-mod-styled"
            aria-label={trans.__('Deploy target')}
            value={this.value.target}
            onChange={e => set({ target: e.target.value as Target })}
          >
            <option value="local">{trans.__('Local model server (127.0.0.1)')}</option>
            <option value="kserve">{trans.__('KServe InferenceService (cluster)')}</option>
          </select>
        </label>
        <label className="a4m-Field">
          <span>{trans.__('Name')}</span>
          <input
            className="jp-mod-styled"
            aria-label={trans.__('Deployment name')}
            value={this.value.name}
            placeholder={trans.__('default: <pipeline>-<model>')}
            onChange={e => set({ name: e.target.value })}
          />
        </label>
        {this.value.target === 'kserve' && (
          <label className="a4m-Field">
            <span>{trans.__('Storage URI the cluster reads the model from')}</span>
            <input
              className="jp-mod-styled"
              aria-label={trans.__('Storage URI')}
              value={this.value.storage_uri}
              placeholder="s3://bucket/path, pvc://claim/path, gs://… (default: the run's artifact)"
              onChange={e => set({ storage_uri: e.target.value })}
            />
          </label>
        )}
      </div>
    );
  }
}

/** The options dialog: which run, which target, which name. */
export async function deployWithOptions(panel: NotebookPanel, context: IDeployContext): Promise<IDeployment | null> {
  const { target, trans } = context;
  const ranking = await rankedRuns(panel, trans);
  if (!ranking) {
    return null;
  }
  const labels = labelRuns(ranking, trans);
  const candidates = await Promise.all(ranking.runs.slice(0, 20).map(run => fetchRun(run.id)));
  const result = await showDialog({
    title: trans.__('Deploy a model'),
    body: new DeployOptions(candidates, labels, trans, {
      run_id: candidates[0].id,
      target,
      name: '',
      storage_uri: '',
      reference: ''
    }),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: trans.__('Deploy') })]
  });
  if (!result.button.accept || !result.value) {
    return null;
  }
  const { run_id, name, storage_uri, reference } = result.value;
  return deployWithProgress(
    {
      run_id,
      target: result.value.target,
      name: name || undefined,
      storage_uri: storage_uri || undefined,
      reference: reference || undefined
    },
    { label: labels.get(run_id) ?? run_id, why: '' },
    context
  );
}
