/** Deploy from the notebook toolbar and get a prediction from the test box. */
import * as fs from 'fs';
import * as path from 'path';

import { expect, test } from '@jupyterlab/galata';

const EXAMPLE = path.resolve(__dirname, '../../examples/torch-train.ipynb');

test.describe('one-click deploy', () => {
  test.setTimeout(300_000);

  test('deploys the latest run from the toolbar and predicts from the test box', async ({ page, tmpPath }) => {
    await page.contents.uploadContent(fs.readFileSync(EXAMPLE, 'utf-8'), 'text', `${tmpPath}/deploy-me.ipynb`);
    await page.filebrowser.open(`${tmpPath}/deploy-me.ipynb`);
    await page.waitForSelector('.jp-NotebookPanel .a4m-StepChip');

    // Train: run the notebook locally.
    await page.sidebar.openTab('ai4mlops-lab-pipeline');
    const panel = page.locator('#ai4mlops-lab-pipeline');
    await panel.getByLabel('Parameter epochs').fill('5');
    await panel.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(panel.locator('.a4m-RunStatus')).toHaveAttribute('data-status', 'succeeded', { timeout: 200_000 });

    // One click in the notebook toolbar.
    await page.locator('.jp-NotebookPanel-toolbar [data-command="ai4mlops-lab:deploy"]').click();
    const monitor = page.locator('#ai4mlops-lab-monitor');
    const card = monitor.locator('.a4m-Deployment').first();
    await expect(card.locator('.a4m-Status')).toHaveText('running', { timeout: 120_000 });
    await expect(card.locator('.a4m-Url').first()).toContainText('http://127.0.0.1:');

    // The test box is prefilled with the model's example input.
    const request = card.getByLabel(/Prediction request for/);
    await expect(request).toHaveValue(/instances/);
    await card.getByRole('button', { name: 'Predict' }).click();
    await expect(card.getByLabel('Prediction answer')).toContainText('predictions');
    await expect(card).toContainText('req/s', { timeout: 15_000 });

    // The run link opens the run that trained the model, with its artifacts.
    await card.locator('.a4m-RunLink').click();
    await expect(monitor.locator('.a4m-RunDetail .a4m-Artifacts')).toContainText('model');

    await card.getByRole('button', { name: 'Remove' }).click();
    await expect(monitor.locator('.a4m-Deployment')).toHaveCount(0, { timeout: 30_000 });

    // The options dialog: a name and the reference data for drift monitoring.
    await page.notebook.activate('deploy-me.ipynb');
    await page.evaluate(async () => {
      void window.jupyterapp.commands.execute('ai4mlops-lab:deploy-with-options');
    });
    const dialog = page.locator('.jp-Dialog');
    await dialog.getByLabel('Deployment name').fill('picked');
    await dialog.getByLabel('Reference data').selectOption('preprocess/x_train');
    await dialog.getByRole('button', { name: 'Deploy' }).click();
    const picked = monitor.locator('.a4m-Deployment[data-deployment="picked"]');
    await expect(picked.locator('.a4m-Status')).toHaveText('running', { timeout: 120_000 });
    await picked.getByRole('button', { name: 'Remove' }).click();
    await expect(monitor.locator('.a4m-Deployment')).toHaveCount(0, { timeout: 30_000 });
  });
});
