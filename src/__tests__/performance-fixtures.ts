/** Performance report fixtures shaped like the server's answers (tests only). */
import { IPerformancePolicy, IPerformanceReport, IPerformanceWindow } from '../api';

export const performancePolicy: IPerformancePolicy = {
  task: 'auto',
  id_source: 'auto',
  id_field: null,
  classes: null,
  window_size: 50,
  min_labels: 30,
  metric: null,
  threshold: null,
  max_drop: 0.05,
  estimate: true,
  calibration_size: 500,
  detector: 'auto',
  auto_retrain: false,
  redeploy: true
};

/** Window `idx` of 50 predictions ending at 10:0idx, with `labelled` labels and the accuracies given. */
export function performanceWindow(
  idx: number,
  labelled: number,
  realized: number | null,
  estimated: number | null,
  extra: Partial<IPerformanceWindow> = {}
): IPerformanceWindow {
  return {
    idx,
    start: `2026-11-25T10:0${idx}:00Z`,
    end: `2026-11-25T10:0${idx}:30Z`,
    predictions: 50,
    labelled,
    realized: realized === null ? null : { accuracy: realized, f1_macro: realized - 0.05 },
    estimated:
      estimated === null ? null : { accuracy: { value: estimated, lower: estimated - 0.04, upper: estimated + 0.04 } },
    outputs: { test: 'chi2', p_value: 0.4, drift: false, counts: [20, 20, 10] },
    alert_id: null,
    ...extra
  };
}

export function performanceReport(
  windows: IPerformanceWindow[],
  extra: Partial<IPerformanceReport> = {}
): IPerformanceReport {
  return {
    deployment: 'd1',
    policy: performancePolicy,
    task: 'classification',
    metric: 'accuracy',
    higher_is_better: true,
    baseline: 0.93,
    alert_level: 0.88,
    status: 'ok',
    latest: null,
    coverage: { predictions: 50 * windows.length + 20, labelled: 40, waiting_labels: 0, median_delay_s: 190 },
    open_window: { predictions: 20, size: 50 },
    estimator: { status: 'calibrating', needs: 500 },
    detector: 'adwin',
    reference_outputs: windows.length ? { model_uri: 'file:///m', window: 0, counts: [25, 15, 10] } : null,
    unreadable: { count: 0, last_reason: null },
    duplicate_ids: 0,
    refused_labels: { count: 0, last_reason: null },
    windows,
    detections: [],
    alerts: [],
    alerts_next_cursor: null,
    ...extra
  };
}
