/** What the DAG's node looks mean during a run: one entry per state present, with its step count. */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { legendStates, STATE_LOOKS, StepStatus } from './dag';

function stateLabel(state: StepStatus, count: number, trans: TranslationBundle): string {
  const labels: Record<StepStatus, string> = {
    pending: trans._n('%1 step waiting', '%1 steps waiting', count),
    running: trans._n('%1 step running', '%1 steps running', count),
    succeeded: trans._n('%1 step succeeded', '%1 steps succeeded', count),
    cached: trans._n(
      '%1 step reused from an earlier run (cached)',
      '%1 steps reused from an earlier run (cached)',
      count
    ),
    failed: trans._n('%1 step failed', '%1 steps failed', count),
    interrupted: trans._n('%1 step interrupted', '%1 steps interrupted', count),
    cancelled: trans._n('%1 step cancelled', '%1 steps cancelled', count),
    skipped: trans._n('%1 step skipped', '%1 steps skipped', count)
  };
  return labels[state];
}

export function DagLegend({
  statuses,
  trans
}: {
  statuses: Record<string, StepStatus>;
  trans: TranslationBundle;
}): JSX.Element | null {
  const states = legendStates(statuses);
  if (states.length === 0) {
    return null;
  }
  const values = Object.values(statuses);
  return (
    <ul className="a4m-DagLegend" aria-label={trans.__('Step states of the latest run')}>
      {states.map(state => {
        const look = STATE_LOOKS[state];
        return (
          <li key={state} data-status={state}>
            <span
              className={`a4m-DagLegend-badge${look.fill ? '' : ' a4m-mod-outline'}${look.dashed ? ' a4m-mod-dashed' : ''}`}
              style={look.fill ? { background: look.fill } : undefined}
              aria-hidden="true"
            >
              {look.mark}
            </span>
            {stateLabel(state, values.filter(value => value === state).length, trans)}
          </li>
        );
      })}
    </ul>
  );
}
