/** Tag three cells through the UI, watch the DAG appear, and compile. */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { expectAccessible, openNotebook } from './helpers';

const NOTEBOOK = 'tagging.ipynb';

const CELLS = ['import numpy as np', 'x = np.arange(10.0)', 'y = x * 2', 'z = x + 1'];

/** Open the active cell's step dialog from the cell toolbar and name its step. */
async function tagCell(page: IJupyterLabPageFixture, index: number, name: string, role = 'step') {
  await page.notebook.selectCells(index);
  await page
    .locator('.jp-Notebook .jp-mod-active .jp-cell-toolbar [data-command="ai4mlops-lab:edit-cell-step"]')
    .click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.getByLabel('Cell role').selectOption(role);
  if (role === 'step') {
    await dialog.getByLabel('Step name').fill(name);
  }
  await dialog.getByRole('button', { name: 'Apply' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.locator('.jp-Notebook .jp-Cell').nth(index).locator('.a4m-StepChip')).toHaveText(name || role);
}

test.describe('tagging and compiling', () => {
  test.beforeEach(async ({ page, tmpPath }) => {
    await openNotebook(
      page,
      `${tmpPath}/${NOTEBOOK}`,
      CELLS.map(source => [source, []])
    );
  });

  test('tags cells, shows markers and the live DAG, then compiles', async ({ page, tmpPath }) => {
    await tagCell(page, 0, '', 'imports');
    await tagCell(page, 1, 'load');
    await tagCell(page, 2, 'double');
    await tagCell(page, 3, 'shift');

    // Markers and chips on the cells themselves.
    const chips = page.locator('.jp-Notebook .a4m-StepChip');
    await expect(chips).toHaveText(['imports', 'load', 'double', 'shift']);

    // The live DAG: three steps, two independent branches fed by load's x.
    await page.sidebar.openTab('ai4mlops-lab-pipeline');
    const panel = page.locator('#ai4mlops-lab-pipeline');
    const dag = panel.locator('.a4m-Dag');
    await expect(dag).toHaveAttribute('aria-label', '3 steps (load, double, shift), 2 data edges');
    await expect(dag.locator('figure img')).toBeVisible();

    // Compile: the panel reports where the files went.
    await panel.getByRole('button', { name: 'Compile' }).click();
    const result = panel.locator('.a4m-CompileResult');
    await expect(result).toContainText(`${tmpPath}/tagging.pipeline.yaml`, { timeout: 30000 });
    await expect(result).toContainText(`${tmpPath}/tagging.py`);
    expect(await page.contents.fileExists(`${tmpPath}/tagging.pipeline.yaml`)).toBe(true);
  });

  test('tags a cell from the property inspector', async ({ page }) => {
    await page.notebook.selectCells(1);
    await page.sidebar.openTab('jp-property-inspector');
    await page.locator('#jp-property-inspector').getByText('Pipeline step', { exact: true }).first().click();
    const inspector = page.locator('.a4m-StepInspector');
    await inspector.getByLabel('Cell role').selectOption('step');
    await inspector.getByLabel('Step name').fill('load');
    await inspector.getByLabel('New setting').fill('limit:memory:1Gi');
    await inspector.getByLabel('New setting').press('Enter');
    await expect(inspector.locator('.a4m-Settings code')).toHaveText(['limit:memory:1Gi']);
    await expect(page.locator('.jp-Notebook .a4m-StepChip')).toHaveText(['load']);
    const tags = await page.evaluate(() => {
      const cell = window.jupyterapp.shell.currentWidget as any;
      return cell.content.widgets[1].model.getMetadata('tags');
    });
    expect(tags).toEqual(['step:load', 'limit:memory:1Gi']);
  });

  test('shows a diagnostic on the cell that reads an undefined name', async ({ page }) => {
    await page.notebook.setCell(3, 'code', 'total = float(w.sum())');
    await page.keyboard.press('Escape');
    await tagCell(page, 1, 'load');
    await tagCell(page, 3, 'report');
    const diagnostic = page.locator('.jp-Notebook .jp-Cell').nth(3).locator('.a4m-CellDiagnostics .a4m-mod-error');
    await expect(diagnostic).toContainText('w', { timeout: 15000 });
    await page.sidebar.openTab('ai4mlops-lab-pipeline');
    await expect(page.locator('#ai4mlops-lab-pipeline').getByRole('button', { name: 'Compile' })).toBeDisabled();
  });
});

test('the Pipeline panel shows the step image recorded by `ai4mlops image`', async ({ page, tmpPath }) => {
  const image = 'registry.example.org/team/steps:0123456789ab';
  const cells: [string, string[]][] = [
    ['import numpy as np', ['imports']],
    ['x = np.arange(10.0)', ['step:load']],
    ['y = x * 2', ['step:double', 'image:python:3.12-slim']],
    ['z = x + 1', ['step:shift']]
  ];
  await openNotebook(page, `${tmpPath}/${NOTEBOOK}`, cells, {
    ai4mlops_lab: { step_image: { image, packages: ['kfp==2.17.3', 'numpy==2.4.6'] } }
  });
  await page.sidebar.openTab('ai4mlops-lab-pipeline');
  const note = page.locator('#ai4mlops-lab-pipeline .a4m-StepImage');
  await expect(note).toHaveText(`Step image ${image} (2 packages): 2 steps run in it, 1 step uses its own image`, {
    timeout: 15000
  });
  await expectAccessible(page, '#ai4mlops-lab-pipeline .a4m-StepImage');
  await page.theme.setDarkTheme();
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'false');
  const section = page.locator('#ai4mlops-lab-pipeline section[aria-label="Compile"]');
  await section.scrollIntoViewIfNeeded();
  await section.screenshot({ path: 'screenshots/pipeline-step-image-dark.png' });
  await page.theme.setLightTheme();
});
