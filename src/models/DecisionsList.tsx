/** A model's decisions, newest first: promotions, rollbacks, refusals and starts, each with its evidence. */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IGateDecision } from '../api';
import { When } from '../components/When';
import { GateChecks } from './GateChecks';
import { actionLabel, decisionVersions } from './labels';

function Decision({ decision, trans }: { decision: IGateDecision; trans: TranslationBundle }) {
  const versions = decisionVersions(decision, trans);
  const action = actionLabel(decision.action, trans);
  return (
    <li
      className="a4m-Decision"
      data-action={decision.action}
      aria-label={trans.__('Decision %1: %2 %3', decision.id, versions, action)}
    >
      <div className="a4m-RunDetail-header">
        <span className="a4m-Status" data-status={decision.action}>
          {action}
        </span>
        <strong>{versions}</strong>
      </div>
      <div className="a4m-Muted a4m-Decision-who">
        {decision.by === 'gate' ? trans.__('by the gate') : trans.__('by %1', decision.by)}
        {decision.automatic && ` · ${trans.__('automatic')}`}
        {decision.deployment && ` · ${decision.deployment}`}
        {' · '}
        <When iso={decision.at} />
      </div>
      {decision.reason && <div className="a4m-Decision-reason">{decision.reason}</div>}
      {decision.evidence.checks.length > 0 && (
        <details className="a4m-Decision-evidence">
          <summary>{trans.__('Evidence: %1 checks', decision.evidence.checks.length)}</summary>
          <GateChecks
            checks={decision.evidence.checks}
            candidate={decision.candidate_version}
            stable={decision.stable_version}
            label={trans.__('Checks of decision %1', decision.id)}
            trans={trans}
          />
        </details>
      )}
    </li>
  );
}

export function DecisionsList({
  decisions,
  trans
}: {
  decisions: IGateDecision[];
  trans: TranslationBundle;
}): JSX.Element {
  if (!decisions.length) {
    return <p className="a4m-Panel-empty">{trans.__('No decision yet.')}</p>;
  }
  return (
    <ul className="a4m-Decisions" aria-label={trans.__('Decisions')}>
      {decisions.map(decision => (
        <Decision key={decision.id} decision={decision} trans={trans} />
      ))}
    </ul>
  );
}
