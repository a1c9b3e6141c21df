/**
 * The ai4mlops-lab JupyterLab plugins: the runs, deployments, drift and registry models (tokens other
 * extensions can require), and the pipeline and monitoring sidebars, cell tagging and commands.
 */
import { ILabShell, ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, IThemeManager, showDialog } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTools, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';

import { fetchHealth } from './api';
import { CommandIDs } from './commands';
import { errorMessage } from './errors';
import { MonitorPanel } from './monitor/MonitorPanel';
import { deployIcon, monitorIcon, pipelineIcon, stepIcon } from './icons';
import { PipelineAnalysis } from './pipeline/analysis';
import { PipelinePanel } from './pipeline/PipelinePanel';
import { IRunSettings } from './pipeline/RunSection';
import { RunsModel } from './runs/model';
import { deployNotebook, deployWithOptions } from './deploy/deploy';
import { DeploymentsModel } from './deploy/model';
import { DriftModel } from './drift/model';
import { PerformanceModel } from './performance/model';
import { ModelsModel } from './models/model';
import { SchedulesModel } from './schedules/model';
import { TriggersModel } from './triggers/model';
import { CellDecorator } from './tags/decorations';
import { editStepInDialog, StepInspectorTool } from './tags/editors';
import {
  IDeploymentsModel,
  IDriftModel,
  IModelsModel,
  IPerformanceModel,
  IRunsModel,
  ISchedulesModel,
  ITriggersModel
} from './tokens';

export * from './tokens';

const PLUGIN_ID = 'ai4mlops-lab:plugin';

async function showHealth(trans: TranslationBundle): Promise<void> {
  let body: string;
  try {
    const health = await fetchHealth();
    const lines = Object.entries(health.versions).map(
      ([name, version]) => `${name}: ${version ?? trans.__('not installed')}`
    );
    body = [`ai4mlops-lab ${health.ai4mlops_lab}`, ...lines].join('\n');
  } catch (error) {
    body = errorMessage(error);
  }
  await showDialog({ title: trans.__('ai4mlops-lab server'), body, buttons: [Dialog.okButton()] });
}

const runsPlugin: JupyterFrontEndPlugin<IRunsModel> = {
  id: 'ai4mlops-lab:runs',
  description: 'The runs the ai4mlops-lab server knows, polled while the page shows.',
  autoStart: true,
  provides: IRunsModel,
  activate: () => {
    const runs = new RunsModel();
    runs.startPolling();
    return runs;
  }
};

const deploymentsPlugin: JupyterFrontEndPlugin<IDeploymentsModel> = {
  id: 'ai4mlops-lab:deployments',
  description: 'The model deployments the ai4mlops-lab server knows, polled while the page shows.',
  autoStart: true,
  provides: IDeploymentsModel,
  activate: () => {
    const deployments = new DeploymentsModel();
    deployments.startPolling();
    return deployments;
  }
};

const driftPlugin: JupyterFrontEndPlugin<IDriftModel> = {
  id: 'ai4mlops-lab:drift',
  description: 'The drift report of the deployment the MLOps monitor watches, polled while it shows.',
  autoStart: true,
  requires: [IDeploymentsModel, IRunsModel],
  provides: IDriftModel,
  activate: (_: JupyterFrontEnd, deployments: IDeploymentsModel, runs: IRunsModel) => new DriftModel(deployments, runs)
};

const performancePlugin: JupyterFrontEndPlugin<IPerformanceModel> = {
  id: 'ai4mlops-lab:performance',
  description: 'The performance report of the deployment the MLOps monitor watches, polled while it shows.',
  autoStart: true,
  requires: [IDriftModel, IRunsModel],
  provides: IPerformanceModel,
  activate: (_: JupyterFrontEnd, drift: IDriftModel, runs: IRunsModel) => new PerformanceModel(drift, runs)
};

const modelsPlugin: JupyterFrontEndPlugin<IModelsModel> = {
  id: 'ai4mlops-lab:models',
  description: 'The registered models, their rollouts and promotion gate, polled while the MLOps monitor shows.',
  autoStart: true,
  requires: [IDeploymentsModel],
  provides: IModelsModel,
  activate: (_: JupyterFrontEnd, deployments: IDeploymentsModel) => new ModelsModel(deployments)
};

const schedulesPlugin: JupyterFrontEndPlugin<ISchedulesModel> = {
  id: 'ai4mlops-lab:schedules',
  description: 'The schedules the ai4mlops-lab server knows, polled while the MLOps monitor shows.',
  autoStart: true,
  provides: ISchedulesModel,
  activate: () => new SchedulesModel()
};

