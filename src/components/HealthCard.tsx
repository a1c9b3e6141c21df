/** A card with the server extension's versions and backends, or why it cannot be reached. */
import React, { useEffect, useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { fetchHealth, IHealth } from '../api';
import { errorMessage } from '../errors';

export interface IHealthCardProps {
  trans: TranslationBundle;
}

export function HealthCard({ trans }: IHealthCardProps): JSX.Element {
  const [health, setHealth] = useState<IHealth | null>(null);
  const [error, setError] = useState<string>('');

  useEffect(() => {
    let live = true;
    fetchHealth()
      .then(h => live && setHealth(h))
      .catch(e => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, []);

  if (error) {
    return (
      <div className="a4m-HealthCard a4m-mod-error" role="alert">
        {trans.__('Server extension unreachable: %1', error)}
      </div>
    );
  }
  if (!health) {
    return <div className="a4m-HealthCard">{trans.__('Checking the server extension…')}</div>;
  }
  const versions = Object.entries(health.versions);
  return (
    <div className="a4m-HealthCard" data-status="ok">
      <div className="a4m-HealthCard-title">ai4mlops-lab {health.ai4mlops_lab}</div>
      <dl className="a4m-HealthCard-versions">
        {versions.map(([name, version]) => (
          <React.Fragment key={name}>
            <dt>{name}</dt>
            <dd>{version ?? trans.__('not installed')}</dd>
          </React.Fragment>
        ))}
        <dt>{trans.__('Kubeflow Pipelines')}</dt>
        <dd>{health.kfp_host_configured ? trans.__('configured') : trans.__('local runs only')}</dd>
      </dl>
    </div>
  );
}
