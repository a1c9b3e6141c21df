/**
 * Register a succeeded run's model in the registry, from the run's detail: under the default name (or
 * another), optionally as champion. A run already registered says as what, and shows it in Models.
 */
import React, { useEffect, useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IArtifact, IModelVersion, IRun } from '../api';
import { errorMessage } from '../errors';
import { IModelsModel } from '../tokens';
import { defaultModelName, versionName } from './labels';

export interface IRegisterModelProps {
  run: IRun;
  /** The run's artifacts (its models among them). */
  artifacts: IArtifact[];
  models: IModelsModel;
  trans: TranslationBundle;
}

/** The run's model artifacts (what the registry can register), the last one first (the server's default). */
export function modelArtifacts(artifacts: IArtifact[]): IArtifact[] {
  return artifacts.filter(a => a.type === 'system.Model').reverse();
}

/** The versions registered from the run; null while the registry is read. */
function useRegistered(run: IRun, models: IModelsModel): [IModelVersion[] | null, string] {
  const [versions, setVersions] = useState<IModelVersion[] | null>(null);
  const [error, setError] = useState('');
  // A model registered or moved elsewhere changes the list: check again.
  const stamp = models.models.map(m => `${m.name}:${m.version_count}`).join(',');
  useEffect(() => {
    let live = true;
    models
      .versionsOfRun(run.id)
      .then(found => live && (setVersions(found), setError('')))
      .catch(e => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [run.id, stamp]);
  return [versions, error];
}

export function RegisterModel({ run, artifacts, models, trans }: IRegisterModelProps): JSX.Element | null {
  const candidates = modelArtifacts(artifacts);
  const [registered, checkError] = useRegistered(run, models);
  const [artifact, setArtifact] = useState<string | null>(null);
  const [name, setName] = useState<string | null>(null);
  /** Whether to make it champion; by default, when it is a new model's first version. */
  const [championChoice, setChampion] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  if (run.status !== 'succeeded' || !candidates.length) {
    return null;
  }
  const chosen = candidates.find(a => `${a.step}/${a.name}` === artifact) ?? candidates[0];
  const defaultName = defaultModelName(run.pipeline, chosen.name);
  const modelName = (name ?? defaultName).trim();
  const existing = models.models.find(m => m.name === modelName);
  const champion = championChoice ?? !existing;
  const register = async () => {
    setBusy(true);
    setError('');
    try {
      await models.register({
        run_id: run.id,
        artifact: `${chosen.step}/${chosen.name}`,
        ...(modelName !== defaultName ? { name: modelName } : {}),
        ...(champion ? { aliases: ['champion'] } : {})
      });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="a4m-Section a4m-Register" aria-label={trans.__('Model registry')}>
      <h4 className="a4m-Section-title">{trans.__('Model registry')}</h4>
      {checkError && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {checkError}
        </p>
      )}
      {registered === null ? (
        !checkError && <p className="a4m-Panel-empty">{trans.__('Checking the registry…')}</p>
      ) : registered.length > 0 ? (
        <ul className="a4m-Registered">
          {registered.map(v => (
            <li key={`${v.model}/${v.version}`}>
              {trans.__('Registered as')}{' '}
              <button
                className="a4m-LinkButton a4m-RunLink"
                title={trans.__('Show %1 in Models', v.model)}
                onClick={() => models.select(v.model)}
              >
                {`${v.model} ${versionName(v.version)}`}
              </button>
              {v.aliases.map(alias => (
                <span key={alias} className="a4m-Alias">
                  {alias}
                </span>
              ))}
            </li>
          ))}
        </ul>
      ) : (
        <form
          className="a4m-RegisterForm"
          aria-label={trans.__('Register the model of this run')}
          onSubmit={e => (e.preventDefault(), void register())}
        >
          {candidates.length > 1 && (
            <label className="a4m-Field">
              <span>{trans.__('Model artifact')}</span>
              <select
                className="jp-mod-styled"
                aria-label={trans.__('Model artifact to register')}
                value={`${chosen.step}/${chosen.name}`}
                onChange={e => setArtifact(e.target.value)}
              >
                {candidates.map(a => (
                  <option key={`${a.step}/${a.name}`} value={`${a.step}/${a.name}`}>
                    {a.step}/{a.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label className="a4m-Field">
            <span>{trans.__('Model name')}</span>
            <input
              className="jp-mod-styled"
              aria-label={trans.__('Registered model name')}
              value={name ?? defaultName}
              onChange={e => setName(e.target.value)}
            />
          </label>
          <div className="a4m-Muted">
            {existing
              ? trans.__('Adds %1 to %2.', versionName(existing.version_count + 1), existing.name)
              : trans.__('Creates the model %1.', modelName || '…')}
          </div>
          <label className="a4m-Check">
            <input type="checkbox" checked={champion} onChange={e => setChampion(e.target.checked)} />
            {trans.__('Make it champion')}
          </label>
          {error && (
            <p className="a4m-Message a4m-mod-error" role="alert">
              {error}
            </p>
          )}
          <div className="a4m-Buttons">
            <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={busy || !modelName}>
              {trans.__('Register model')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
