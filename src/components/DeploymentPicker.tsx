/** The deployment a view watches, chosen among all of them (newest first), and the frame of such a view. */
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

/** What a view of one watched deployment reads from its model. */
export interface IWatchedReportModel<R> {
  readonly deployments: IDeployment[];
  readonly deployment: string | null;
  readonly report: R | null;
  readonly error: string;
  select(deployment: string): void;
}

/** A view of the watched deployment's report: the picker, the model's error, then `children` once a report is in. */
export function WatchedReport<R>({
  model,
  className,
  label,
  loading,
  trans,
  children
}: {
  model: IWatchedReportModel<R>;
  className: string;
  /** The picker's accessible name. */
  label: string;
  /** Said while the first report loads. */
  loading: string;
  trans: TranslationBundle;
  children: (report: R) => React.ReactNode;
}): JSX.Element {
  return (
    <div className={className}>
      <DeploymentPicker
        deployments={model.deployments}
        value={model.deployment ?? ''}
        label={label}
        onSelect={deployment => model.select(deployment)}
        trans={trans}
      />
      {model.error && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {model.error}
        </p>
      )}
      {model.report ? children(model.report) : !model.error && <p className="a4m-Panel-empty">{loading}</p>}
    </div>
  );
}
