/** The deployment's drift policy: window, consecutive windows, method, alpha, automatic retraining. */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IDriftPolicy } from '../api';
import { Draft, PolicyDraftFooter, usePolicyDraft } from '../components/PolicyDraft';
import { IDriftModel } from '../tokens';

type NumberField = 'window_size' | 'window_seconds' | 'consecutive' | 'alpha';

/** The settings typed as numbers. */
export const NUMBER_FIELDS: NumberField[] = ['window_size', 'window_seconds', 'consecutive', 'alpha'];

export interface IPolicyFormProps {
  deployment: string;
  policy: IDriftPolicy;
  /** Saves the policy (and refreshes the report). */
  model: Pick<IDriftModel, 'updatePolicy'>;
  trans: TranslationBundle;
}

/** Edits stay a draft (never overwritten by polling) until saved; errors show at their field. */
export function PolicyForm({ deployment, policy, model, trans }: IPolicyFormProps): JSX.Element {
  const windowOf = (draft: Draft) => (draft.window as IDriftPolicy['window'] | undefined) ?? policy.window;
  const sizeFieldOf = (draft: Draft): NumberField => (windowOf(draft) === 'count' ? 'window_size' : 'window_seconds');
  const state = usePolicyDraft({
    numberFields: NUMBER_FIELDS,
    fields: draft => ['window', sizeFieldOf(draft), 'consecutive', 'alpha', 'method', 'auto_retrain'],
    id: 'a4m-policy',
    save: change => model.updatePolicy(deployment, change),
    notANumber: trans.__('Enter a number.')
  });
  const { draft, edit, describe, fieldError } = state;
  const windowKind = windowOf(draft);
  const sizeField = sizeFieldOf(draft);
  const numberInput = (field: NumberField, label: string, step: string) => (
    <label className="a4m-Field a4m-mod-inline">
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
      className="a4m-PolicyForm"
      aria-label={trans.__('Drift policy of %1', deployment)}
      onSubmit={e => (e.preventDefault(), void state.submit())}
    >
      <label className="a4m-Field a4m-mod-inline">
        <span>{trans.__('Window')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Window by')}
          {...describe('window')}
          value={windowKind}
          onChange={e => edit({ window: e.target.value as IDriftPolicy['window'] })}
        >
          <option value="count">{trans.__('rows')}</option>
          <option value="time">{trans.__('time')}</option>
        </select>
        {fieldError('window')}
      </label>
      {sizeField === 'window_size'
        ? numberInput('window_size', trans.__('Window size (rows)'), '1')
        : numberInput('window_seconds', trans.__('Window length (seconds)'), '1')}
      {numberInput('consecutive', trans.__('Consecutive drifted windows to alert'), '1')}
      {numberInput('alpha', trans.__('Significance level (alpha)'), 'any')}
      <label className="a4m-Field a4m-mod-inline">
        <span>{trans.__('Method')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Drift test method')}
          {...describe('method')}
          value={(draft.method as IDriftPolicy['method'] | undefined) ?? policy.method}
          onChange={e => edit({ method: e.target.value as IDriftPolicy['method'] })}
        >
          <option value="features">{trans.__('per feature (KS, chi-squared)')}</option>
          <option value="mmd">{trans.__('multivariate (MMD)')}</option>
          <option value="both">{trans.__('both')}</option>
        </select>
        {fieldError('method')}
      </label>
      <label className="a4m-Check">
        <input
          type="checkbox"
          {...describe('auto_retrain')}
          checked={(draft.auto_retrain as boolean | undefined) ?? policy.auto_retrain}
          onChange={e => edit({ auto_retrain: e.target.checked })}
        />
        {trans.__('Retrain automatically on an alert')}
      </label>
      {fieldError('auto_retrain')}
      <PolicyDraftFooter state={state} trans={trans} />
    </form>
  );
}
