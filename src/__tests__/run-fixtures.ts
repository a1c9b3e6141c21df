/** A run record for tests: a succeeded local run of `a.ipynb` in experiment `exp`, with `fields` over it. */
import { IRun } from '../api';

export function runRecord(id: string, fields: Partial<IRun> = {}): IRun {
  return {
    id,
    experiment: 'exp',
    notebook_path: 'a.ipynb',
    pipeline: 'p',
    target: 'local',
    parameters: {},
    status: 'succeeded',
    created_at: '2026-01-01T00:00:00Z',
    started_at: null,
    finished_at: null,
    duration: 1,
    error: null,
    steps: [],
    metrics: {},
    ...fields
  };
}
