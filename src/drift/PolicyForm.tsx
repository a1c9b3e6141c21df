/** The deployment's drift policy: window, consecutive windows, method, alpha, automatic retraining. */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { ApiError, IDriftPolicy } from '../api';
import { errorMessage } from '../errors';
import { IDriftModel } from '../tokens';

type NumberField = 'window_size' | 'window_seconds' | 'consecutive' | 'alpha';
type Draft = Partial<Record<NumberField, string>> & Partial<Pick<IDriftPolicy, 'window' | 'method' | 'auto_retrain'>>;

const NUMBER_FIELDS: NumberField[] = ['window_size', 'window_seconds', 'consecutive', 'alpha'];

/** The policy field a rejected change names (the server's `field`, else the first field its detail mentions). */
export function policyFieldOf(error: ApiError, fields: string[]): string | null {
  const named = (error.body as { field?: unknown }).field;
  if (typeof named === 'string' && fields.includes(named)) {
    return named;
  }
  // Longest first: `window_size` before `window`.
  const candidates = [...fields].sort((a, b) => b.length - a.length);
  return candidates.find(field => new RegExp(`\\b${field}\\b`).test(error.body.detail)) ?? null;
}

/**
 * The change a draft asks for: numbers parsed, or the fields that are not numbers.
 */
export function parseDraft(draft: Draft): { change: Partial<IDriftPolicy>; invalid: NumberField[] } {
  const change: Partial<IDriftPolicy> = {};
  const invalid: NumberField[] = [];
  for (const [key, value] of Object.entries(draft) as [keyof Draft, string | boolean][]) {
    if ((NUMBER_FIELDS as string[]).includes(key)) {
      const number = Number(value);
      if (String(value).trim() === '' || !Number.isFinite(number)) {
        invalid.push(key as NumberField);
      } else {
        (change as Record<string, unknown>)[key] = number;
      }
    } else {
      (change as Record<string, unknown>)[key] = value;
    }
  }
  return { change, invalid };
}

export interface IPolicyFormProps {
  deployment: string;
  policy: IDriftPolicy;
  /** Saves the policy (and refreshes the report). */
  model: Pick<IDriftModel, 'updatePolicy'>;
  trans: TranslationBundle;
}

/** Edits stay a draft (never overwritten by polling) until saved; errors show at their field. */
export function PolicyForm({ deployment, policy, model, trans }: IPolicyFormProps): JSX.Element {
  const [draft, setDraft] = useState<Draft>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const windowKind = draft.window ?? policy.window;
  const sizeField: NumberField = windowKind === 'count' ? 'window_size' : 'window_seconds';
  /** The fields on the form: an error about any other shows under the form. */
  const shown = ['window', sizeField, 'consecutive', 'alpha', 'method', 'auto_retrain'];
  const edit = (change: Draft) => {
    setDraft({ ...draft, ...change });
    setErrors({});
  };

  const save = async () => {
    const { change, invalid } = parseDraft(draft);
    if (invalid.length) {
      setErrors(Object.fromEntries(invalid.map(field => [field, trans.__('Enter a number.')])));
      return;
    }
    setBusy(true);
    try {
      await model.updatePolicy(deployment, change);
      setDraft({});
      setErrors({});
    } catch (e) {
      const field = e instanceof ApiError ? policyFieldOf(e, shown) : null;
      setErrors({ [field ?? 'form']: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  const errorId = (field: string) => `a4m-policy-${field}-error`;
  const describe = (field: string) => ({
    'aria-invalid': field in errors,
    'aria-describedby': field in errors ? errorId(field) : undefined
  });
  const fieldError = (field: string) =>
    errors[field] && (
      <span className="a4m-FieldError" id={errorId(field)} role="alert">
        {errors[field]}
      </span>
    );
  const numberInput = (field: NumberField, label: string, step: string) => (
    <label className="a4m-Field a4m-mod-inline">
      <span>{label}</span>
      <input
        className="jp-mod-styled"
        type="number"
        step={step}
        aria-label={label}
        {...describe(field)}
        value={draft[field] ?? String(policy[field])}
        onChange={e => edit({ [field]: e.target.value })}
      />
      {fieldError(field)}
    </label>
  );

  return (
    <form
      className="a4m-PolicyForm"
      aria-label={trans.__('Drift policy of %1', deployment)}
      onSubmit={e => (e.preventDefault(), void save())}
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
          value={draft.method ?? policy.method}
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
          checked={draft.auto_retrain ?? policy.auto_retrain}
          onChange={e => edit({ auto_retrain: e.target.checked })}
        />
        {trans.__('Retrain automatically on an alert')}
      </label>
      {fieldError('auto_retrain')}
      {errors.form && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {errors.form}
        </p>
      )}
      <div className="a4m-Buttons">
        <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={busy || !Object.keys(draft).length}>
          {trans.__('Save')}
        </button>
        <button
          type="button"
          className="jp-mod-styled"
          disabled={busy || !Object.keys(draft).length}
          onClick={() => (setDraft({}), setErrors({}))}
        >
          {trans.__('Discard')}
        </button>
      </div>
    </form>
  );
}
