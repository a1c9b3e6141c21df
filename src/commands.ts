/** Command identifiers: one place, so toolbar buttons, shortcuts, menus and tests agree. */
export namespace CommandIDs {
  export const editCellStep = 'ai4mlops-lab:edit-cell-step';
  export const deploy = 'ai4mlops-lab:deploy';
  export const deployWithOptions = 'ai4mlops-lab:deploy-with-options';
  export const openPipeline = 'ai4mlops-lab:open-pipeline-panel';
  export const openMonitor = 'ai4mlops-lab:open-monitor-panel';
  export const showHealth = 'ai4mlops-lab:show-health';
}
