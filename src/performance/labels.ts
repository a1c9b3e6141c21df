/** Labels as the user pastes or picks them: JSON (rows, or `{"labels": rows}`) or CSV (`id,label` columns). */
import { TranslationBundle } from '@jupyterlab/translation';

import { ILabel, ILabelsResult } from '../api';

/** What to send: JSON rows, CSV text, or why the text cannot be sent. */
export type LabelsInput = { labels: ILabel[] } | { csv: string } | { error: string };

/** Read pasted text: JSON when it starts with `[` or `{`, else CSV (the server checks each row). */
export function parseLabelsText(text: string, trans: TranslationBundle): LabelsInput {
  const trimmed = text.trim();
  if (!trimmed) {
    return { error: trans.__('Paste labels or pick a file first.') };
  }
  if (!'[{'.includes(trimmed[0])) {
    return { csv: trimmed + '\n' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (error) {
    return { error: trans.__('The labels are not JSON: %1', (error as Error).message) };
  }
  const rows = Array.isArray(parsed) ? parsed : (parsed as { labels?: unknown })?.labels;
  if (!Array.isArray(rows)) {
    return { error: trans.__('Send a list of {"id": …, "label": …} rows, or {"labels": [rows]}.') };
  }
  return { labels: rows as ILabel[] };
}

/** What an upload did, in a line: "60 stored · 0 already known · 40 joined to their prediction · 1 refused". */
export function labelsResultText(result: ILabelsResult, trans: TranslationBundle): string {
  const waiting = result.stored - result.joined;
  return [
    trans._n('%1 label stored', '%1 labels stored', result.stored),
    trans.__('%1 already known', result.unchanged),
    trans.__('%1 joined to their prediction', result.joined),
    ...(waiting > 0 ? [trans.__('%1 wait for their prediction', waiting)] : []),
    trans.__('%1 refused', result.refused_count)
  ].join(' · ');
}
