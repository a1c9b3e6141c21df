/** A model's promotion gate policy: what a candidate must show before it replaces the stable version. */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IGatePolicy } from '../api';
import { PolicyDraftFooter, usePolicyDraft } from '../components/PolicyDraft';
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
  const { draft, edit, describe, fieldError } = state;
  const text = (field: 'metric' | 'direction') => (draft[field] as string | undefined) ?? policy[field] ?? '';
  const numberInput = (field: NumberField, label: string, step: string, title: string) => (
    <label className="a4m-Field a4m-mod-inline" title={title}>
      <span>{label}</span>
      <input
        className="jp-mod-styled"
        type="number"
        step={step}
        aria-label={label}
        {...describe(field)}
        value={(draft[field] as string | undefined) ?? String(policy[field])}
        onChange={e => edit({ [field]: e.target.value })}
      />
      {fieldError(field)}
    </label>
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
      <label
        className="a4m-Field a4m-mod-inline"
        title={trans.__('The metric compared offline (empty: the main metric)')}
      >
        <span>{trans.__('Metric')}</span>
        <input
          className="jp-mod-styled"
          aria-label={trans.__('Metric compared offline')}
          placeholder={trans.__('main metric')}
          {...describe('metric')}
          value={text('metric')}
          onChange={e => edit({ metric: e.target.value })}
        />
        {fieldError('metric')}
      </label>
      <label className="a4m-Field a4m-mod-inline">
        <span>{trans.__('Better')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Which way the metric is better')}
          {...describe('direction')}
          value={text('direction')}
          onChange={e => edit({ direction: e.target.value })}
        >
          <option value="">{trans.__("by the metric's name")}</option>
          <option value="higher">{trans.__('higher')}</option>
          <option value="lower">{trans.__('lower')}</option>
        </select>
        {fieldError('direction')}
      </label>
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
      <label className="a4m-Check">
        <input
          type="checkbox"
          {...describe('auto')}
          checked={(draft.auto as boolean | undefined) ?? policy.auto}
          onChange={e => edit({ auto: e.target.checked })}
        />
        {trans.__('Promote or roll back automatically by the verdict')}
      </label>
      {fieldError('auto')}
      <PolicyDraftFooter state={state} trans={trans} />
    </form>
  );
}
