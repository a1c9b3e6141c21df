/** The monitoring sidebar: experiments and runs, deployments, data drift. */
import React from 'react';
import { ReactWidget } from '@jupyterlab/ui-components';
import { TranslationBundle } from '@jupyterlab/translation';

export const MONITOR_PANEL_ID = 'ai4mlops-lab-monitor';

export class MonitorPanel extends ReactWidget {
  constructor(private readonly trans: TranslationBundle) {
    super();
    this.id = MONITOR_PANEL_ID;
    this.addClass('a4m-Panel');
    this.title.caption = trans.__('MLOps monitor');
  }

  render(): JSX.Element {
    const trans = this.trans;
    const sections = [
      { key: 'experiments', title: trans.__('Experiments'), empty: trans.__('No runs yet.') },
      { key: 'deployments', title: trans.__('Deployments'), empty: trans.__('No deployments yet.') },
      { key: 'drift', title: trans.__('Data drift'), empty: trans.__('Deploy a model to watch its inputs.') }
    ];
    return (
      <div className="a4m-Panel-body">
        <h2 className="a4m-Panel-heading">{trans.__('MLOps monitor')}</h2>
        {sections.map(s => (
          <section key={s.key} className="a4m-Section" aria-label={s.title}>
            <h3 className="a4m-Section-title">{s.title}</h3>
            <p className="a4m-Panel-empty">{s.empty}</p>
          </section>
        ))}
      </div>
    );
  }
}
