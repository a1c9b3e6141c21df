/** Batch prediction in the UI: default paths, the version's model reference, a job's progress in words. */
import { IBatchJob } from '../api';
import {
  batchEnded,
  batchProgress,
  batchSummary,
  defaultOutput,
  fileName,
  isBatchInput,
  isObjectUri,
  versionModelRef
} from '../components/batch';
import { trans } from './drift-fixtures';

function job(change: Partial<IBatchJob>): IBatchJob {
  return {
    id: 'abc123',
    model: 'churn',
    model_description: 'deployment churn (train/model)',
    deployment: 'churn',
    input_path: 'data/rows.csv',
    output_path: 'data/rows.predictions.csv',
    rejects_path: 'data/rows.rejects.csv',
    options: { artifact: null, chunk_size: 10000, task: 'auto', overwrite: false },
    log: false,
    status: 'running',
    rows_done: 0,
    rows_total: null,
    rows_predicted: 0,
    rejected: 0,
    error: null,
    worker_pid: 42,
    stage: 'predicting',
    target: 'local',
    kfp_run_id: null,
    kfp_url: null,
    created_at: '2026-12-06T20:00:00.000Z',
    started_at: null,
    finished_at: null,
    updated_at: '2026-12-06T20:00:00.000Z',
    ...change
  };
}

describe('batch prediction', () => {
  it('reads CSV, Parquet and .npy files, and writes next to the input by default', () => {
    expect(['a.csv', 'd/b.PARQUET', 'c.npy'].map(isBatchInput)).toEqual([true, true, true]);
    expect([null, '', 'notes.ipynb', 'csv'].map(isBatchInput)).toEqual([false, false, false, false]);
    expect(defaultOutput('data/rows.csv')).toBe('data/rows.predictions.csv');
    expect(defaultOutput(' a.b/rows.v2.parquet ')).toBe('a.b/rows.v2.predictions.parquet');
    expect(defaultOutput('data/noext')).toBe('');
    expect([fileName('data/rows.csv'), fileName('rows.csv')]).toEqual(['rows.csv', 'rows.csv']);
  });

  it('names a registered version MODEL:VERSION, as the server reads it', () => {
    expect(versionModelRef('churn', 3)).toBe('churn:3');
  });

  it('shows the rows done of the total, full when done, and no value while the total is unknown', () => {
    expect(batchProgress(job({ rows_done: 20, rows_total: 80 }))).toEqual({ value: 20, max: 80 });
    expect(batchProgress(job({ rows_done: 90, rows_total: 80 }))).toEqual({ value: 80, max: 80 });
    expect(batchProgress(job({ status: 'pending' }))).toBeNull();
    expect(batchProgress(job({ status: 'succeeded', rows_done: 0, rows_total: 0 }))).toEqual({ value: 1, max: 1 });
  });

  it('says how far a job is and how it ended', () => {
    expect(batchEnded(job({}))).toBe(false);
    expect(batchEnded(job({ status: 'interrupted' }))).toBe(true);
    expect(batchSummary(job({ status: 'pending' }), trans)).toBe('Starting…');
    expect(batchSummary(job({ rows_done: 2000, rows_total: 5000, rejected: 1 }), trans)).toBe(
      `${(2000).toLocaleString()} / ${(5000).toLocaleString()} rows predicted · 1 rejected`
    );
    const done = job({ status: 'succeeded', rows_done: 50, rows_total: 50, rows_predicted: 49, rejected: 1 });
    expect(batchSummary(done, trans)).toBe('49 rows predicted · 1 rejected');
    expect(batchSummary(job({ status: 'failed', rows_done: 3, error: 'the model broke' }), trans)).toBe(
      'Failed after 3 rows: the model broke'
    );
    expect(batchSummary(job({ status: 'interrupted', rows_done: 1 }), trans)).toBe(
      'Interrupted after 1 row (the server restarted)'
    );
  });

  it('says what a job on S3 objects or on Kubeflow is doing, and shows object URIs as they are', () => {
    expect(batchSummary(job({ stage: 'downloading' }), trans)).toBe('Downloading the input…');
    expect(batchSummary(job({ stage: 'uploading', rows_done: 5, rows_total: 5 }), trans)).toBe(
      '5 / 5 rows predicted · uploading…'
    );
    expect(batchSummary(job({ target: 'kfp', stage: null }), trans)).toBe('Running on Kubeflow Pipelines…');
    expect([isObjectUri('s3://bucket/rows.csv'), isObjectUri('data/rows.csv')]).toEqual([true, false]);
  });
});
