/**
 * A version of a registered model: its number, aliases and state, the main metric and the parameters
 * that tell it apart, where it came from (run, notebook) and when; deploy it, point an alias at it,
 * archive or restore it.
 */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IModelVersion } from '../api';
import { versionModelRef } from '../components/batch';
import { BatchPredict, IBatchFiles } from '../components/BatchPredict';
import { useFieldSubmit } from '../components/fieldSubmit';
import { withProgress } from '../components/progress';
import { When } from '../components/When';
import { errorMessage } from '../errors';
import { formatValue } from '../runs/labels';
import { IModelsModel } from '../tokens';
import { versionName } from './labels';

export interface IVersionCardProps {
  version: IModelVersion;
  models: IModelsModel;
  /** The metric shown first (null: none). */
  metric: string | null;
  /** The parameters that differ between the model's versions. */
  parameters: string[];
  /** Whether it is ticked for comparison. */
  compared: boolean;
  onCompare: () => void;
  /** The deployments serving it now. */
  servedBy: string[];
  /** How a rollout tries it now (null: it is not a candidate). */
  tried: 'canary' | 'shadow' | null;
  /** A run's name ("run 3"), and showing it in the experiments view. */
  runName: (id: string) => string;
  showRun: (id: string) => void;
  /** Opens a notebook. */
  openNotebook?: (path: string) => void;
  /** The file browser's selection and opening files, for batch predictions. */
  files?: IBatchFiles;
  trans: TranslationBundle;
}

/** The inline form that points an alias at the version, with the reason recorded. */
function AliasForm({
  version,
  models,
  onDone,
  trans
}: {
  version: IModelVersion;
  models: IModelsModel;
  onDone: () => void;
  trans: TranslationBundle;
}) {
  const [alias, setAlias] = useState('champion');
  const [reason, setReason] = useState('');
  const name = versionName(version.version);
  const { busy, submit, describe, message } = useFieldSubmit(`a4m-alias-${version.model}-${version.version}`, [
    'alias',
    'reason'
  ]);
  const pointAlias = () =>
    submit(async () => {
      await models.setAlias(version.model, alias.trim(), version.version, reason.trim());
      onDone();
    });
  return (
    <form
      className="a4m-AliasForm"
      aria-label={trans.__('Set alias of %1', name)}
      onSubmit={e => (e.preventDefault(), void pointAlias())}
    >
      <label className="a4m-Field">
        <span>{trans.__('Alias')}</span>
        <input
          className="jp-mod-styled"
          value={alias}
          aria-label={trans.__('Alias to point at %1', name)}
          {...describe('alias')}
          onChange={e => setAlias(e.target.value)}
        />
        {message('alias')}
      </label>
      <label className="a4m-Field">
        <span>{trans.__('Reason (kept in the history)')}</span>
        <input
          className="jp-mod-styled"
          value={reason}
          placeholder={trans.__('e.g. better accuracy')}
          aria-label={trans.__('Reason for the alias of %1', name)}
          {...describe('reason')}
          onChange={e => setReason(e.target.value)}
        />
        {message('reason')}
      </label>
      {message('form')}
      <div className="a4m-Buttons">
        <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={busy || !alias.trim()}>
          {trans.__('Make %1 %2', name, alias.trim() || '…')}
        </button>
        <button type="button" className="jp-mod-styled" onClick={onDone}>
          {trans.__('Cancel')}
        </button>
      </div>
    </form>
  );
}

