/** The ai4mlops-lab JupyterLab plugin: sidebar panels, commands and settings. */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, showDialog, Dialog } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ApiError, fetchHealth } from './api';
import { CommandIDs } from './commands';
import { MonitorPanel } from './components/MonitorPanel';
import { PipelinePanel } from './components/PipelinePanel';
import { monitorIcon, pipelineIcon } from './icons';

const PLUGIN_ID = 'ai4mlops-lab:plugin';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Notebook to Kubeflow pipeline, local runs, KServe deploy and drift monitoring.',
  autoStart: true,
  requires: [ILabShell],
  optional: [ISettingRegistry, ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    shell: ILabShell,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('ai4mlops_lab');

    const pipelinePanel = new PipelinePanel(trans);
    pipelinePanel.title.icon = pipelineIcon;
    shell.add(pipelinePanel, 'left', { rank: 600 });

    const monitorPanel = new MonitorPanel(trans);
    monitorPanel.title.icon = monitorIcon;
    shell.add(monitorPanel, 'right', { rank: 600 });

    if (restorer) {
      restorer.add(pipelinePanel, pipelinePanel.id);
      restorer.add(monitorPanel, monitorPanel.id);
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
      execute: async () => {
        let body: string;
        try {
          const health = await fetchHealth();
          const lines = Object.entries(health.versions).map(
            ([name, version]) => `${name}: ${version ?? trans.__('not installed')}`
          );
          body = [`ai4mlops-lab ${health.ai4mlops_lab}`, ...lines].join('\n');
        } catch (error) {
          body = error instanceof ApiError ? error.userMessage : String(error);
        }
        await showDialog({
          title: trans.__('ai4mlops-lab server'),
          body,
          buttons: [Dialog.okButton()]
        });
      }
    });
    if (palette) {
      const category = 'ai4mlops-lab';
      for (const command of Object.values(CommandIDs)) {
        palette.addItem({ command, category });
      }
    }

    if (settingRegistry) {
      settingRegistry.load(PLUGIN_ID).catch(reason => {
        console.error('ai4mlops-lab: failed to load settings.', reason);
      });
    }
    console.log('ai4mlops-lab is activated');
  }
};

export default plugin;
