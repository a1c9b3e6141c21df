/** The deployment a view watches, chosen among all of them (newest first). */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IDeployment } from '../api';

export function DeploymentPicker({
  deployments,
  value,
  label,
  onSelect,
  trans
}: {
  deployments: IDeployment[];
  value: string;
  /** The control's accessible name (what the deployment is watched for). */
  label: string;
  onSelect: (name: string) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const newestFirst = [...deployments].sort((a, b) => b.created_at.localeCompare(a.created_at));
  return (
    <label className="a4m-Field a4m-mod-inline">
      <span>{trans.__('Deployment')}</span>
      <select className="jp-mod-styled" aria-label={label} value={value} onChange={e => onSelect(e.target.value)}>
        {newestFirst.map(d => (
          <option key={d.name} value={d.name}>
            {d.name}
          </option>
        ))}
      </select>
    </label>
  );
}
