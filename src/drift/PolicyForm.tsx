/** The deployment's drift policy: window, consecutive windows, method, alpha, automatic retraining. */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IDriftPolicy } from '../api';
import {
  Draft,
  DraftCheck,
  DraftNumber,
  DraftSelect,
  PolicyDraftFooter,
  usePolicyDraft
} from '../components/PolicyDraft';
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
  const sizeField = sizeFieldOf(state.draft);
  const numberInput = (field: NumberField, label: string, step: string) => (
    <DraftNumber state={state} field={field} label={label} step={step} value={policy[field]} />
  );

  return (
    <form
      className="a4m-PolicyForm"
      aria-label={trans.__('Drift policy of %1', deployment)}
      onSubmit={e => (e.preventDefault(), void state.submit())}
    >
      <DraftSelect
        state={state}
        field="window"
        label={trans.__('Window')}
        name={trans.__('Window by')}
        value={policy.window}
        options={[
          ['count', trans.__('rows')],
          ['time', trans.__('time')]
        ]}
      />
      {sizeField === 'window_size'
        ? numberInput('window_size', trans.__('Window size (rows)'), '1')
        : numberInput('window_seconds', trans.__('Window length (seconds)'), '1')}
      {numberInput('consecutive', trans.__('Consecutive drifted windows to alert'), '1')}
      {numberInput('alpha', trans.__('Significance level (alpha)'), 'any')}
      <DraftSelect
        state={state}
        field="method"
        label={trans.__('Method')}
        name={trans.__('Drift test method')}
        value={policy.method}
        options={[
          ['features', trans.__('per feature (KS, chi-squared)')],
          ['mmd', trans.__('multivariate (MMD)')],
          ['both', trans.__('both')]
        ]}
      />
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
