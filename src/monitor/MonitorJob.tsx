/** A KServe deployment's drift monitoring as a job of the cluster (a KFP recurring run over its logger's bucket):
 * whether it runs there, how often and where its results go; schedule it (a small form: the interval, an optional
 * S3 secret; the server gives the predictor image) or stop it. */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IDeployment, IMonitorJob } from '../api';
import { useFieldSubmit } from '../components/fieldSubmit';
import { CopyButton } from '../deploy/usage';
import { IDeploymentsModel } from '../tokens';

/** Seconds between passes: the server's default and range. */
const EVERY_S = 300;
const EVERY_RANGE = [60, 86_400] as const;
/** The request fields a refusal may name at their input; others (`name`, `image`) show under the form. */
const FIELDS = ['every', 's3_secret'];

/** An interval in the largest whole unit: "5 min", "2 h", "90 s". */
export function intervalWords(seconds: number, trans: TranslationBundle): string {
  if (seconds % 3600 === 0) {
    return trans.__('%1 h', seconds / 3600);
  }
  return seconds % 60 === 0 ? trans.__('%1 min', seconds / 60) : trans.__('%1 s', seconds);
}

/** How the deployment's drift is monitored, in words. */
export function monitoringWords(job: IMonitorJob | undefined, trans: TranslationBundle): string {
  if (!job) {
    return trans.__('Drift monitored by this Jupyter server: it stops while the server is down.');
  }
  if (!job.kfp_recurring_run_id) {
    return trans.__('Drift monitored by a scheduler of your own running `ai4mlops monitor-job run`.');
  }
  return trans.__(
    'Drift monitored on the cluster every %1 (KFP recurring run %2); the server imports its results.',
    intervalWords(job.every_s ?? EVERY_S, trans),
    job.kfp_recurring_run_id
  );
}

interface IMonitorJobProps {
  deployment: IDeployment;
  model: IDeploymentsModel;
  trans: TranslationBundle;
}

export function MonitorJob({ deployment, model, trans }: IMonitorJobProps): JSX.Element {
  const job = deployment.config?.monitor_job;
  const [editing, setEditing] = useState(false);
  const [every, setEvery] = useState(String(job?.every_s ?? EVERY_S));
  const [secret, setSecret] = useState(job?.s3_secret ?? '');
  const form = useFieldSubmit(`a4m-monitor-job-${deployment.name}`, FIELDS);
  const { busy, describe, message } = form;

  const schedule = () =>
    form.submit(async () => {
      await model.scheduleMonitorJob(deployment.name, {
        every: Number(every),
        ...(secret.trim() ? { s3_secret: secret.trim() } : {})
      });
      setEditing(false);
    });
  const stop = () => form.submit(() => model.unscheduleMonitorJob(deployment.name));

  return (
    <div
      className="a4m-MonitorJob"
      data-scheduled={job?.kfp_recurring_run_id ? 'true' : 'false'}
      aria-label={trans.__('Monitoring job of %1', deployment.name)}
    >
      <div className="a4m-MonitorJob-status" role="status">
        {monitoringWords(job, trans)}
      </div>
      {job && (
        <div className="a4m-Muted">
          {trans.__('results under')} <span className="a4m-Url">{job.uri}</span>
          <CopyButton text={job.uri} label={trans.__('Copy the results URI')} trans={trans} />
        </div>
      )}
      {editing ? (
        <form
          className="a4m-MonitorJobForm"
          aria-label={trans.__('Monitor %1 on the cluster', deployment.name)}
          onSubmit={e => (e.preventDefault(), void schedule())}
        >
          <label className="a4m-Field a4m-mod-inline">
            <span>{trans.__('Every (seconds)')}</span>
            <input
              className="jp-mod-styled"
              type="number"
              required
              min={EVERY_RANGE[0]}
              max={EVERY_RANGE[1]}
              step={1}
              value={every}
              aria-label={trans.__('Seconds between passes')}
              {...describe('every')}
              onChange={e => setEvery(e.target.value)}
            />
            {message('every')}
          </label>
          <label
            className="a4m-Field a4m-mod-inline"
            title={trans.__(
              'A Kubernetes secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; empty: the pipeline runner’s service account'
            )}
          >
            <span>{trans.__('S3 secret')}</span>
            <input
              className="jp-mod-styled"
              value={secret}
              placeholder={trans.__('optional')}
              aria-label={trans.__('S3 secret')}
              {...describe('s3_secret')}
              onChange={e => setSecret(e.target.value)}
            />
            {message('s3_secret')}
          </label>
          <div className="a4m-Muted">{trans.__('Runs in the server’s predictor image, one pass at a time.')}</div>
          {message('form')}
          <div className="a4m-Buttons">
            <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={busy}>
              {job?.kfp_recurring_run_id ? trans.__('Reschedule') : trans.__('Schedule')}
            </button>
            <button type="button" className="jp-mod-styled" disabled={busy} onClick={() => setEditing(false)}>
              {trans.__('Cancel')}
            </button>
          </div>
        </form>
      ) : (
        <>
          {message('form')}
          <div className="a4m-Buttons">
            <button
              className="jp-mod-styled"
              disabled={busy}
              title={trans.__('Run the drift monitoring as a KFP recurring run that reads the logger’s bucket')}
              onClick={() => setEditing(true)}
            >
              {job?.kfp_recurring_run_id ? trans.__('Change interval…') : trans.__('Monitor on the cluster…')}
            </button>
            {job && (
              <button
                className="jp-mod-styled"
                disabled={busy}
                title={trans.__('Delete the recurring run; this Jupyter server reads the logs again')}
                onClick={() => void stop()}
              >
                {trans.__('Stop cluster monitoring')}
              </button>
            )}
          </div>
        </>
      )}
    </div>
  );
}