const triggersPlugin: JupyterFrontEndPlugin<ITriggersModel> = {
  id: 'ai4mlops-lab:triggers',
  description: 'The data triggers the ai4mlops-lab server knows, polled while the MLOps monitor shows.',
  autoStart: true,
  provides: ITriggersModel,
  activate: () => new TriggersModel()
};

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Notebook to Kubeflow pipeline, local runs, KServe deploy and drift monitoring.',
  autoStart: true,
  requires: [
    ILabShell,
    INotebookTracker,
    IRenderMimeRegistry,
    IRunsModel,
    IDeploymentsModel,
    IDriftModel,
    IPerformanceModel,
    IModelsModel,
    ISchedulesModel,
    ITriggersModel
  ],
  optional: [
    ISettingRegistry,
    ILayoutRestorer,
    ICommandPalette,
    ITranslator,
    INotebookTools,
    IThemeManager,
    IDefaultFileBrowser
  ],
  activate: (
    app: JupyterFrontEnd,
    shell: ILabShell,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    runs: IRunsModel,
    deployments: IDeploymentsModel,
    drift: IDriftModel,
    performance: IPerformanceModel,
    models: IModelsModel,
    schedules: ISchedulesModel,
    triggers: ITriggersModel,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    notebookTools: INotebookTools | null,
    themes: IThemeManager | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const trans = (translator ?? nullTranslator).load('ai4mlops_lab');
    const analysis = new PipelineAnalysis(tracker);
    let deployTarget: 'local' | 'kserve' = 'local';
    let runSettings: IRunSettings = { defaultTarget: 'local', kfpHost: '', kfpNamespace: '' };

    const openFile = (path: string) => void app.commands.execute('docmanager:open', { path });
    const pipelinePanel = new PipelinePanel({
      analysis,
      runs,
      schedules,
      triggers,
      showAutomation: (kind, name) => {
        schedules.select(kind === 'schedule' ? name : null);
        triggers.select(kind === 'trigger' ? name : null);
        shell.activateById(monitorPanel.id);
        monitorPanel.reveal(trans.__('Schedules'));
      },
      currentFolder: () => fileBrowser?.model.path || '.',
      settings: () => runSettings,
      rendermime,
      trans,
      openFile,
      themes
    });
    pipelinePanel.title.icon = pipelineIcon;
    shell.add(pipelinePanel, 'left', { rank: 600 });

    /** Open a notebook and select one of its cells (0-based), scrolled into view. */
    const showCell = async (path: string, index: number) => {
      const panel = (await app.commands.execute('docmanager:open', { path })) as NotebookPanel;
      await panel.context.ready;
      await panel.revealed;
      panel.content.activeCellIndex = index;
      panel.content.mode = 'command';
      await panel.content.scrollToItem(index, 'center');
      shell.activateById(panel.id);
    };
    const monitorPanel = new MonitorPanel({
      runs,
      deployments,
      drift,
      performance,
      models,
      schedules,
      triggers,
      rendermime,
      trans,
      themes,
      showCell: (path, index) => void showCell(path, index),
      files: {
        selected: () => fileBrowser?.selectedItems().next().value?.path ?? null,
        open: openFile
      }
    });
    monitorPanel.title.icon = monitorIcon;
    shell.add(monitorPanel, 'right', { rank: 600 });
    restorer?.add(pipelinePanel, pipelinePanel.id);
    restorer?.add(monitorPanel, monitorPanel.id);

    tracker.widgetAdded.connect((_, panel) => new CellDecorator(panel, analysis, runs, trans));
    if (notebookTools) {
      notebookTools.addSection({ sectionName: 'ai4mlops-lab', label: trans.__('Pipeline step'), rank: 1 });
      notebookTools.addItem({ section: 'ai4mlops-lab', tool: new StepInspectorTool(trans) });
    }

    app.commands.addCommand(CommandIDs.editCellStep, {
      label: trans.__('Edit Pipeline Step of Cell'),
      caption: trans.__('Tag this cell as a pipeline step, imports, parameters, metrics or skip'),
      icon: stepIcon,
      isEnabled: () => tracker.activeCell?.model.type === 'code',
      execute: () => {
        const panel = tracker.currentWidget;
        const cell = tracker.activeCell;
        if (panel && cell) {
          return editStepInDialog(panel.content, cell, trans);
        }
      }
    });
    const deployActions = [
      {
        id: CommandIDs.deploy,
        label: trans.__('Deploy'),
        caption: trans.__("Deploy the model of this notebook's best successful run (by its first metric)"),
        action: deployNotebook
      },
      {
        id: CommandIDs.deployWithOptions,
        label: trans.__('Deploy a Model…'),
        caption: trans.__('Choose the run, target, name and reference data of a deployment'),
        action: deployWithOptions
      }
    ];
    for (const { id, label, caption, action } of deployActions) {
      app.commands.addCommand(id, {
        label,
        caption,
        icon: deployIcon,
        isEnabled: () => tracker.currentWidget !== null,
        execute: async () => {
          const panel = tracker.currentWidget;
          if (panel && (await action(panel, { deployments, target: deployTarget, trans }))) {
            shell.activateById(monitorPanel.id);
          }
        }
      });
    }
    app.commands.addCommand(CommandIDs.openPipeline, {
      label: trans.__('Open the Pipeline Panel'),
      icon: pipelineIcon,
      execute: () => shell.activateById(pipelinePanel.id)
    });
    app.commands.addCommand(CommandIDs.openMonitor, {
      label: trans.__('Open the MLOps Monitor'),
      icon: monitorIcon,
      execute: () => shell.activateById(monitorPanel.id)
    });
    app.commands.addCommand(CommandIDs.showHealth, {
      label: trans.__('Show ai4mlops-lab Server Status'),
      execute: () => showHealth(trans)
    });
    for (const command of Object.values(CommandIDs)) {
      palette?.addItem({ command, category: 'ai4mlops-lab' });
    }

    settingRegistry
      ?.load(PLUGIN_ID)
      .then(settings => {
        const read = () => {
          runSettings = {
            defaultTarget: settings.get('defaultRunTarget').composite as 'local' | 'kfp',
            kfpHost: settings.get('kfpHost').composite as string,
            kfpNamespace: settings.get('kfpNamespace').composite as string
          };
          deployTarget = settings.get('defaultDeployTarget').composite as 'local' | 'kserve';
        };
        read();
        settings.changed.connect(read);
      })
      .catch(reason => {
        console.error('ai4mlops-lab: failed to load settings.', reason);
      });
    console.log('ai4mlops-lab is activated');
  }
};

export default [
  runsPlugin,
  deploymentsPlugin,
  driftPlugin,
  performancePlugin,
  modelsPlugin,
  schedulesPlugin,
  triggersPlugin,
  plugin
];
