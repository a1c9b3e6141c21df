/**
 * The monitoring sidebar: experiments and runs, schedules and data triggers, registered models and their rollouts,
 * deployments, data drift, performance on labels.
 */
import React from 'react';
import { IThemeManager } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';

import { IBatchFiles } from '../components/BatchPredict';
import { DriftView } from '../drift/DriftView';
import { ModelsView } from '../models/ModelsView';
import { PerformanceView } from '../performance/PerformanceView';
import { SchedulesView } from '../schedules/SchedulesView';
import {
  IDeploymentsModel,
  IDriftModel,
  IModelsModel,
  IPerformanceModel,
  IRunsModel,
  ISchedulesModel,
  ITriggersModel
} from '../tokens';
import { runNamer } from './compare';
import { DeploymentsView } from './DeploymentsView';
import { ExperimentsView } from './ExperimentsView';

export const MONITOR_PANEL_ID = 'ai4mlops-lab-monitor';

export interface IMonitorPanelOptions {
  runs: IRunsModel;
  deployments: IDeploymentsModel;
  /** Polled while the panel shows. */
  drift: IDriftModel;
  /** Polled while the panel shows. */
  models: IModelsModel;
  /** Polled while the panel shows. */
  performance: IPerformanceModel;
  /** Polled while the panel shows. */
  schedules: ISchedulesModel;
  /** Polled while the panel shows; listed with the schedules. */
  triggers: ITriggersModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  /** Opens a notebook at a cell (0-based), e.g. where a step's error happened. */
  showCell: (path: string, cell: number) => void;
  /** The file browser's selection and opening files, for batch predictions. */
  files?: IBatchFiles;
  /** Redraws the charts in the new theme's colours when the theme changes. */
  themes: IThemeManager | null;
}

export class MonitorPanel extends ReactWidget {
  constructor(private readonly options: IMonitorPanelOptions) {
    super();
    this.id = MONITOR_PANEL_ID;
    this.addClass('a4m-Panel');
    this.title.caption = options.trans.__('MLOps monitor');
    options.themes?.themeChanged.connect(() => this.update(), this);
  }

  dispose(): void {
    this._poll(false);
    super.dispose();
  }

  /** Show a section (by its label), e.g. Experiments after a link to a run. */
  reveal(section: string): void {
    this.node.querySelector(`section[aria-label="${section}"]`)?.scrollIntoView({ block: 'start' });
  }

  /** The drift and performance reports, the registry, the schedules and the data triggers are polled only while
   * the panel can be seen. */
  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this._poll(true);
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._poll(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._poll(false);
  }

  protected onBeforeDetach(msg: Message): void {
    this._poll(false);
    super.onBeforeDetach(msg);
  }

  private _poll(on: boolean): void {
    const { drift, performance, models, schedules, triggers } = this.options;
    for (const model of [drift, performance, models, schedules, triggers]) {
      if (on) {
        model.startPolling();
      } else {
        model.stopPolling();
      }
    }
  }

  render(): JSX.Element {
    const { runs, deployments, drift, performance, models, schedules, triggers, rendermime, trans, showCell, files } =
      this.options;
    const experiments = trans.__('Experiments');
    return (
      <div className="a4m-Panel-body">
        <h2 className="a4m-Panel-heading">{trans.__('MLOps monitor')}</h2>
        <section className="a4m-Section" aria-label={experiments}>
          <h3 className="a4m-Section-title">{experiments}</h3>
          <UseSignal signal={runs.changed}>
            {() => (
              <ExperimentsView runs={runs} rendermime={rendermime} trans={trans} showCell={showCell} models={models} />
            )}
          </UseSignal>
        </section>
        <section className="a4m-Section" aria-label={trans.__('Schedules')}>
          <h3 className="a4m-Section-title">{trans.__('Schedules')}</h3>
          <UseSignal signal={schedules.changed}>
            {() => (
              <UseSignal signal={triggers.changed}>
                {() => (
                  <SchedulesView
                    schedules={schedules}
                    triggers={triggers}
                    trans={trans}
                    showRuns={origin => (runs.filterByOrigin(origin), this.reveal(experiments))}
                    showRun={id => (runs.select(id), this.reveal(experiments))}
                    runName={runNamer(runs.runs, trans)}
                    openNotebook={files?.open}
                  />
                )}
              </UseSignal>
            )}
          </UseSignal>
        </section>
        <section className="a4m-Section" aria-label={trans.__('Models')}>
          <h3 className="a4m-Section-title">{trans.__('Models')}</h3>
          <UseSignal signal={models.changed}>
            {() => (
              <ModelsView
                models={models}
                runs={runs}
                rendermime={rendermime}
                trans={trans}
                showCell={showCell}
                files={files}
              />
            )}
          </UseSignal>
        </section>
        <section className="a4m-Section" aria-label={trans.__('Deployments')}>
          <h3 className="a4m-Section-title">{trans.__('Deployments')}</h3>
          <UseSignal signal={deployments.changed}>
            {() => <DeploymentsView model={deployments} runs={runs} files={files} trans={trans} />}
          </UseSignal>
        </section>
        <section className="a4m-Section" aria-label={trans.__('Data drift')}>
          <h3 className="a4m-Section-title">{trans.__('Data drift')}</h3>
          <UseSignal signal={drift.changed}>
            {() => <DriftView model={drift} runs={runs} rendermime={rendermime} trans={trans} />}
          </UseSignal>
        </section>
        <section className="a4m-Section" aria-label={trans.__('Performance')}>
          <h3 className="a4m-Section-title">{trans.__('Performance')}</h3>
          <UseSignal signal={performance.changed}>
            {() => <PerformanceView model={performance} runs={runs} rendermime={rendermime} trans={trans} />}
          </UseSignal>
        </section>
      </div>
    );
  }
}
