/** Send ground-truth labels: paste CSV or JSON, or pick a file; what was stored, and each refused row and why. */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { ILabelsResult } from '../api';
import { errorMessage } from '../errors';
import { IPerformanceModel } from '../tokens';
import { labelsResultText, parseLabelsText } from './labels';

export interface ILabelsFormProps {
  deployment: string;
  model: Pick<IPerformanceModel, 'sendLabels'>;
  /** Where a prediction's id comes from, in words. */
  idHint: string;
  trans: TranslationBundle;
}

export function LabelsForm({ deployment, model, idHint, trans }: ILabelsFormProps): JSX.Element {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [result, setResult] = useState<ILabelsResult | null>(null);
  const errorId = `a4m-labels-${deployment}-error`;
  const pick = async (file: File | undefined) => {
    if (file) {
      setText(await file.text());
      setError('');
    }
  };
  const send = async () => {
    const input = parseLabelsText(text, trans);
    if ('error' in input) {
      setError(input.error);
      return;
    }
    setBusy(true);
    setError('');
    try {
      setResult(await model.sendLabels(deployment, 'csv' in input ? input.csv : input.labels));
    } catch (e) {
      setResult(null);
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="a4m-LabelsForm"
      aria-label={trans.__('Labels for %1', deployment)}
      onSubmit={e => (e.preventDefault(), void send())}
    >
      <p className="a4m-Muted">
        {trans.__('CSV with an id and a label column, or JSON [{"id": …, "label": …}]. Labels never change once sent.')}{' '}
        {idHint}
      </p>
      <textarea
        className="jp-mod-styled"
        rows={4}
        aria-label={trans.__('Labels as CSV or JSON')}
        aria-invalid={!!error}
        aria-describedby={error ? errorId : undefined}
        placeholder={'id,label\nreq-1,0\nreq-2,1'}
        value={text}
        onChange={e => (setText(e.target.value), setError(''))}
      />
      <div className="a4m-Buttons">
        <input
          className="a4m-FilePick"
          type="file"
          accept=".csv,.json,text/csv,application/json"
          aria-label={trans.__('Labels file (.csv or .json)')}
          title={trans.__('Read a .csv or .json file into the box')}
          onChange={e => void pick(e.target.files?.[0])}
        />
        <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={busy || !text.trim()}>
          {trans.__('Send labels')}
        </button>
      </div>
      {error && (
        <p className="a4m-Message a4m-mod-error" id={errorId} role="alert">
          {error}
        </p>
      )}
      {result && <LabelsResult result={result} trans={trans} />}
    </form>
  );
}

function LabelsResult({ result, trans }: { result: ILabelsResult; trans: TranslationBundle }): JSX.Element {
  const more = result.refused_count - result.refused.length;
  return (
    <div className="a4m-LabelsResult" role="status" aria-label={trans.__('What the labels did')}>
      <div>{labelsResultText(result, trans)}</div>
      {result.refused.length > 0 && (
        <ul className="a4m-Refused" aria-label={trans.__('Refused rows')}>
          {result.refused.map((row, i) => (
            <li key={i}>
              <strong>{row.row}</strong> · <code>{row.field}</code>: {row.message}
            </li>
          ))}
          {more > 0 && <li>{trans._n('and %1 more row', 'and %1 more rows', more)}</li>}
        </ul>
      )}
    </div>
  );
}
