/** The compiler's diagnostics, most severe first, each naming its cell and line. */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IDiagnostic } from '../api';

const ORDER = { error: 0, warning: 1, info: 2 };

export function where(d: IDiagnostic, trans: TranslationBundle): string {
  if (d.cell === null || d.cell === undefined) {
    return trans.__('notebook');
  }
  return d.line ? trans.__('cell %1, line %2', d.cell + 1, d.line) : trans.__('cell %1', d.cell + 1);
}

export function DiagnosticList({
  diagnostics,
  trans
}: {
  diagnostics: IDiagnostic[];
  trans: TranslationBundle;
}): JSX.Element | null {
  if (diagnostics.length === 0) {
    return null;
  }
  const sorted = [...diagnostics].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  return (
    <section className="a4m-Section" aria-label={trans.__('Diagnostics')}>
      <h3 className="a4m-Section-title">{trans.__('Diagnostics')}</h3>
      <ul className="a4m-Diagnostics">
        {sorted.map((d, i) => (
          <li key={i} className={`a4m-Diagnostic a4m-mod-${d.severity}`}>
            <span className="a4m-Diagnostic-where">{where(d, trans)}</span> {d.message}
            {d.hint && <div className="a4m-Diagnostic-hint">{d.hint}</div>}
          </li>
        ))}
      </ul>
    </section>
  );
}
