/** Run the notebook's pipeline: target, parameters (defaults from the notebook), live status. */
import React, { useEffect, useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';
import { NotebookPanel } from '@jupyterlab/notebook';

import { IPipelineInfo, IRun } from '../api';
import { errorMessage } from '../errors';
import { runTime } from '../runs/labels';
import { isActive } from '../runs/model';
import { IRunsModel } from '../tokens';

type Target = 'local' | 'kfp';

/** The user's run settings (JupyterLab settings of ai4mlops-lab). */
export interface IRunSettings {
  defaultTarget: Target;
  kfpHost: string;
  kfpNamespace: string;
}

export interface IRunSectionProps {
  panel: NotebookPanel;
  pipeline: IPipelineInfo;
  run: IRun | null;
  runs: IRunsModel;
  settings: IRunSettings;
  trans: TranslationBundle;
}

/** A form value for an input of a given pipeline parameter type. */
function parseValue(type: string, text: string): unknown {
  if (type === 'int' || type === 'float') {
    return text.trim() === '' ? text : Number(text);
  }
  if (type === 'bool') {
    return text === 'true';
  }
  return text;
}

export function RunSection({ panel, pipeline, run, runs, settings, trans }: IRunSectionProps) {
  const [target, setTarget] = useState<Target>(settings.defaultTarget);
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  // Forget edited values of parameters the notebook no longer declares.
  useEffect(() => {
    setValues(old =>
      Object.fromEntries(Object.entries(old).filter(([k]) => pipeline.parameters.some(p => p.name === k)))
    );
  }, [pipeline.parameters.map(p => p.name).join(',')]);

  const submit = async () => {
    setBusy(true);
    setError('');
    try {
      await panel.context.save();
      const parameters = Object.fromEntries(
        pipeline.parameters
          .filter(p => values[p.name] !== undefined)
          .map(p => [p.name, parseValue(p.type, values[p.name])])
      );
      const kfp = { host: settings.kfpHost, namespace: settings.kfpNamespace };
      await runs.submit({ path: panel.context.path, target, parameters, kfp });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const active = run !== null && isActive(run);
  // Why Run is disabled, shown as its tooltip ('' while it is enabled).
  const runBlocked = busy
    ? trans.__('Starting the run…')
    : !pipeline.ok
      ? trans.__('Fix the errors above first.')
      : active
        ? trans.__('A run of this notebook is in progress: wait for it or cancel it.')
        : '';
  return (
    <section className="a4m-Section" aria-label={trans.__('Run')}>
      <h3 className="a4m-Section-title">{trans.__('Run')}</h3>
      <label className="a4m-Field a4m-mod-inline">
        <span>{trans.__('Target')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Run target')}
          value={target}
          onChange={e => setTarget(e.target.value as Target)}
        >
          <option value="local">{trans.__('Local (no cluster)')}</option>
          <option value="kfp">{trans.__('Kubeflow Pipelines')}</option>
        </select>
      </label>
      {pipeline.parameters.map(p => (
        <label key={p.name} className="a4m-Field a4m-mod-inline">
          <span>{p.name}</span>
          {p.type === 'bool' ? (
            <select
              className="jp-mod-styled"
              aria-label={trans.__('Parameter %1', p.name)}
              value={values[p.name] ?? String(p.default)}
              onChange={e => setValues({ ...values, [p.name]: e.target.value })}
            >
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input
              className="jp-mod-styled"
              aria-label={trans.__('Parameter %1', p.name)}
              type={p.type === 'int' || p.type === 'float' ? 'number' : 'text'}
              step={p.type === 'float' ? 'any' : undefined}
              value={values[p.name] ?? String(p.default)}
              onChange={e => setValues({ ...values, [p.name]: e.target.value })}
            />
          )}
        </label>
      ))}
      <div className="a4m-Buttons">
        <button
          className="jp-mod-styled jp-mod-accept a4m-RunButton"
          disabled={!!runBlocked}
          title={runBlocked}
          onClick={() => void submit()}
        >
          {busy ? trans.__('Starting…') : trans.__('Run')}
        </button>
        {active && (
          <button
            className="jp-mod-styled jp-mod-warn"
            onClick={() => void runs.cancel(run.id).catch(e => setError(errorMessage(e)))}
          >
            {trans.__('Cancel')}
          </button>
        )}
      </div>
      {error && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {error}
        </p>
      )}
      {run && (
        <div className="a4m-RunStatus" data-status={run.status} data-run={run.id} role="status">
          <span title={trans.__('Run %1', run.id)}>{trans.__('Run of %1', runTime(run.created_at))}</span>{' '}
          <span className="a4m-Status" data-status={run.status}>
            {run.status}
          </span>
          {run.duration !== null && ` ${trans.__('in %1 s', run.duration.toFixed(1))}`}
          {run.error && <div className="a4m-Message a4m-mod-error">{run.error}</div>}
        </div>
      )}
    </section>
  );
}
