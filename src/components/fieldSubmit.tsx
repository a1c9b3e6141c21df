/**
 * A one-shot form's submit (a batch job, an alias): busy while it runs, and a rejection shown at the field it names,
 * else under the form (`form`).
 */
import React, { useState } from 'react';

import { ApiError } from '../api';
import { errorMessage } from '../errors';
import { policyFieldOf } from './PolicyDraft';

/** `fields`: the request fields a rejection may name; `id`: prefix of the error element's id (unique on the page). */
export function useFieldSubmit(id: string, fields: string[]) {
  const [error, setError] = useState<{ field: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const errorId = `${id}-error`;
  const submit = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      const field = e instanceof ApiError ? policyFieldOf(e, fields) : null;
      setError({ field: field ?? 'form', message: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };
  return {
    busy,
    submit,
    /** The ARIA attributes tying a field to the error. */
    describe: (field: string) => ({
      'aria-invalid': error?.field === field,
      'aria-describedby': error?.field === field ? errorId : undefined
    }),
    /** The error, where its field shows. */
    message: (field: string) =>
      error?.field === field && (
        <span className="a4m-FieldError" id={errorId} role="alert">
          {error.message}
        </span>
      )
  };
}
