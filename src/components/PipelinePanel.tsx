/** The left sidebar panel: the notebook's pipeline (DAG, target, parameters, Compile / Run). */
import React from 'react';
import { ReactWidget } from '@jupyterlab/ui-components';
import { TranslationBundle } from '@jupyterlab/translation';

import { HealthCard } from './HealthCard';

export const PIPELINE_PANEL_ID = 'ai4mlops-lab-pipeline';

export class PipelinePanel extends ReactWidget {
  constructor(private readonly trans: TranslationBundle) {
    super();
    this.id = PIPELINE_PANEL_ID;
    this.addClass('a4m-Panel');
    this.title.caption = trans.__('Pipeline');
  }

  render(): JSX.Element {
    const trans = this.trans;
    return (
      <div className="a4m-Panel-body">
        <h2 className="a4m-Panel-heading">{trans.__('Pipeline')}</h2>
        <p className="a4m-Panel-empty">
          {trans.__(
            'Tag notebook cells with step:NAME, imports, functions, pipeline-parameters and pipeline-metrics to build a Kubeflow pipeline.'
          )}
        </p>
        <HealthCard trans={trans} />
      </div>
    );
  }
}
