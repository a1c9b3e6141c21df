/**
 * How a performance report reads to a data scientist (pure functions, unit-tested): the status line, metric
 * names and values, label coverage and delay, and what to do when something is missing.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IPerformanceReport, IPerformanceWindow } from '../api';

/** A metric's name in words. */
export function metricLabel(metric: string, trans: TranslationBundle): string {
  const names: Record<string, string> = {
    accuracy: trans.__('accuracy'),
    f1_macro: trans.__('F1 (macro)'),
    roc_auc: trans.__('ROC AUC'),
    log_loss: trans.__('log loss'),
    mae: trans.__('mean absolute error'),
    rmse: trans.__('RMSE'),
    r2: trans.__('R²')
  };
  return names[metric] ?? metric;
}

/** A metric's value: 3 significant digits ("0.912", "12.3"), '–' when there is none. */
export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '–';
  }
  return Number(value.toPrecision(3)).toString();
}

/** A delay in the unit people use for it: "40 s", "12 min", "3.5 h", "2.1 days". */
export function formatDelay(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return '–';
  }
  const short = (x: number) => Number(x.toPrecision(2)).toString();
  if (seconds < 1) {
    return '< 1 s';
  }
  if (seconds < 90) {
    return `${Math.round(seconds)} s`;
  }
  if (seconds < 90 * 60) {
    return `${Math.round(seconds / 60)} min`;
  }
  if (seconds < 36 * 3600) {
    return `${short(seconds / 3600)} h`;
  }
  return `${short(seconds / 86400)} days`;
}

/** The window a report's latest value comes from. */
export function windowOf(report: IPerformanceReport, idx: number): IPerformanceWindow | undefined {
  return report.windows.find(w => w.idx === idx);
}

/** The status as a word: OK, Degraded, Unknown. */
export function statusLabel(status: IPerformanceReport['status'], trans: TranslationBundle): string {
  return { ok: trans.__('OK'), degraded: trans.__('Degraded'), unknown: trans.__('Unknown') }[status];
}

/** Where a value stands against the alert level and the validation value, e.g. "alert below 0.88 (validation 0.93)". */
function levels(report: IPerformanceReport, trans: TranslationBundle): string {
  const { alert_level: level, baseline, higher_is_better: higher } = report;
  const validation = baseline === null ? '' : ` ${trans.__('(validation %1)', formatMetric(baseline))}`;
  if (level === null) {
    return trans.__(
      'no alert level: the run logged no %1; set a threshold in the policy',
      metricLabel(report.metric, trans)
    );
  }
  return (
    (higher ? trans.__('alert below %1', formatMetric(level)) : trans.__('alert above %1', formatMetric(level))) +
    validation
  );
}

/**
 * The status line after the status word: the latest value, how it was found (measured on labels, or estimated
 * from the model's confidence), and the alert level and validation value; or why there is no value yet.
 */
export function statusText(report: IPerformanceReport, trans: TranslationBundle): string {
  const metric = metricLabel(report.metric, trans);
  const { latest, coverage, open_window: open } = report;
  if (latest) {
    const window = windowOf(report, latest.window);
    const how =
      latest.source === 'realized'
        ? trans._n('measured on %1 label', 'measured on %1 labels', window?.labelled ?? 0)
        : trans.__("estimated from the model's confidence, before labels");
    return trans.__(
      '%1 %2 in window #%3, %4; %5.',
      metric,
      formatMetric(latest.value),
      latest.window,
      how,
      levels(report, trans)
    );
  }
  if (coverage.predictions === 0) {
    return trans.__('No predictions logged yet: send requests to the deployment.');
  }
  if (!report.windows.length) {
    return trans.__('The first window closes after %1 predictions: %2 so far.', open.size, open.predictions);
  }
  const needs = trans._n(
    'A window needs %1 label before its %2 counts',
    'A window needs %1 labels before its %2 counts',
    report.policy.min_labels,
    metric
  );
  const estimator = report.estimator;
  if (estimator.status === 'calibrating') {
    return trans.__(
      '%1; the estimate before labels starts once %2 labelled predictions calibrate it.',
      needs,
      estimator.needs ?? report.policy.calibration_size
    );
  }
  if (estimator.status === 'failed') {
    return trans.__('%1; the estimator failed: %2', needs, estimator.error ?? '');
  }
  return `${needs}.`;
}

/** Label coverage: "120 of 500 predictions labelled (24 %) · median delay 3 min · 5 labels wait for their prediction". */
export function coverageText(report: IPerformanceReport, trans: TranslationBundle): string {
  const { predictions, labelled, waiting_labels: waiting, median_delay_s: delay } = report.coverage;
  const share = predictions ? ` (${Math.round((100 * labelled) / predictions)} %)` : '';
  const parts = [
    trans._n('%2 of %1 prediction labelled', '%2 of %1 predictions labelled', predictions, labelled) + share
  ];
  if (delay !== null) {
    parts.push(trans.__('median label delay %1', formatDelay(delay)));
  }
  if (waiting) {
    parts.push(trans._n('%1 label waits for its prediction', '%1 labels wait for their prediction', waiting));
  }
  return parts.join(' · ');
}

/** Where the id a label is sent with comes from, by the policy's `id_source`. */
export function predictionIdHint(report: IPerformanceReport, trans: TranslationBundle): string {
  const { id_source: source, id_field: field } = report.policy;
  if (source === 'field') {
    return trans.__('The id of each row is its value of the request field "%1".', field ?? '');
  }
  if (source === 'v2_id') {
    return trans.__('The id of a prediction is the "id" of its V2 request.');
  }
  const header = trans.__(
    'The id of a prediction is the X-Request-Id header of its answer (send your own X-Request-Id to choose it)'
  );
  return source === 'ce_id'
    ? `${header}.`
    : `${header}${trans.__(', or the "id" of a V2 request. Rows of a batch are ID/0, ID/1, …')}`;
}

/** What to do when no label has arrived. */
export function noLabelsHint(report: IPerformanceReport, trans: TranslationBundle): string {
  const name = report.deployment;
  return trans.__(
    'No labels yet: send them below, with `ai4mlops labels %1 FILE`, or POST …/deployments/%1/labels.',
    name
  );
}