export function VersionCard(props: IVersionCardProps): JSX.Element {
  const {
    version,
    models,
    metric,
    parameters,
    compared,
    onCompare,
    servedBy,
    tried,
    runName,
    showRun,
    openNotebook,
    files,
    trans
  } = props;
  const [aliasing, setAliasing] = useState(false);
  const [batching, setBatching] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState('');
  const name = versionName(version.version);
  const live = version.state === 'live';
  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setFailure('');
    try {
      await action();
    } catch (e) {
      setFailure(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const deploy = () =>
    withProgress(models.deploy(version.model, version.version), {
      pending: trans.__('Deploying %1 of %2…', name, version.model),
      success: d => trans.__('%1 is %2, serving %3 of %4.', d.name, d.status, name, version.model),
      failure: reason => trans.__('Deploy failed: %1', reason)
    });
  const runId = version.run_id;
  const notebook = version.notebook_path;
  const shownParameters = parameters.filter(p => p in version.parameters);

  return (
    <li
      className={`a4m-VersionCard${live ? '' : ' a4m-mod-archived'}`}
      data-version={version.version}
      aria-label={trans.__('Version %1 of %2', version.version, version.model)}
    >
      <input
        type="checkbox"
        className="a4m-VersionCard-check"
        aria-label={trans.__('Compare %1', name)}
        checked={compared}
        onChange={onCompare}
      />
      <strong className="a4m-VersionCard-name">{name}</strong>
      <span className="a4m-VersionCard-pills">
        {version.aliases.map(alias => (
          <span key={alias} className="a4m-Alias">
            {alias}
          </span>
        ))}
        {servedBy.length > 0 && (
          <span className="a4m-Status" data-status="serving" title={servedBy.join(', ')}>
            {trans.__('serving')}
          </span>
        )}
        {tried && (
          <span className="a4m-Status" data-status={tried}>
            {tried === 'canary' ? trans.__('canary') : trans.__('shadow')}
          </span>
        )}
        <span className="a4m-Status" data-status={version.state}>
          {live ? trans.__('live') : trans.__('archived')}
        </span>
      </span>
      <dl className="a4m-RunCard-values a4m-VersionCard-values">
        {metric !== null && (
          <div className="a4m-RunCard-metric">
            <dt>{metric}</dt>
            <dd>{formatValue(version.metrics[metric])}</dd>
          </div>
        )}
        {shownParameters.map(p => (
          <div key={p} className="a4m-RunCard-parameter">
            <dt>{p}</dt>
            <dd>{formatValue(version.parameters[p])}</dd>
          </div>
        ))}
      </dl>
      <div className="a4m-Muted a4m-VersionCard-lineage">
        {runId && (
          <a
            href="#"
            className="a4m-RunLink"
            title={trans.__('Show run %1 in Experiments', runId)}
            onClick={event => (event.preventDefault(), showRun(runId))}
          >
            {runName(runId)}
          </a>
        )}
        {runId && notebook && ' · '}
        {notebook &&
          (openNotebook ? (
            <a
              href="#"
              className="a4m-NotebookLink"
              title={trans.__('Open the notebook %1', notebook)}
              onClick={event => (event.preventDefault(), openNotebook(notebook))}
            >
              {notebook.split('/').pop()}
            </a>
          ) : (
            <span title={notebook}>{notebook.split('/').pop()}</span>
          ))}
        {' · '}
        <When iso={version.created_at} />
      </div>
      {failure && (
        <p className="a4m-Message a4m-mod-error a4m-VersionCard-wide" role="alert">
          {failure}
        </p>
      )}
      {batching && (
        <div className="a4m-VersionCard-wide">
          <BatchPredict
            model={versionModelRef(version.model, version.version)}
            label={trans.__('%1 of %2', name, version.model)}
            canLog={false}
            files={files}
            trans={trans}
            onClose={() => setBatching(false)}
          />
        </div>
      )}
      {aliasing ? (
        <div className="a4m-VersionCard-wide">
          <AliasForm version={version} models={models} onDone={() => setAliasing(false)} trans={trans} />
        </div>
      ) : (
        <div className="a4m-Buttons a4m-VersionCard-wide">
          {live && (
            <button
              className="jp-mod-styled"
              disabled={busy}
              aria-label={trans.__('Deploy %1', name)}
              title={trans.__('Serve %1 of %2 as a deployment', name, version.model)}
              onClick={() => void act(deploy)}
            >
              {trans.__('Deploy')}
            </button>
          )}
          {live && (
            <button
              className="jp-mod-styled"
              disabled={busy}
              aria-label={trans.__('Set alias of %1', name)}
              title={trans.__('Point an alias (e.g. champion) at %1', name)}
              onClick={() => setAliasing(true)}
            >
              {trans.__('Set alias…')}
            </button>
          )}
          {live && runId && !batching && (
            <button
              className="jp-mod-styled"
              disabled={busy}
              aria-label={trans.__('Batch predict with %1', name)}
              title={trans.__('Predict every row of a file with %1 of %2, in a server worker', name, version.model)}
              onClick={() => setBatching(true)}
            >
              {trans.__('Batch predict…')}
            </button>
          )}
          <button
            className="jp-mod-styled"
            disabled={busy}
            aria-label={live ? trans.__('Archive %1', name) : trans.__('Restore %1', name)}
            title={
              live
                ? trans.__('Archive %1: kept, never deployed again until restored', name)
                : trans.__('Restore %1: it can be deployed again', name)
            }
            onClick={() =>
              void act(() => models.setState(version.model, version.version, live ? 'archive' : 'restore'))
            }
          >
            {live ? trans.__('Archive') : trans.__('Restore')}
          </button>
        </div>
      )}
    </li>
  );
}
