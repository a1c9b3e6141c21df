/** The left sidebar panel: the current notebook's pipeline, live DAG, diagnostics and Compile. */
import React, { useState } from 'react';
import { IThemeManager } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';

import { compileNotebook, IPipelineInfo, IRun } from '../api';
import { errorMessage } from '../errors';
import { AutomationKind } from '../schedules/parts';
import { IRunsModel, ISchedulesModel, ITriggersModel } from '../tokens';
import { HealthCard } from '../components/HealthCard';
import { MimeView } from '../components/MimeView';
import { computedColour } from '../components/theme';
import { dagSource, dagTheme, StepStatus } from './dag';
import { DagLegend } from './DagLegend';
import { DiagnosticList } from './DiagnosticList';
import { IAnalysisState, PipelineAnalysis } from './analysis';
import { IRunSettings, RunSection } from './RunSection';
import { ScheduleSection } from './ScheduleSection';
import { StepImageNote } from './StepImageNote';

export const PIPELINE_PANEL_ID = 'ai4mlops-lab-pipeline';

interface IPanelServices {
  analysis: PipelineAnalysis;
  runs: IRunsModel;
  schedules: ISchedulesModel;
  triggers: ITriggersModel;
  /** Show a schedule or a data trigger in the monitor. */
  showAutomation: (kind: AutomationKind, name: string) => void;
  /** The file browser's folder ('.': the root). */
  currentFolder: () => string;
  settings: () => IRunSettings;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  openFile: (path: string) => void;
  /** Redraws the DAG in the new theme's colours when the theme changes. */
  themes: IThemeManager | null;
}

function CompileSection({ state, services }: { state: IAnalysisState; services: IPanelServices }) {
  const { trans } = services;
  const [outcome, setOutcome] = useState<{ result?: IPipelineInfo; error?: string }>({});
  const [busy, setBusy] = useState(false);
  const panel = state.panel;
  const blocked = !state.result?.ok;

  const compile = async () => {
    if (!panel) {
      return;
    }
    setBusy(true);
    setOutcome({});
    try {
      await panel.context.save();
      setOutcome({ result: await compileNotebook(panel.context.path) });
    } catch (error) {
      setOutcome({ error: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="a4m-Section" aria-label={trans.__('Compile')}>
      {state.result && <StepImageNote pipeline={state.result} trans={trans} />}
      <button
        className="jp-mod-styled jp-mod-accept a4m-CompileButton"
        disabled={busy || blocked}
        title={busy ? trans.__('Compiling…') : blocked ? trans.__('Fix the errors above first.') : ''}
        onClick={() => void compile()}
      >
        {busy ? trans.__('Compiling…') : trans.__('Compile')}
      </button>
      {outcome.error && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {outcome.error}
        </p>
      )}
      {outcome.result && (
        <div className="a4m-CompileResult" role="status">
          <p>{trans.__('Pipeline “%1” compiled:', outcome.result.pipeline)}</p>
          <ul>
            {outcome.result.files.map(path => (
              <li key={path}>
                <a href="#" onClick={event => (event.preventDefault(), services.openFile(path))}>
                  {path}
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

/** Step statuses of a run, when the run is of this pipeline. */
function runStatuses(run: IRun | null, pipeline: IPipelineInfo): Record<string, StepStatus> {
  if (!run || run.pipeline !== pipeline.pipeline) {
    return {};
  }
  return Object.fromEntries(run.steps.map(step => [step.name, step.status]));
}

function PipelineView({ state, services }: { state: IAnalysisState; services: IPanelServices }) {
  const { trans, rendermime } = services;
  if (!state.panel) {
    return <p className="a4m-Panel-empty">{trans.__('Open a notebook to see its pipeline.')}</p>;
  }
  if (state.error) {
    return (
      <p className="a4m-Message a4m-mod-error" role="alert">
        {state.error}
      </p>
    );
  }
  const result = state.result;
  if (!result) {
    return <p className="a4m-Panel-empty">{trans.__('Analysing the notebook…')}</p>;
  }
  const dataEdges = result.edges.filter(e => e.kind === 'data').length;
  const run = services.runs.latestFor(state.panel.context.path);
  const statuses = runStatuses(run, result);
  return (
    <>
      <div className="a4m-PipelineName">
        {result.pipeline}
        {state.busy && <span className="a4m-Busy">{trans.__('updating…')}</span>}
      </div>
      {result.steps.length === 0 ? (
        <p className="a4m-Panel-empty">
          {trans.__(
            'No steps yet. Tag code cells with step:NAME (cell toolbar, property inspector, or Alt+S), plus imports, functions, pipeline-parameters and pipeline-metrics.'
          )}
        </p>
      ) : (
        <MimeView
          rendermime={rendermime}
          mimeTypes={['text/vnd.mermaid']}
          data={dagSource(result.steps, result.edges, statuses, dagTheme(computedColour))}
          className="a4m-Dag"
          fallback={result.steps.map(step => step.name).join(' → ')}
          label={trans.__(
            '%1 steps (%2), %3 data edges',
            result.steps.length,
            result.steps.map(step => step.name).join(', '),
            dataEdges
          )}
        />
      )}
      <DagLegend statuses={statuses} trans={trans} />
      {result.parameters.length > 0 && (
        <section className="a4m-Section" aria-label={trans.__('Parameters')}>
          <h3 className="a4m-Section-title">{trans.__('Parameters')}</h3>
          <dl className="a4m-Parameters">
            {result.parameters.map(p => (
              <React.Fragment key={p.name}>
                <dt>{p.name}</dt>
                <dd>
                  {JSON.stringify(p.default)} <span className="a4m-Type">{p.type}</span>
                </dd>
              </React.Fragment>
            ))}
          </dl>
        </section>
      )}
      <DiagnosticList diagnostics={result.diagnostics} trans={trans} />
      <RunSection
        panel={state.panel}
        pipeline={result}
        run={run}
        runs={services.runs}
        settings={services.settings()}
        trans={trans}
      />
      <ScheduleSection
        panel={state.panel}
        pipeline={result}
        run={run}
        schedules={services.schedules}
        triggers={services.triggers}
        showAutomation={services.showAutomation}
        currentFolder={services.currentFolder}
        trans={trans}
      />
      <CompileSection state={state} services={services} />
    </>
  );
}

export class PipelinePanel extends ReactWidget {
  constructor(private readonly services: IPanelServices) {
    super();
    this.id = PIPELINE_PANEL_ID;
    this.addClass('a4m-Panel');
    this.title.caption = services.trans.__('Pipeline');
    services.themes?.themeChanged.connect(() => this.update(), this);
  }

  render(): JSX.Element {
    const { analysis, trans } = this.services;
    return (
      <div className="a4m-Panel-body">
        <h2 className="a4m-Panel-heading">{trans.__('Pipeline')}</h2>
        <UseSignal signal={analysis.changed} initialArgs={analysis.state}>
          {(_, state) => (
            <UseSignal signal={this.services.runs.changed}>
              {() => <PipelineView state={state ?? analysis.state} services={this.services} />}
            </UseSignal>
          )}
        </UseSignal>
        <HealthCard trans={trans} />
      </div>
    );
  }
}
