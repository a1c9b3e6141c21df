/**
 * A deployment's alerts (data drift, performance, concept drift): what happened, when, what was done; retrain
 * (with parameters) or dismiss.
 */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { AlertKind, IDeployment, IDriftAlert } from '../api';
import { ParameterFields, typedParameters, useParameterTexts } from '../components/ParameterFields';
import { IProgressMessages, withProgress } from '../components/progress';
import { When } from '../components/When';
import { IAlertPages, IDriftModel, IRunsModel } from '../tokens';

/** The parameters of the run a deployment serves: what a retraining starts from. */
export function servedRunParameters(
  deployments: IDeployment[],
  runs: IRunsModel,
  name: string
): Record<string, unknown> {
  const runId = deployments.find(d => d.name === name)?.run_id;
  return runs.runs.find(run => run.id === runId)?.parameters ?? {};
}

export interface IAlertsListProps {
  alerts: IDriftAlert[];
  /** The parameters of the run that trained the deployed model (retraining starts from them). */
  runParameters: Record<string, unknown>;
  /** Retrains and dismisses (and refreshes the report). */
  model: Pick<IDriftModel, 'retrain' | 'dismiss'>;
  runs: IRunsModel;
  trans: TranslationBundle;
  /** What the list is, for assistive technology (default: drift alerts). */
  label?: string;
  /** Say what raised each alert (where the list holds several kinds). */
  showKind?: boolean;
  /** Reads the older alerts; given while the server has some. */
  onLoadMore?: () => void;
}

/** What raised an alert, in words. */
export function alertKindLabel(kind: AlertKind, trans: TranslationBundle): string {
  return {
    data_drift: trans.__('data drift'),
    performance: trans.__('performance'),
    concept_drift: trans.__('concept drift')
  }[kind];
}

interface IAlertProps extends Omit<IAlertsListProps, 'alerts' | 'label' | 'onLoadMore'> {
  alert: IDriftAlert;
}

function statusLabel(status: IDriftAlert['status'], trans: TranslationBundle): string {
  return {
    open: trans.__('open'),
    retraining: trans.__('retraining'),
    resolved: trans.__('resolved'),
    dismissed: trans.__('dismissed')
  }[status];
}

function Alert({ alert, runParameters, model, runs, trans, showKind }: IAlertProps) {
  const { texts, setTexts, edited } = useParameterTexts(runParameters);
  const [redeploy, setRedeploy] = useState(true);
  const [busy, setBusy] = useState(false);
  const act = async <T,>(pending: () => Promise<T>, messages: IProgressMessages<T>) => {
    setBusy(true);
    try {
      await withProgress(pending(), messages);
    } finally {
      setBusy(false);
    }
  };
  const retrain = () =>
    act(
      () =>
        model.retrain(alert.id, { redeploy, ...(edited ? { parameters: typedParameters(runParameters, texts) } : {}) }),
      {
        pending: trans.__('Starting a retraining run for alert #%1…', alert.id),
        success: a => trans.__('Alert #%1: retraining in run %2.', a.id, a.retrain_run_id ?? '–'),
        failure: reason => trans.__('Retraining failed to start: %1', reason)
      }
    );
  const dismiss = () =>
    act(() => model.dismiss(alert.id), {
      pending: trans.__('Dismissing alert #%1…', alert.id),
      success: a => trans.__('Alert #%1 dismissed.', a.id),
      failure: reason => trans.__('Dismiss failed: %1', reason)
    });
  const runId = alert.retrain_run_id;

  return (
    <li
      className="a4m-Alert"
      data-alert={alert.id}
      data-status={alert.status}
      data-kind={alert.kind}
      aria-label={trans.__('Alert %1: %2', alert.id, alert.message)}
    >
      <div className="a4m-RunDetail-header">
        <span>
          <strong>#{alert.id}</strong>{' '}
          {showKind && <span className="a4m-AlertKind">{alertKindLabel(alert.kind, trans)}</span>}{' '}
          <When iso={alert.raised_at} />
        </span>
        <span className="a4m-Status" data-status={alert.status}>
          {statusLabel(alert.status, trans)}
        </span>
      </div>
      <div>{alert.message}</div>
      {runId && (
        <div className="a4m-Muted">
          {trans.__('retraining run')}{' '}
          <a
            href="#"
            className="a4m-RunLink"
            title={trans.__('Show run %1', runId)}
            onClick={event => (event.preventDefault(), runs.select(runId))}
          >
            {runId}
          </a>
          {alert.redeployed_at && (
            <>
              {' · '}
              {trans.__('sent to the promotion gate')} <When iso={alert.redeployed_at} />
            </>
          )}
        </div>
      )}
      {alert.error && (
        <pre className="a4m-Answer a4m-mod-error" tabIndex={0} aria-label={trans.__('Error of alert %1', alert.id)}>
          {alert.error}
        </pre>
      )}
      {alert.status === 'open' && (
        <>
          <details className="a4m-RetrainOptions">
            <summary>{trans.__('Retraining options')}</summary>
            <ParameterFields texts={texts} onChange={setTexts} label={name => trans.__('Retrain parameter %1', name)} />
            <label className="a4m-Check">
              <input type="checkbox" checked={redeploy} onChange={e => setRedeploy(e.target.checked)} />
              {trans.__('Roll the new model out through the promotion gate')}
            </label>
          </details>
          <div className="a4m-Buttons">
            <button
              className="jp-mod-styled jp-mod-accept"
              disabled={busy}
              onClick={() => void retrain()}
              title={trans.__('Run the pipeline that trained this model again')}
            >
              {trans.__('Retrain')}
            </button>
            <button className="jp-mod-styled" disabled={busy} onClick={() => void dismiss()}>
              {trans.__('Dismiss')}
            </button>
          </div>
        </>
      )}
    </li>
  );
}

export function AlertsList(props: IAlertsListProps): JSX.Element {
  const { alerts, trans, label, onLoadMore, ...shared } = props;
  if (!alerts.length) {
    return <p className="a4m-Panel-empty">{trans.__('No alerts.')}</p>;
  }
  return (
    <>
      <ul className="a4m-Alerts" aria-label={label ?? trans.__('Drift alerts')}>
        {alerts.map(alert => (
          <Alert key={alert.id} alert={alert} trans={trans} {...shared} />
        ))}
      </ul>
      {onLoadMore && (
        <button className="jp-mod-styled a4m-LoadMore" onClick={onLoadMore}>
          {trans.__('Load older alerts')}
        </button>
      )}
    </>
  );
}

/** The props of an `AlertsList` of a report model's alerts: those it read, and reading the older ones. */
export function pagedAlerts(model: IAlertPages): Pick<IAlertsListProps, 'alerts' | 'onLoadMore'> {
  return {
    alerts: model.alerts,
    onLoadMore: model.hasMoreAlerts ? () => void model.loadMoreAlerts() : undefined
  };
}
