/**
 * The Models view of the monitor: the registered models, and of the one picked its versions (compare
 * them, deploy one, move an alias), the rollout of the deployment serving it, its gate policy and its
 * decisions.
 */
import React, { useState } from 'react';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';

import { IModelVersion, IRegisteredModel } from '../api';
import { IBatchFiles } from '../components/BatchPredict';
import { runNamer } from '../monitor/compare';
import { CompareView } from '../monitor/CompareView';
import { varyingParameters } from '../runs/labels';
import { IModelsModel, IRunsModel } from '../tokens';
import { DecisionsList } from './DecisionsList';
import { GatePolicyForm } from './GatePolicyForm';
import { aliasPills, comparableVersion, mainMetric, sortedModels } from './labels';
import { RolloutPanel } from './RolloutPanel';
import { VersionCard } from './VersionCard';

export interface IModelsViewProps {
  models: IModelsModel;
  runs: IRunsModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  /** Opens a notebook at a cell (0-based). */
  showCell?: (path: string, cell: number) => void;
  /** The file browser's selection and opening files, for batch predictions. */
  files?: IBatchFiles;
}

/** Parameters a version card shows at most (the narrow panel's room). */
const CARD_PARAMETERS = 2;

function ModelRow({
  model,
  selected,
  onSelect,
  trans
}: {
  model: IRegisteredModel;
  selected: boolean;
  onSelect: () => void;
  trans: TranslationBundle;
}) {
  return (
    <li>
      <button
        className={`a4m-ModelRow${selected ? ' a4m-mod-selected' : ''}`}
        aria-pressed={selected}
        title={model.description || trans.__('Show the versions of %1', model.name)}
        onClick={onSelect}
      >
        <span className="a4m-ModelRow-name">{model.name}</span>
        <span className="a4m-ModelRow-count">{trans._n('%1 version', '%1 versions', model.version_count)}</span>
        <span className="a4m-ModelRow-aliases">
          {aliasPills(model.aliases).map(pill => (
            <span key={pill} className="a4m-Alias">
              {pill}
            </span>
          ))}
        </span>
      </button>
    </li>
  );
}

/** Which version each deployment serves, and the candidate the shown rollout tries. */
function servingByVersion(models: IModelsModel): { served: Map<number, string[]>; tried: number | null } {
  const served = new Map<number, string[]>();
  const rollout = models.rollout;
  for (const d of models.deployments) {
    const version = d.name === rollout?.deployment ? rollout.stable.version : (d.config.version?.version ?? null);
    if (version !== null) {
      served.set(version, [...(served.get(version) ?? []), d.name]);
    }
  }
  return { served, tried: rollout?.candidate?.version ?? null };
}

function ModelDetail({ models, runs, rendermime, trans, showCell, files }: IModelsViewProps) {
  const [ticked, setTicked] = useState<number[]>([]);
  const name = models.selected!;
  const versions = models.versions;
  const metric = mainMetric(versions, models.policy, models.rollout, models.notebookMetric);
  const parameters = varyingParameters(versions).slice(0, CARD_PARAMETERS);
  const runName = runNamer(runs.runs, trans);
  const { served, tried } = servingByVersion(models);
  const compared = versions.filter(v => ticked.includes(v.version)).map(comparableVersion);
  const toggle = (v: IModelVersion) =>
    setTicked(ticked.includes(v.version) ? ticked.filter(n => n !== v.version) : [...ticked, v.version]);

  return (
    <div className="a4m-ModelDetail" data-model={name}>
      <h4 className="a4m-Section-title">{trans.__('Versions of %1', name)}</h4>
      {!versions.length ? (
        <p className="a4m-Panel-empty">{trans.__('Loading the versions…')}</p>
      ) : (
        <ul className="a4m-VersionList" aria-label={trans.__('Versions of %1, newest first', name)}>
          {versions.map(v => (
            <VersionCard
              key={v.version}
              version={v}
              models={models}
              metric={metric}
              parameters={parameters}
              compared={ticked.includes(v.version)}
              onCompare={() => toggle(v)}
              servedBy={served.get(v.version) ?? []}
              tried={tried === v.version ? (models.rollout?.mode ?? null) : null}
              runName={runName}
              showRun={id => runs.select(id)}
              openNotebook={showCell && (path => showCell(path, 0))}
              files={files}
              trans={trans}
            />
          ))}
        </ul>
      )}
      {compared.length > 1 ? (
        <CompareView
          items={compared}
          names={new Map(compared.map(v => [v.id, v.id]))}
          kind="version"
          rendermime={rendermime}
          trans={trans}
        />
      ) : (
        versions.length > 1 && (
          <p className="a4m-Panel-empty">{trans.__('Tick two or more versions to compare their metrics.')}</p>
        )
      )}
      <h4 className="a4m-Section-title">{trans.__('Rollout')}</h4>
      <RolloutPanel models={models} versions={versions} policy={models.policy} trans={trans} />
      <h4 className="a4m-Section-title">{trans.__('Gate policy')}</h4>
      {models.policy ? (
        <GatePolicyForm key={name} model={name} policy={models.policy} models={models} trans={trans} />
      ) : (
        <p className="a4m-Panel-empty">{trans.__('Loading the gate policy…')}</p>
      )}
      <h4 className="a4m-Section-title">{trans.__('Decisions')}</h4>
      <DecisionsList decisions={models.decisions} trans={trans} />
    </div>
  );
}

export function ModelsView(props: IModelsViewProps): JSX.Element {
  const { models, trans } = props;
  if (!models.models.length) {
    return (
      <>
        {models.error && (
          <p className="a4m-Message a4m-mod-error" role="alert">
            {models.error}
          </p>
        )}
        <p className="a4m-Panel-empty">
          {trans.__('No registered model yet. Open a succeeded run in Experiments and use Register model.')}
        </p>
      </>
    );
  }
  return (
    <div className="a4m-Models">
      {models.error && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {models.error}
        </p>
      )}
      <ul className="a4m-ModelList" aria-label={trans.__('Registered models')}>
        {sortedModels(models.models).map(model => (
          <ModelRow
            key={model.name}
            model={model}
            selected={model.name === models.selected}
            onSelect={() => models.select(model.name)}
            trans={trans}
          />
        ))}
      </ul>
      {models.selected && <ModelDetail key={models.selected} {...props} />}
    </div>
  );
}
