/** A model's promotion gate policy: what a candidate must show before it replaces the stable version. */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IGatePolicy } from '../api';
import {
  DraftCheck,
  DraftNumber,
  DraftSelect,
  DraftText,
  PolicyDraftFooter,
  usePolicyDraft
} from '../components/PolicyDraft';
import { IModelsModel } from '../tokens';

type NumberField =
  | 'min_gain'
  | 'max_error_rate'
  | 'max_p99_ratio'
  | 'min_requests'
  | 'min_labels'
  | 'max_metric_drop'
  | 'canary_percent';

/** The settings typed as numbers. */
export const GATE_NUMBER_FIELDS: NumberField[] = [
  'min_gain',
  'max_error_rate',
  'max_p99_ratio',
  'min_requests',
  'min_labels',
  'max_metric_drop',
  'canary_percent'
];

const FIELDS = ['metric', 'direction', ...GATE_NUMBER_FIELDS, 'auto'];

/** The change as the server takes it: an empty metric or direction means "from the runs" (null). */
export function gatePolicyChange(change: Record<string, unknown>): Partial<IGatePolicy> {
  return Object.fromEntries(
    Object.entries(change).map(([key, value]) => [
      key,
      (key === 'metric' || key === 'direction') && value === '' ? null : value
    ])
  );
}

export interface IGatePolicyFormProps {
  model: string;
  policy: IGatePolicy;
  models: Pick<IModelsModel, 'updatePolicy'>;
  trans: TranslationBundle;
}

/** Edits stay a draft (never overwritten by polling) until saved; errors show at their field. */
export function GatePolicyForm({ model, policy, models, trans }: IGatePolicyFormProps): JSX.Element {
  const state = usePolicyDraft({
    numberFields: GATE_NUMBER_FIELDS,
    fields: FIELDS,
    id: `a4m-gate-${model}`,
    save: change => models.updatePolicy(model, gatePolicyChange(change)),
    notANumber: trans.__('Enter a number.')
  });
  const numberInput = (field: NumberField, label: string, step: string, title: string) => (
    <DraftNumber state={state} field={field} label={label} step={step} title={title} value={policy[field]} />
  );
  return (
    <form
      className="a4m-PolicyForm a4m-GatePolicy"
      aria-label={trans.__('Gate policy of %1', model)}
      onSubmit={e => (e.preventDefault(), void state.submit())}
    >
      <p className="a4m-Muted a4m-PolicyForm-intro">
        {trans.__(
          "A candidate passes when its metric beats the stable version's by the min. gain and, once it has answered the min. requests, its error rate and p99 latency stay within their max. With min. labels above 0, its live metric on labelled predictions may be worse than the stable version's by the max. drop at most."
        )}
      </p>
      <DraftText
        state={state}
        field="metric"
        label={trans.__('Metric')}
        name={trans.__('Metric compared offline')}
        title={trans.__('The metric compared offline (empty: the main metric)')}
        placeholder={trans.__('main metric')}
        value={policy.metric}
      />
      <DraftSelect
        state={state}
        field="direction"
        label={trans.__('Better')}
        name={trans.__('Which way the metric is better')}
        value={policy.direction}
        options={[
          ['', trans.__("by the metric's name")],
          ['higher', trans.__('higher')],
          ['lower', trans.__('lower')]
        ]}
      />
      {numberInput(
        'min_gain',
        trans.__('Min. gain'),
        'any',
        trans.__("By how much the candidate's metric must beat the stable version's")
      )}
      {numberInput(
        'max_error_rate',
        trans.__('Max. error rate'),
        'any',
        trans.__("The candidate's failed requests per request, at most (0 to 1)")
      )}
      {numberInput(
        'max_p99_ratio',
        trans.__('Max. p99 ratio'),
        'any',
        trans.__("The candidate's p99 latency over the stable version's, at most")
      )}
      {numberInput(
        'min_requests',
        trans.__('Min. requests'),
        '1',
        trans.__('Requests the candidate must answer before the gate decides')
      )}
      {numberInput(
        'min_labels',
        trans.__('Min. labels'),
        '1',
        trans.__('Labelled live predictions each version needs before the live metric is compared (0: off)')
      )}
      {numberInput(
        'max_metric_drop',
        trans.__('Max. metric drop'),
        'any',
        trans.__("By how much the candidate's live metric may be worse than the stable version's")
      )}
      {numberInput('canary_percent', trans.__('Canary %'), 'any', trans.__("A canary's default share of the traffic"))}
      <DraftCheck
        state={state}
        field="auto"
        label={trans.__('Promote or roll back automatically by the verdict')}
        value={policy.auto}
      />
      <PolicyDraftFooter state={state} trans={trans} />
    </form>
  );
}
