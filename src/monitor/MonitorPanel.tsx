/** The monitoring sidebar: experiments and runs, deployments, data drift. */
import React from 'react';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';

import { DeploymentsModel } from '../deploy/model';
import { RunsModel } from '../runs/model';
import { DeploymentsView } from './DeploymentsView';
import { ExperimentsView } from './ExperimentsView';

export const MONITOR_PANEL_ID = 'ai4mlops-lab-monitor';

export class MonitorPanel extends ReactWidget {
  constructor(
    private readonly runs: RunsModel,
    private readonly deployments: DeploymentsModel,
    private readonly rendermime: IRenderMimeRegistry,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.id = MONITOR_PANEL_ID;
    this.addClass('a4m-Panel');
    this.title.caption = trans.__('MLOps monitor');
  }

  render(): JSX.Element {
    const trans = this.trans;
    return (
      <div className="a4m-Panel-body">
        <h2 className="a4m-Panel-heading">{trans.__('MLOps monitor')}</h2>
        <section className="a4m-Section" aria-label={trans.__('Experiments')}>
          <h3 className="a4m-Section-title">{trans.__('Experiments')}</h3>
          <UseSignal signal={this.runs.changed}>
            {() => <ExperimentsView runs={this.runs} rendermime={this.rendermime} trans={trans} />}
          </UseSignal>
        </section>
        <section className="a4m-Section" aria-label={trans.__('Deployments')}>
          <h3 className="a4m-Section-title">{trans.__('Deployments')}</h3>
          <UseSignal signal={this.deployments.changed}>
            {() => <DeploymentsView model={this.deployments} runs={this.runs} trans={trans} />}
          </UseSignal>
        </section>
        <section className="a4m-Section" aria-label={trans.__('Data drift')}>
          <h3 className="a4m-Section-title">{trans.__('Data drift')}</h3>
          <p className="a4m-Panel-empty">{trans.__('Deploy a model to watch its inputs.')}</p>
        </section>
      </div>
    );
  }
}
