/**
 * A deployment's performance policy: how predictions are keyed (id source), windowed, judged (metric, alert
 * level) and watched (estimate before labels, concept-drift detector, automatic retraining).
 */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IPerformancePolicy, IPerformanceReport } from '../api';
import {
  Draft,
  DraftCheck,
  DraftNumber,
  DraftSelect,
  DraftText,
  PolicyDraftFooter,
  usePolicyDraft
} from '../components/PolicyDraft';
import { IPerformanceModel } from '../tokens';
import { metricLabel } from './words';

/** The settings typed as numbers (`threshold` may also be empty: see `performancePolicyChange`). */
export const PERFORMANCE_NUMBER_FIELDS = ['window_size', 'min_labels', 'max_drop'];

const FIELDS = [
  'id_source',
  'id_field',
  ...PERFORMANCE_NUMBER_FIELDS,
  'metric',
  'threshold',
  'estimate',
  'detector',
  'auto_retrain'
];

/** The metrics of a task. */
export const TASK_METRICS: Record<IPerformanceReport['task'], IPerformancePolicy['metric'][]> = {
  classification: ['accuracy', 'f1_macro', 'roc_auc', 'log_loss'],
  regression: ['mae', 'rmse', 'r2']
};

/**
 * The change as the server takes it: an empty metric, threshold or id field means "the default" (null); a
 * threshold that is not a number is sent as typed, for the server to name it.
 */
export function performancePolicyChange(change: Record<string, unknown>): Partial<IPerformancePolicy> {
  return Object.fromEntries(
    Object.entries(change).map(([key, value]) => {
      if (['metric', 'threshold', 'id_field'].includes(key) && String(value).trim() === '') {
        return [key, null];
      }
      if (key === 'threshold' && Number.isFinite(Number(value))) {
        return [key, Number(value)];
      }
      return [key, value];
    })
  );
}

export interface IPerformancePolicyFormProps {
  report: IPerformanceReport;
  model: Pick<IPerformanceModel, 'updatePolicy'>;
  trans: TranslationBundle;
}

/** Edits stay a draft (never overwritten by polling) until saved; the server's refusal shows at its field. */
export function PerformancePolicyForm({ report, model, trans }: IPerformancePolicyFormProps): JSX.Element {
  const { deployment, policy, task } = report;
  const state = usePolicyDraft({
    numberFields: PERFORMANCE_NUMBER_FIELDS,
    fields: FIELDS,
    id: `a4m-performance-${deployment}`,
    save: change => model.updatePolicy(deployment, performancePolicyChange(change)),
    notANumber: trans.__('Enter a number.')
  });
  const idSource = (state.draft as Draft).id_source ?? policy.id_source;
  const metricDefault = metricLabel(task === 'classification' ? 'accuracy' : 'mae', trans);
  return (
    <form
      className="a4m-PolicyForm"
      aria-label={trans.__('Performance policy of %1', deployment)}
      onSubmit={e => (e.preventDefault(), void state.submit())}
    >
      <DraftNumber
        state={state}
        field="window_size"
        label={trans.__('Window size (predictions)')}
        step="1"
        value={policy.window_size}
      />
      <DraftNumber
        state={state}
        field="min_labels"
        label={trans.__('Min. labels per window')}
        title={trans.__('Labels a window needs before its realized metric counts (else: the estimate)')}
        step="1"
        value={policy.min_labels}
      />
      <DraftSelect
        state={state}
        field="metric"
        label={trans.__('Metric')}
        name={trans.__('Performance metric')}
        value={policy.metric}
        options={[
          ['', trans.__('default (%1)', metricDefault)],
          ...TASK_METRICS[task].map(m => [m!, metricLabel(m!, trans)] as [string, string])
        ]}
      />
      <DraftNumber
        state={state}
        field="threshold"
        label={trans.__('Alert level')}
        name={trans.__('Alert level (empty: validation value less the max. drop)')}
        title={trans.__("The metric's alert level; empty: the model's validation value worse by the max. drop")}
        step="any"
        placeholder={trans.__('from validation')}
        value={policy.threshold}
      />
      <DraftNumber
        state={state}
        field="max_drop"
        label={trans.__('Max. drop from validation')}
        step="any"
        value={policy.max_drop}
      />
      <DraftCheck
        state={state}
        field="estimate"
        label={trans.__("Estimate the metric before labels, from the model's confidence (CBPE)")}
        value={policy.estimate}
      />
      <DraftSelect
        state={state}
        field="detector"
        label={trans.__('Concept drift')}
        name={trans.__('Concept-drift detector')}
        value={policy.detector}
        options={[
          ['auto', trans.__('auto (ADWIN)')],
          ['adwin', 'ADWIN'],
          ['page_hinkley', 'Page-Hinkley'],
          ['ddm', 'DDM'],
          ['eddm', 'EDDM'],
          ['none', trans.__('off')]
        ]}
      />
      <DraftSelect
        state={state}
        field="id_source"
        label={trans.__('Prediction id')}
        name={trans.__('Where a prediction id comes from')}
        value={policy.id_source}
        options={[
          ['auto', trans.__('V2 id, else X-Request-Id')],
          ['ce_id', trans.__('X-Request-Id header')],
          ['v2_id', trans.__('V2 request id')],
          ['field', trans.__('a request field')]
        ]}
      />
      {idSource === 'field' && (
        <DraftText
          state={state}
          field="id_field"
          label={trans.__('Id field')}
          name={trans.__('Request field holding the ids')}
          placeholder="ids"
          value={policy.id_field}
        />
      )}
      <DraftCheck
        state={state}
        field="auto_retrain"
        label={trans.__('Retrain automatically on an alert')}
        value={policy.auto_retrain}
      />
      <PolicyDraftFooter state={state} trans={trans} />
    </form>
  );
}
