/** A data trigger record for tests: *.csv files landing in data/incoming, with `fields` over it. */
import { IDataTrigger, ISeenFile } from '../api';

export const seenFile: ISeenFile = {
  content_hash: 'sha256:abc',
  path: 'day1.csv',
  size: 8,
  state: 'started',
  reason: null,
  run_id: 'abcdef123456',
  seen_at: '2026-01-01T00:00:01Z'
};

export function triggerRecord(fields: Partial<IDataTrigger> = {}): IDataTrigger {
  return {
    id: 1,
    name: 'incoming',
    notebook_path: 'count.ipynb',
    source: 'data/incoming',
    pattern: '*.csv',
    parameter: 'data_path',
    parameters: { k: 1 },
    experiment: null,
    settle_seconds: 10,
    poll_seconds: 5,
    batch: false,
    include_existing: false,
    max_concurrent: 1,
    enabled: true,
    baseline_at: 1767225600,
    last_error: null,
    last_seen: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...fields
  };
}
