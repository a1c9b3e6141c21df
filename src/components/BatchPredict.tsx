/**
 * "Batch predict…": the form that predicts every row of a file under the root with a deployment's or a version's
 * model in a server worker, then the job's progress, and when it is done links that open the output and the
 * rejected rows in JupyterLab.
 */
import React, { useEffect, useRef, useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { cancelBatchJob, fetchBatchJob, IBatchJob, startBatchJob } from '../api';
import { errorMessage } from '../errors';
import { batchEnded, batchProgress, batchSummary, defaultOutput, fileName, isBatchInput, isObjectUri } from './batch';
import { useFieldSubmit } from './fieldSubmit';
import { withProgress } from './progress';

/** How often a running job is read. */
const POLL_MS = 500;
/** The request fields a server error may name. */
const FIELDS = ['input', 'output', 'log', 'overwrite'];

/** The files of JupyterLab a batch prediction uses: the file browser's selection, and opening a file. */
export interface IBatchFiles {
  selected: () => string | null;
  open: (path: string) => void;
}

export interface IBatchPredictProps {
  /** The model as the server names it: a deployment, or `MODEL:VERSION`. */
  model: string;
  /** What predicts, for people ("deployment churn", "v3 of churn"). */
  label: string;
  /** Whether the rows can be logged as the model's requests (a deployment's). */
  canLog: boolean;
  files?: IBatchFiles;
  trans: TranslationBundle;
  onClose: () => void;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export function BatchPredict({ model, label, canLog, files, trans, onClose }: IBatchPredictProps): JSX.Element {
  const [input, setInput] = useState(() => {
    const selected = files?.selected();
    return isBatchInput(selected) ? selected : '';
  });
  const [output, setOutput] = useState('');
  const [log, setLog] = useState(false);
  const [overwrite, setOverwrite] = useState(false);
  const [job, setJob] = useState<IBatchJob | null>(null);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    []
  );
  const form = useFieldSubmit(`a4m-batch-${model.replace(/[^A-Za-z0-9-]/g, '-')}`, FIELDS);
  const { busy, describe, message } = form;

  /** Read the job until it ends; its end, or an error saying how it did not succeed. */
  const follow = async (started: IBatchJob): Promise<IBatchJob> => {
    let current = started;
    while (!batchEnded(current)) {
      await sleep(POLL_MS);
      current = await fetchBatchJob(current.id);
      if (mounted.current) {
        setJob(current);
      }
    }
    if (current.status !== 'succeeded') {
      throw new Error(batchSummary(current, trans));
    }
    return current;
  };

  const submit = () =>
    form.submit(async () => {
      const started = await startBatchJob({
        model,
        input: input.trim(),
        output: output.trim() || null,
        overwrite,
        log: canLog && log
      });
      setJob(started);
      void withProgress(follow(started), {
        pending: trans.__('Predicting %1 with %2…', started.input_path, label),
        success: done => trans.__('%1 → %2', batchSummary(done, trans), done.output_path),
        failure: reason => trans.__('Batch prediction of %1: %2', started.input_path, reason)
      });
    });

  if (job) {
    return <BatchJobView job={job} files={files} trans={trans} onClose={onClose} />;
  }
  return (
    <form
      className="a4m-BatchForm"
      aria-label={trans.__('Batch predict with %1', label)}
      onSubmit={e => (e.preventDefault(), void submit())}
    >
      <label className="a4m-Field">
        <span>{trans.__('Input file (CSV, Parquet or .npy, under the root)')}</span>
        <input
          className="jp-mod-styled"
          value={input}
          placeholder={trans.__('e.g. data/customers.csv')}
          aria-label={trans.__('Input file')}
          {...describe('input')}
          onChange={e => setInput(e.target.value)}
        />
        {message('input')}
      </label>
      <label className="a4m-Field">
        <span>{trans.__('Output file')}</span>
        <input
          className="jp-mod-styled"
          value={output}
          placeholder={defaultOutput(input) || trans.__('next to the input')}
          aria-label={trans.__('Output file')}
          {...describe('output')}
          onChange={e => setOutput(e.target.value)}
        />
        {message('output')}
      </label>
      <label className="a4m-Check">
        <input type="checkbox" checked={overwrite} onChange={e => setOverwrite(e.target.checked)} />
        {trans.__('Replace the output if it exists')}
      </label>
      {canLog && (
        <label
          className="a4m-Check"
          title={trans.__('Each row becomes a logged request (id JOB/ROW), seen by drift and performance monitoring')}
        >
          <input type="checkbox" checked={log} {...describe('log')} onChange={e => setLog(e.target.checked)} />
          {trans.__('Log the predictions like online requests')}
        </label>
      )}
      {message('log')}
      {message('overwrite')}
      {message('form')}
      <div className="a4m-Buttons">
        <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={busy || !input.trim()}>
          {trans.__('Predict')}
        </button>
        <button type="button" className="jp-mod-styled" onClick={onClose}>
          {trans.__('Cancel')}
        </button>
      </div>
    </form>
  );
}

/** A job's progress, then links to its output and rejects; cancel it while it runs. */
function BatchJobView({
  job,
  files,
  trans,
  onClose
}: {
  job: IBatchJob;
  files?: IBatchFiles;
  trans: TranslationBundle;
  onClose: () => void;
}) {
  const [failure, setFailure] = useState('');
  const progress = batchProgress(job);
  const ended = batchEnded(job);
  const link = (path: string, text: string, className: string) =>
    files && !isObjectUri(path) ? (
      <a
        href="#"
        className={className}
        title={trans.__('Open %1', path)}
        onClick={event => (event.preventDefault(), files.open(path))}
      >
        {text}
      </a>
    ) : (
      <code className={className} title={path}>
        {isObjectUri(path) ? path : text}
      </code>
    );
  const cancel = async () => {
    try {
      await cancelBatchJob(job.id);
    } catch (e) {
      setFailure(errorMessage(e));
    }
  };
  return (
    <div
      className="a4m-BatchJob"
      data-status={job.status}
      aria-label={trans.__('Batch prediction of %1', job.input_path)}
    >
      <div className="a4m-Muted" title={trans.__('%1 → %2', job.input_path, job.output_path)}>
        {trans.__('%1 → %2', fileName(job.input_path), fileName(job.output_path))}
      </div>
      <progress className="a4m-BatchJob-bar" aria-label={trans.__('Rows predicted')} {...(progress ?? {})} />
      <div className={`a4m-BatchJob-summary${job.status === 'failed' ? ' a4m-mod-error' : ''}`} role="status">
        {batchSummary(job, trans)}
      </div>
      {job.kfp_url && (
        <div>
          <a href={job.kfp_url} target="_blank" rel="noopener noreferrer" className="a4m-BatchJob-kfp">
            {trans.__('Open the run in Kubeflow Pipelines')}
          </a>
        </div>
      )}
      {job.status === 'succeeded' && (
        <div>
          {trans.__('Output: ')}
          {link(job.output_path, fileName(job.output_path), 'a4m-BatchJob-output')}
        </div>
      )}
      {job.rejected > 0 && ended && (
        <div>
          {link(
            job.rejects_path,
            trans._n('%1 rejected row: %2', '%1 rejected rows: %2', job.rejected, fileName(job.rejects_path)),
            'a4m-BatchJob-rejects'
          )}
        </div>
      )}
      {failure && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {failure}
        </p>
      )}
      <div className="a4m-Buttons">
        {!ended && (
          <button className="jp-mod-styled jp-mod-warn" onClick={() => void cancel()}>
            {trans.__('Stop')}
          </button>
        )}
        <button className="jp-mod-styled" onClick={onClose}>
          {ended ? trans.__('Close') : trans.__('Hide')}
        </button>
      </div>
    </div>
  );
}
