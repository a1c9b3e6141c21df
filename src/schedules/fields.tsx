/**
 * What the schedule and data trigger forms share: their frame, and a draft's text inputs, each with the message
 * about it (the browser's check or the server's FieldError) next to it, described to assistive technology.
 */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { ApiError } from '../api';

/** Messages by field; `form` for one that names no field. */
export type FieldMessages<F extends string> = Partial<Record<F | 'form', string>>;

/** A failure as messages by field: a FieldError next to its field, a taken name next to the name, else `form`. */
export function fieldMessages<F extends string>(
  error: unknown,
  message: (error: unknown) => string,
  fields: readonly F[]
): FieldMessages<F> {
  if (error instanceof ApiError) {
    const field = error.body.field as F | undefined;
    if (field && fields.includes(field)) {
      return { [field]: error.userMessage } as FieldMessages<F>;
    }
    if (error.status === 409 && (fields as readonly string[]).includes('name')) {
      return { name: error.userMessage } as FieldMessages<F>;
    }
  }
  return { form: message(error) } as FieldMessages<F>;
}

/**
 * The inputs of a form over `draft`, whose ids start with `id`: `describe(field)` ties an input to its message,
 * `fieldError(field)` is that message, `text(...)` a labelled text input with both (`wide`: under its label).
 */
export function draftFields<D, F extends keyof D & string>(
  id: string,
  draft: D,
  shown: FieldMessages<F>,
  edit: (change: Partial<D>) => void
) {
  const describe = (field: F) => ({
    'aria-invalid': field in shown,
    'aria-describedby': field in shown ? `${id}-${field}-error` : undefined
  });
  const fieldError = (field: F) =>
    shown[field] && (
      <span className="a4m-FieldError" id={`${id}-${field}-error`} role="alert">
        {shown[field]}
      </span>
    );
  const text = (field: F, label: string, props: React.InputHTMLAttributes<HTMLInputElement> = {}, wide = false) => (
    <label className={wide ? 'a4m-Field a4m-mod-wide' : 'a4m-Field a4m-mod-inline'}>
      <span>{label}</span>
      <input
        className="jp-mod-styled"
        aria-label={label}
        {...props}
        {...describe(field)}
        value={draft[field] as string}
        onChange={e => edit({ [field]: e.target.value } as Partial<D>)}
      />
      {fieldError(field)}
    </label>
  );
  return { describe, fieldError, text };
}

export interface IDraftFormOptions<D, F extends string, R> {
  initial: D;
  /** What the browser can tell is wrong, by field (empty: nothing). */
  check: (draft: D) => FieldMessages<F>;
  /** Send the draft; a rejection is put at its field by `failed`. */
  send: (draft: D) => Promise<R>;
  failed: (error: unknown) => FieldMessages<F>;
  onSaved: (saved: R) => void;
}

/** A form's draft, its messages (cleared by an edit), whether it is saving, and its submit handler. */
export function useDraftForm<D, F extends string, R>({
  initial,
  check,
  send,
  failed,
  onSaved
}: IDraftFormOptions<D, F, R>) {
  const [draft, setDraft] = useState(initial);
  const [errors, setErrors] = useState<FieldMessages<F>>({});
  const [busy, setBusy] = useState(false);
  const edit = (change: Partial<D>) => {
    setDraft(current => ({ ...current, ...change }));
    setErrors({});
  };
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const found = check(draft);
    if (Object.keys(found).length > 0) {
      setErrors(found);
      return;
    }
    setBusy(true);
    try {
      onSaved(await send(draft));
    } catch (error) {
      setErrors(failed(error));
    } finally {
      setBusy(false);
    }
  };
  return { draft, edit, errors, busy, submit };
}

/** The props of a form that creates or changes an automation (a schedule, a data trigger). */
export interface IAutomationFormProps<D, B, R> {
  initial: D;
  /** Editing an existing one (its name stays) rather than creating one. */
  editing?: boolean;
  /** Sends the REST body; a rejection is shown at the field it names. */
  save: (body: B) => Promise<R>;
  onSaved: (saved: R) => void;
  onCancel: () => void;
  trans: TranslationBundle;
}

/** What an automation form's frame takes of the form: its draft's name and notebook, messages, state, handlers. */
export interface IFrameState {
  draft: { name: string; notebook_path: string };
  /** The message that names no field. */
  formError?: string;
  editing: boolean;
  busy: boolean;
  submit: (event: React.FormEvent) => Promise<void>;
  onCancel: () => void;
  /** A labelled text input of the name (see `draftFields`). */
  text: (field: 'name', label: string, props: React.InputHTMLAttributes<HTMLInputElement>) => React.ReactNode;
  fieldError: (field: 'notebook_path') => React.ReactNode;
}

/**
 * An automation form's frame: its name (fixed when editing) and notebook first, the kind's fields (`children`),
 * then the message that names no field, and Create (or Save) and Cancel.
 */
export function AutomationFormFrame({
  className,
  label,
  createLabel,
  state,
  trans,
  children
}: {
  className: string;
  /** The form's accessible name. */
  label: string;
  createLabel: string;
  state: IFrameState;
  trans: TranslationBundle;
  children: React.ReactNode;
}) {
  const { draft, formError, editing, busy, submit, onCancel, text, fieldError } = state;
  return (
    <form
      className={className}
      aria-label={label}
      noValidate // the form's own messages, at their fields, rather than the browser's bubbles
      onSubmit={event => void submit(event)}
    >
      {text('name', trans.__('Name'), { disabled: editing, title: editing ? trans.__('A name cannot change.') : '' })}
      <div className="a4m-Field a4m-mod-inline">
        <span>{trans.__('Notebook')}</span>
        <code className="a4m-ScheduleForm-notebook">{draft.notebook_path}</code>
        {fieldError('notebook_path')}
      </div>
      {children}
      {formError && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {formError}
        </p>
      )}
      <div className="a4m-Buttons">
        <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={busy}>
          {editing ? trans.__('Save') : createLabel}
        </button>
        <button type="button" className="jp-mod-styled" disabled={busy} onClick={onCancel}>
          {trans.__('Cancel')}
        </button>
      </div>
    </form>
  );
}
