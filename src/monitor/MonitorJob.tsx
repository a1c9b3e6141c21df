/** A KServe deployment's drift monitoring as a job of the cluster (a KFP recurring run over its logger's bucket):
 * whether it runs there, how often and where its results go, whether it is alive (its last pass, the server's last
 * import of its results, a warning when it stopped passing or its results cannot be read); schedule it (a small
 * form: the interval, an optional S3 secret; the server gives the predictor image) or stop it. */
import React, { useState } from 'react';
import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';

import { IDeployment, IMonitorJob, IMonitorJobStatus } from '../api';
import { useFieldSubmit } from '../components/fieldSubmit';
import { useTick, When } from '../components/When';
import { CopyButton } from '../deploy/usage';
import { IDeploymentsModel } from '../tokens';

/** Seconds between passes: the server's default and range. */
const EVERY_S = 300;
const EVERY_RANGE = [60, 86_400] as const;
/** The request fields a refusal may name at their input; others (`name`, `image`) show under the form. */
const FIELDS = ['every', 's3_secret'];
/** A job whose last pass (or its scheduling, before any) is older than this many of its intervals has stopped
 * passing (the server's `cluster_results.STALE_INTERVALS`, which `ai4mlops monitor-job status` warns of too). */
export const STALE_INTERVALS = 3;

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

/** `monitoringWords`, the recurring run's id set apart from the words (an id reads as one, not as a sentence). */
function MonitoringWords({ job, trans }: { job: IMonitorJob | undefined; trans: TranslationBundle }): JSX.Element {
  const words = monitoringWords(job, trans);
  const id = job?.kfp_recurring_run_id;
  const at = id ? words.indexOf(id) : -1;
  if (!id || at < 0) {
    return <>{words}</>;
  }
  return (
    <>
      {words.slice(0, at)}
      <span className="a4m-MonitorJob-run">{id}</span>
      {words.slice(at + id.length)}
    </>
  );
}

/** What is wrong with a job as its status says, each with what to do: the server could not read its results, or
 * it stopped passing (a job of a scheduler of one's own has no interval: never said to). */
export function jobWarnings(
  job: IMonitorJob,
  status: IMonitorJobStatus,
  trans: TranslationBundle,
  now: number = Date.now()
): string[] {
  const warnings: string[] = [];
  if (status.error) {
    warnings.push(
      trans.__(
        'The server could not check the job’s results: %1 %2',
        status.error,
        status.error_hint || trans.__('Check the S3 endpoint (AWS_ENDPOINT_URL) and the credentials of this server.')
      )
    );
  }
  const since = status.last_pass_at ?? job.scheduled_at;
  if (job.every_s && since && now - Date.parse(since) > STALE_INTERVALS * job.every_s * 1000) {
    const todo = job.kfp_recurring_run_id
      ? trans.__(
          'check its recurring run %1 in Kubeflow Pipelines (its failed runs’ logs say why); reschedule the job if the run is gone.',
          job.kfp_recurring_run_id
        )
      : trans.__('check the scheduler that runs it.');
    warnings.push(
      status.last_pass_at
        ? trans.__(
            'The job’s last pass was %1 (more than %2 intervals of %3): %4',
            Time.formatHuman(status.last_pass_at),
            STALE_INTERVALS,
            intervalWords(job.every_s, trans),
            todo
          )
        : trans.__(
            'No pass of the job since it was scheduled %1 (more than %2 intervals of %3): %4',
            Time.formatHuman(since),
            STALE_INTERVALS,
            intervalWords(job.every_s, trans),
            todo
          )
    );
  }
  return warnings;
}

/** Whether the job is alive: "last pass 3 minutes ago · results imported 1 minute ago", then what is wrong. */
function JobLiveness({
  job,
  status,
  trans
}: {
  job: IMonitorJob;
  status: IMonitorJobStatus;
  trans: TranslationBundle;
}): JSX.Element {
  useTick(); // a warning appears when the last pass grows too old, with no new reply
  const checked = status.last_checked_at
    ? trans.__('The server last checked the job’s results %1.', Time.formatHuman(status.last_checked_at))
    : trans.__('The server has not checked the job’s results yet.');
  return (
    <>
      <div className="a4m-MonitorJob-live" title={checked}>
        {/* each part wraps as a whole where the card is narrow */}
        <span className="a4m-MonitorJob-part">
          {status.last_pass_at ? (
            <>
              {trans.__('last pass')} <When iso={status.last_pass_at} />
            </>
          ) : (
            trans.__('no pass seen yet')
          )}
        </span>
        {' · '}
        <span className="a4m-MonitorJob-part">
          {status.last_imported_at ? (
            <>
              {trans.__('results imported')} <When iso={status.last_imported_at} />
            </>
          ) : (
            trans.__('no results imported yet')
          )}
        </span>
      </div>
      {jobWarnings(job, status, trans).map(warning => (
        <p key={warning} className="a4m-Message a4m-mod-warning" role="note">
          {warning}
        </p>
      ))}
    </>
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
        <MonitoringWords job={job} trans={trans} />
      </div>
      {job && deployment.monitor_job_status && (
        <JobLiveness job={job} status={deployment.monitor_job_status} trans={trans} />
      )}
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
