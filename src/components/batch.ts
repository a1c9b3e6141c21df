/** The pure parts of batch prediction in the UI: default paths, the model reference, a job's progress in words. */
import { TranslationBundle } from '@jupyterlab/translation';

import { IBatchJob } from '../api';

/** The files a batch prediction reads, by suffix. */
export const BATCH_INPUTS = ['.csv', '.parquet', '.npy'];

/** Whether the server can read `path` as a batch input. */
export function isBatchInput(path: string | null | undefined): path is string {
  return !!path && BATCH_INPUTS.some(suffix => path.toLowerCase().endsWith(suffix));
}

/** Where the server writes by default: `<stem>.predictions.<ext>` next to the input. */
export function defaultOutput(input: string): string {
  const match = /^(.*?)(\.[^./]+)$/.exec(input.trim());
  return match ? `${match[1]}.predictions${match[2]}` : '';
}

/** A path's file name (the last part). */
export function fileName(path: string): string {
  return path.split('/').pop() ?? path;
}

/** How a registered version is named as a batch model: `MODEL:VERSION`. */
export function versionModelRef(model: string, version: number): string {
  return `${model}:${version}`;
}

/** Whether `location` is an object in an S3-compatible store (shown as its URI, not opened as a file). */
export function isObjectUri(location: string): boolean {
  return location.startsWith('s3://');
}

/** Whether the job has ended (any way). */
export function batchEnded(job: IBatchJob): boolean {
  return job.status !== 'pending' && job.status !== 'running';
}

/** A job's progress bar: rows done of the rows expected (an unknown total shows no bar value). */
export function batchProgress(job: IBatchJob): { value: number; max: number } | null {
  const total = job.rows_total ?? 0;
  if (job.status === 'succeeded') {
    return { value: 1, max: 1 };
  }
  return total > 0 ? { value: Math.min(job.rows_done, total), max: total } : null;
}

/** The job's state in words: rows done, rejected, and how it ended. */
export function batchSummary(job: IBatchJob, trans: TranslationBundle): string {
  const total = job.rows_total ?? 0;
  const rows =
    total > 0
      ? trans.__('%1 / %2 rows', job.rows_done.toLocaleString(), total.toLocaleString())
      : trans._n('%1 row', '%1 rows', job.rows_done);
  const rejected = job.rejected ? trans._n(' · %1 rejected', ' · %1 rejected', job.rejected) : '';
  switch (job.status) {
    case 'pending':
      return trans.__('Starting…');
    case 'running':
      if (job.target === 'kfp') {
        return trans.__('Running on Kubeflow Pipelines…');
      }
      if (job.stage === 'downloading') {
        return trans.__('Downloading the input…');
      }
      if (job.stage === 'uploading') {
        return trans.__('%1 predicted%2 · uploading…', rows, rejected);
      }
      return trans.__('%1 predicted%2', rows, rejected);
    case 'succeeded':
      return trans._n('%1 row predicted%2', '%1 rows predicted%2', job.rows_predicted, rejected);
    case 'cancelled':
      return trans.__('Cancelled after %1', rows);
    case 'interrupted':
      return trans.__('Interrupted after %1 (the server restarted)', rows);
    default:
      return trans.__('Failed after %1: %2', rows, job.error ?? '');
  }
}
