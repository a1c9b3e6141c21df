/** The promotion gate's checks as a table (each passed ✓, failed ✗ or waiting …), and its verdict as a pill. */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IGateCheck, IGateEvaluation } from '../api';
import { checkRows, verdictLabel, versionName } from './labels';

/** "pass", "fail" or "waiting", outlined in the verdict's colour. */
export function VerdictPill({
  verdict,
  trans
}: {
  verdict: IGateEvaluation['verdict'];
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <span className="a4m-Status" data-status={verdict}>
      {verdictLabel(verdict, trans)}
    </span>
  );
}

/**
 * A row per check: its name and state, the candidate's, the stable version's and the threshold's values, then
 * the check in words. The value columns are headed by the versions' names ("v2", "v1"), short enough for the
 * sidebar; which is the candidate is said to assistive technology and in the tooltip.
 */
export function GateChecks({
  checks,
  candidate,
  stable,
  label,
  trans
}: {
  checks: IGateCheck[];
  /** The candidate's and the stable version's numbers. */
  candidate: number | null;
  stable: number | null;
  /** What the table is, for assistive technology. */
  label: string;
  trans: TranslationBundle;
}): JSX.Element {
  if (!checks.length) {
    return <p className="a4m-Panel-empty">{trans.__('No check recorded.')}</p>;
  }
  return (
    <table className="a4m-Table a4m-GateChecks" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">{trans.__('Check')}</th>
          <th scope="col" title={trans.__('The candidate, %1', versionName(candidate))}>
            {versionName(candidate)}
            <span className="a4m-VisuallyHidden"> {trans.__('(candidate)')}</span>
          </th>
          <th scope="col" title={trans.__('The stable version, %1', versionName(stable))}>
            {versionName(stable)}
            <span className="a4m-VisuallyHidden"> {trans.__('(stable)')}</span>
          </th>
          <th scope="col" title={trans.__('Threshold: what the check needs')}>
            {trans.__('Limit')}
          </th>
        </tr>
      </thead>
      {checkRows(checks, trans).map(row => (
        <tbody key={row.name} className="a4m-GateCheck" data-state={row.state} data-check={row.name}>
          <tr>
            <th scope="row">
              <span className="a4m-GateCheck-mark" aria-hidden="true">
                {row.mark}
              </span>{' '}
              {row.label}
              <span className="a4m-VisuallyHidden">: {row.stateLabel}</span>
            </th>
            <td>{row.candidate}</td>
            <td>{row.stable}</td>
            <td>{row.threshold}</td>
          </tr>
          {row.detail && (
            <tr className="a4m-GateCheck-detail">
              <td colSpan={4}>{row.detail}</td>
            </tr>
          )}
        </tbody>
      ))}
    </table>
  );
}
