/**
 * The rollout of the deployment serving the model: the stable version and the candidate side by side,
 * how the candidate takes traffic, the gate's live evaluation, and the actions (start a canary or a
 * shadow, change the canary's share, promote, roll back, evaluate now).
 */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { ApiError, IGatePolicy, IModelVersion, IRollout, IStartRollout } from '../api';
import { When } from '../components/When';
import { errorMessage } from '../errors';
import { IModelsModel } from '../tokens';
import { GateChecks, VerdictPill } from './GateChecks';
import { actionLabel, candidateVersions, sideRows, versionName } from './labels';

export interface IRolloutPanelProps {
  models: IModelsModel;
  versions: IModelVersion[];
  policy: IGatePolicy | null;
  trans: TranslationBundle;
}

/** A share of the traffic as text: "20 %". */
function percentText(percent: number | null): string {
  return percent === null ? '–' : `${percent} %`;
}

/** The stable version and the candidate, line by line. */
function Sides({ rollout, trans }: { rollout: IRollout; trans: TranslationBundle }) {
  const { stable, candidate } = rollout;
  return (
    <table className="a4m-Table a4m-RolloutSides" aria-label={trans.__('Stable version and candidate')}>
      <thead>
        <tr>
          <td />
          <th scope="col">{trans.__('Stable %1', versionName(stable.version))}</th>
          <th scope="col">
            {candidate ? trans.__('Candidate %1', versionName(candidate.version)) : trans.__('Candidate')}
          </th>
        </tr>
      </thead>
      <tbody>
        {sideRows(stable, candidate, trans).map(row => (
          <tr key={row.label}>
            <th scope="row">{row.label}</th>
            <td>{row.stable}</td>
            <td>{row.candidate}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Start a canary or a shadow of another version; a refusal of the gate is explained, with "Start anyway". */
function StartRollout({
  models,
  rollout,
  versions,
  policy,
  trans
}: {
  models: IModelsModel;
  rollout: IRollout;
  versions: IModelVersion[];
  policy: IGatePolicy | null;
  trans: TranslationBundle;
}) {
  const choices = candidateVersions(versions, rollout.stable.version);
  const [picked, setPicked] = useState<number | null>(null);
  const [mode, setMode] = useState<'canary' | 'shadow'>('canary');
  const [percent, setPercent] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [refusal, setRefusal] = useState<ApiError | null>(null);
  if (!choices.length) {
    return (
      <p className="a4m-Panel-empty">
        {trans.__('Register another version of the model to try it against %1.', versionName(rollout.stable.version))}
      </p>
    );
  }
  const version = picked !== null && choices.some(v => v.version === picked) ? picked : choices[0].version;
  const defaultPercent = policy?.canary_percent ?? rollout.policy?.canary_percent ?? 10;
  const percentValue = percent ?? String(defaultPercent);
  const name = versionName(version);
  const start = async (force: boolean) => {
    const share = Number(percentValue);
    if (mode === 'canary' && (percentValue.trim() === '' || !Number.isFinite(share))) {
      setError(trans.__('Enter the share of the traffic in percent, e.g. %1.', defaultPercent));
      return;
    }
    const request: IStartRollout = {
      version,
      mode,
      ...(mode === 'canary' ? { percent: share } : {}),
      ...(force ? { force } : {}),
      ...(reason.trim() ? { reason: reason.trim() } : {})
    };
    setBusy(true);
    setError('');
    setRefusal(null);
    try {
      await models.startRollout(rollout.deployment, request);
      setPicked(null);
      setPercent(null);
      setReason('');
    } catch (e) {
      if (e instanceof ApiError && e.body.error === 'gate_refused') {
        setRefusal(e);
      } else {
        setError(errorMessage(e));
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="a4m-StartRollout"
      aria-label={trans.__('Start a rollout on %1', rollout.deployment)}
      onSubmit={e => (e.preventDefault(), void start(false))}
    >
      <label className="a4m-Field a4m-mod-inline">
        <span>{trans.__('Candidate')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Candidate version')}
          value={version}
          onChange={e => (setPicked(Number(e.target.value)), setRefusal(null))}
        >
          {choices.map(v => (
            <option key={v.version} value={v.version}>
              {[versionName(v.version), ...v.aliases].join(' ')}
            </option>
          ))}
        </select>
      </label>
      <label className="a4m-Field a4m-mod-inline">
        <span>{trans.__('Mode')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Rollout mode')}
          value={mode}
          onChange={e => setMode(e.target.value as 'canary' | 'shadow')}
        >
          <option value="canary">{trans.__('canary: a share of the traffic')}</option>
          <option value="shadow">{trans.__('shadow: a copy of every request')}</option>
        </select>
      </label>
      {mode === 'canary' && (
        <label className="a4m-Field a4m-mod-inline">
          <span>{trans.__('Traffic (%)')}</span>
          <input
            className="jp-mod-styled"
            type="number"
            min={0}
            max={100}
            step="any"
            aria-label={trans.__('Share of the traffic for the canary, in percent')}
            value={percentValue}
            onChange={e => setPercent(e.target.value)}
          />
        </label>
      )}
      <label className="a4m-Field a4m-mod-inline">
        <span>{trans.__('Reason')}</span>
        <input
          className="jp-mod-styled"
          aria-label={trans.__('Reason for the rollout (optional)')}
          placeholder={trans.__('optional')}
          value={reason}
          onChange={e => setReason(e.target.value)}
        />
      </label>
      {mode === 'shadow' && (
        <p className="a4m-Muted">
          {trans.__('%1 answers a copy of every request; its answers are logged, never returned.', name)}
        </p>
      )}
      {error && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {error}
        </p>
      )}
      {refusal ? (
        <div className="a4m-Refusal" role="alert">
          <strong>{trans.__('The gate refused %1.', name)}</strong> {refusal.userMessage}
          <div className="a4m-Buttons">
            <button
              type="button"
              className="jp-mod-styled jp-mod-warn"
              disabled={busy}
              onClick={() => void start(true)}
            >
              {trans.__('Start anyway')}
            </button>
            <button type="button" className="jp-mod-styled" onClick={() => setRefusal(null)}>
              {trans.__('Cancel')}
            </button>
          </div>
        </div>
      ) : (
        <div className="a4m-Buttons">
          <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={busy}>
            {mode === 'canary' ? trans.__('Start canary of %1', name) : trans.__('Start shadow of %1', name)}
          </button>
        </div>
      )}
    </form>
  );
}

/** Change a running canary's share of the traffic. */
function CanaryShare({
  models,
  rollout,
  trans
}: {
  models: IModelsModel;
  rollout: IRollout;
  trans: TranslationBundle;
}) {
  const [draft, setDraft] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const value = draft ?? String(rollout.percent ?? '');
  const save = async () => {
    const percent = Number(value);
    if (value.trim() === '' || !Number.isFinite(percent)) {
      setError(trans.__('Enter the share of the traffic in percent.'));
      return;
    }
    setBusy(true);
    setError('');
    try {
      await models.changePercent(rollout.deployment, percent);
      setDraft(null);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="a4m-CanaryShare"
      aria-label={trans.__('Canary share')}
      onSubmit={e => (e.preventDefault(), void save())}
    >
      <label className="a4m-Field a4m-mod-inline">
        <span>{trans.__('Traffic (%)')}</span>
        <input
          className="jp-mod-styled"
          type="number"
          min={0}
          max={100}
          step="any"
          aria-label={trans.__('Share of the traffic for the canary, in percent')}
          aria-invalid={error !== ''}
          value={value}
          onChange={e => (setDraft(e.target.value), setError(''))}
        />
        <button type="submit" className="jp-mod-styled" disabled={busy || draft === null}>
          {trans.__('Set share')}
        </button>
      </label>
      {error && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

type Decision = 'promote' | 'rollback';

/** Promote, roll back (each confirmed, with a reason) or ask the gate now; what came of it. */
function Decide({ models, rollout, trans }: { models: IModelsModel; rollout: IRollout; trans: TranslationBundle }) {
  const [confirming, setConfirming] = useState<Decision | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ text: string; failed: boolean } | null>(null);
  const candidate = versionName(rollout.candidate?.version ?? null);
  const stable = versionName(rollout.stable.version);
  const act = async (action: Decision | 'evaluate') => {
    setBusy(true);
    setOutcome(null);
    try {
      const { decision, rollout: after } = await models.decide(rollout.deployment, action, reason.trim());
      setConfirming(null);
      setReason('');
      setOutcome({
        text: decision
          ? trans.__('%1 %2.', candidate, actionLabel(decision.action, trans)) +
            (decision.reason ? ` ${decision.reason}` : '')
          : trans.__('The gate waits: %1', after.gate?.summary ?? trans.__('too few requests yet.')),
        failed: false
      });
    } catch (e) {
      setOutcome({ text: errorMessage(e), failed: true });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="a4m-Decide">
      {confirming ? (
        <form
          className="a4m-Confirm"
          aria-label={confirming === 'promote' ? trans.__('Confirm the promotion') : trans.__('Confirm the rollback')}
          onSubmit={e => (e.preventDefault(), void act(confirming))}
        >
          <p>
            {confirming === 'promote'
              ? trans.__('%1 takes all the traffic and becomes champion; %2 stops serving.', candidate, stable)
              : trans.__('%1 stops; %2 keeps serving all the traffic.', candidate, stable)}
          </p>
          <label className="a4m-Field">
            <span>{trans.__('Reason (kept with the decision)')}</span>
            <input
              className="jp-mod-styled"
              aria-label={trans.__('Reason for the decision')}
              placeholder={trans.__('optional')}
              value={reason}
              onChange={e => setReason(e.target.value)}
            />
          </label>
          <div className="a4m-Buttons">
            <button
              type="submit"
              className={`jp-mod-styled ${confirming === 'promote' ? 'jp-mod-accept' : 'jp-mod-warn'}`}
              disabled={busy}
            >
              {confirming === 'promote' ? trans.__('Promote %1', candidate) : trans.__('Roll back %1', candidate)}
            </button>
            <button type="button" className="jp-mod-styled" onClick={() => setConfirming(null)}>
              {trans.__('Cancel')}
            </button>
          </div>
        </form>
      ) : (
        <div className="a4m-Buttons">
          <button
            className="jp-mod-styled jp-mod-accept"
            disabled={busy}
            title={trans.__('%1 takes all the traffic and becomes champion', candidate)}
            onClick={() => (setConfirming('promote'), setOutcome(null))}
          >
            {trans.__('Promote %1…', candidate)}
          </button>
          <button
            className="jp-mod-styled jp-mod-warn"
            disabled={busy}
            title={trans.__('Stop %1; %2 keeps serving', candidate, stable)}
            onClick={() => (setConfirming('rollback'), setOutcome(null))}
          >
            {trans.__('Roll back %1…', candidate)}
          </button>
          <button
            className="jp-mod-styled"
            disabled={busy}
            title={trans.__('Ask the gate now: pass promotes, fail rolls back, too few requests waits')}
            onClick={() => void act('evaluate')}
          >
            {trans.__('Evaluate now')}
          </button>
        </div>
      )}
      {outcome && (
        <p
          className={`a4m-Message${outcome.failed ? ' a4m-mod-error' : ''}`}
          role={outcome.failed ? 'alert' : 'status'}
        >
          {outcome.text}
        </p>
      )}
    </div>
  );
}

export function RolloutPanel({ models, versions, policy, trans }: IRolloutPanelProps): JSX.Element {
  const deployments = models.deployments;
  const name = models.deployment;
  if (!deployments.length || name === null) {
    return (
      <p className="a4m-Panel-empty">{trans.__('Deploy a version of this model to try another one against it.')}</p>
    );
  }
  const rollout = models.rollout;
  const candidate = rollout?.candidate ?? null;
  return (
    <div className="a4m-Rollout" data-deployment={name}>
      {deployments.length > 1 && (
        <label className="a4m-Field a4m-mod-inline">
          <span>{trans.__('Deployment')}</span>
          <select
            className="jp-mod-styled"
            aria-label={trans.__('Deployment whose rollout is shown')}
            value={name}
            onChange={e => models.selectDeployment(e.target.value)}
          >
            {deployments.map(d => (
              <option key={d.name} value={d.name}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {models.rolloutError && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {models.rolloutError}
        </p>
      )}
      {!rollout ? (
        !models.rolloutError && <p className="a4m-Panel-empty">{trans.__('Loading the rollout…')}</p>
      ) : (
        <>
          <div className="a4m-Rollout-summary">
            {candidate ? (
              <>
                <span className="a4m-Status" data-status={rollout.mode ?? 'canary'}>
                  {rollout.mode === 'shadow' ? trans.__('shadow') : trans.__('canary %1', percentText(rollout.percent))}
                </span>{' '}
                {trans.__(
                  '%1 serves %2; %3 is tried',
                  name,
                  versionName(rollout.stable.version),
                  versionName(candidate.version)
                )}
                {rollout.started_at && (
                  <>
                    {', '}
                    {trans.__('since')} <When iso={rollout.started_at} />
                  </>
                )}
              </>
            ) : (
              trans.__('%1 serves %2; no rollout runs.', name, versionName(rollout.stable.version))
            )}
          </div>
          <Sides rollout={rollout} trans={trans} />
          {candidate ? (
            <>
              {rollout.mode === 'canary' && <CanaryShare key={name} models={models} rollout={rollout} trans={trans} />}
              {rollout.gate && (
                <div className="a4m-Gate">
                  <div className="a4m-Gate-verdict">
                    {trans.__('Gate')} <VerdictPill verdict={rollout.gate.verdict} trans={trans} />{' '}
                    <span className="a4m-Muted">{rollout.gate.summary}</span>
                  </div>
                  <GateChecks
                    checks={rollout.gate.checks}
                    candidate={candidate.version}
                    stable={rollout.stable.version}
                    label={trans.__('Gate checks')}
                    trans={trans}
                  />
                </div>
              )}
              <Decide key={`${name}-${candidate.version}`} models={models} rollout={rollout} trans={trans} />
            </>
          ) : (
            <StartRollout
              key={name}
              models={models}
              rollout={rollout}
              versions={versions}
              policy={policy}
              trans={trans}
            />
          )}
        </>
      )}
    </div>
  );
}
