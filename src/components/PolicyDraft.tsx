/**
 * The editing of a policy (drift, promotion gate): changes stay a draft, never overwritten by polling,
 * until saved; a number that is not one, or a setting the server refuses (422), is explained at its field.
 */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { ApiError } from '../api';
import { errorMessage } from '../errors';

/** A draft: the text of number fields as typed, the other settings as chosen. */
export type Draft = Record<string, string | boolean | null>;

/** The policy field a rejected change names (the server's `field`, else the first field its detail mentions). */
export function policyFieldOf(error: ApiError, fields: string[]): string | null {
  const named = error.body.field;
  if (typeof named === 'string' && fields.includes(named)) {
    return named;
  }
  // Longest first: `window_size` before `window`.
  const candidates = [...fields].sort((a, b) => b.length - a.length);
  return candidates.find(field => new RegExp(`\\b${field}\\b`).test(error.body.detail)) ?? null;
}

/** The change a draft asks for: the `numberFields` parsed, or those that are not numbers. */
export function parseDraft(
  draft: Draft,
  numberFields: string[]
): { change: Record<string, unknown>; invalid: string[] } {
  const change: Record<string, unknown> = {};
  const invalid: string[] = [];
  for (const [key, value] of Object.entries(draft)) {
    if (numberFields.includes(key)) {
      const number = Number(value);
      if (String(value).trim() === '' || !Number.isFinite(number)) {
        invalid.push(key);
      } else {
        change[key] = number;
      }
    } else {
      change[key] = value;
    }
  }
  return { change, invalid };
}

export interface IPolicyDraftOptions {
  /** Fields typed as text and sent as numbers. */
  numberFields: string[];
  /** The fields on the form (which may depend on the draft): an error about any other shows under the form. */
  fields: string[] | ((draft: Draft) => string[]);
  /** Prefix of the error elements' ids (unique on the page). */
  id: string;
  /** Saves the change; a rejection is shown at the field it names. */
  save: (change: Record<string, unknown>) => Promise<unknown>;
  /** The message for a field that is not a number. */
  notANumber: string;
}

/** A policy's draft, its errors at their fields, and save/discard. */
export function usePolicyDraft({ numberFields, fields, id, save, notANumber }: IPolicyDraftOptions) {
  const [draft, setDraft] = useState<Draft>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const edit = (change: Draft) => {
    setDraft(current => ({ ...current, ...change }));
    setErrors({});
  };
  const submit = async () => {
    const { change, invalid } = parseDraft(draft, numberFields);
    if (invalid.length) {
      setErrors(Object.fromEntries(invalid.map(field => [field, notANumber])));
      return;
    }
    setBusy(true);
    const submitted = draft;
    try {
      await save(change);
      // Saved: what was sent leaves the draft; an edit made while saving stays.
      setDraft(current => Object.fromEntries(Object.entries(current).filter(([k, v]) => submitted[k] !== v)));
      setErrors({});
    } catch (e) {
      const shown = typeof fields === 'function' ? fields(draft) : fields;
      const field = e instanceof ApiError ? policyFieldOf(e, shown) : null;
      setErrors({ [field ?? 'form']: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };
  const errorId = (field: string) => `${id}-${field}-error`;
  return {
    draft,
    edit,
    errors,
    busy,
    dirty: Object.keys(draft).length > 0,
    submit,
    discard: () => (setDraft({}), setErrors({})),
    /** The ARIA attributes tying a field to its error. */
    describe: (field: string) => ({
      'aria-invalid': field in errors,
      'aria-describedby': field in errors ? errorId(field) : undefined
    }),
    /** The error of a field, where it shows. */
    fieldError: (field: string) =>
      errors[field] && (
        <span className="a4m-FieldError" id={errorId(field)} role="alert">
          {errors[field]}
        </span>
      )
  };
}

/** Under a policy form: an error that names no field shown, then Save and Discard (while there is a draft). */
export function PolicyDraftFooter({
  state,
  trans
}: {
  state: ReturnType<typeof usePolicyDraft>;
  trans: TranslationBundle;
}): JSX.Element {
  const { errors, busy, dirty, discard } = state;
  return (
    <>
      {errors.form && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {errors.form}
        </p>
      )}
      <div className="a4m-Buttons">
        <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={busy || !dirty}>
          {trans.__('Save')}
        </button>
        <button type="button" className="jp-mod-styled" disabled={busy || !dirty} onClick={discard}>
          {trans.__('Discard')}
        </button>
      </div>
    </>
  );
}

/** A policy's draft state, as `usePolicyDraft` gives it. */
export type PolicyDraftState = ReturnType<typeof usePolicyDraft>;

interface IDraftFieldProps {
  state: PolicyDraftState;
  field: string;
  /** The visible label, also the control's accessible name unless `name` is given. */
  label: string;
  name?: string;
  /** What the setting does (the label's tooltip). */
  title?: string;
}

/** A number setting, typed as text: the draft's text, else the policy's `value` (empty for null). */
export function DraftNumber({
  state,
  field,
  label,
  name,
  title,
  value,
  step,
  placeholder
}: IDraftFieldProps & { value: number | null; step: string; placeholder?: string }): JSX.Element {
  return (
    <label className="a4m-Field a4m-mod-inline" title={title}>
      <span>{label}</span>
      <input
        className="jp-mod-styled"
        type="number"
        step={step}
        aria-label={name ?? label}
        placeholder={placeholder}
        {...state.describe(field)}
        value={(state.draft[field] as string | undefined) ?? (value === null ? '' : String(value))}
        onChange={e => state.edit({ [field]: e.target.value })}
      />
      {state.fieldError(field)}
    </label>
  );
}

/** A text setting (empty stands for null). */
export function DraftText({
  state,
  field,
  label,
  name,
  title,
  value,
  placeholder
}: IDraftFieldProps & { value: string | null; placeholder?: string }): JSX.Element {
  return (
    <label className="a4m-Field a4m-mod-inline" title={title}>
      <span>{label}</span>
      <input
        className="jp-mod-styled"
        aria-label={name ?? label}
        placeholder={placeholder}
        {...state.describe(field)}
        value={(state.draft[field] as string | undefined) ?? value ?? ''}
        onChange={e => state.edit({ [field]: e.target.value })}
      />
      {state.fieldError(field)}
    </label>
  );
}

/** A setting chosen from `options` (`[value, label]`; the value '' stands for null). */
export function DraftSelect({
  state,
  field,
  label,
  name,
  title,
  value,
  options
}: IDraftFieldProps & { value: string | null; options: [string, string][] }): JSX.Element {
  return (
    <label className="a4m-Field a4m-mod-inline" title={title}>
      <span>{label}</span>
      <select
        className="jp-mod-styled"
        aria-label={name ?? label}
        {...state.describe(field)}
        value={(state.draft[field] as string | undefined) ?? value ?? ''}
        onChange={e => state.edit({ [field]: e.target.value })}
      >
        {options.map(([option, text]) => (
          <option key={option} value={option}>
            {text}
          </option>
        ))}
      </select>
      {state.fieldError(field)}
    </label>
  );
}

/** An on/off setting. */
export function DraftCheck({
  state,
  field,
  label,
  title,
  value
}: Omit<IDraftFieldProps, 'name'> & { value: boolean }): JSX.Element {
  return (
    <>
      <label className="a4m-Check" title={title}>
        <input
          type="checkbox"
          {...state.describe(field)}
          checked={(state.draft[field] as boolean | undefined) ?? value}
          onChange={e => state.edit({ [field]: e.target.checked })}
        />
        {label}
      </label>
      {state.fieldError(field)}
    </>
  );
}
