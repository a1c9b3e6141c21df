/** Deploy from the notebook toolbar and get a prediction from the test box. */
import { expect, test } from '@jupyterlab/galata';

import { deployFromToolbar, openExample, removeDeployment, removeDeploymentsLeft, trainExample } from './helpers';

test.describe('one-click deploy', () => {
  test.afterEach(async ({ page }) => removeDeploymentsLeft(page));
  test.setTimeout(300_000);

  test('deploys the latest run from the toolbar and predicts from the test box', async ({ page, tmpPath }) => {
    await openExample(page, tmpPath, 'deploy-me.ipynb');
    await trainExample(page);

    // One click in the notebook toolbar.
    const card = await deployFromToolbar(page);
    const monitor = page.locator('#ai4mlops-lab-monitor');
    await expect(card.locator('.a4m-Url').first()).toContainText('http://127.0.0.1:');

    // The test box is prefilled with the model's example input.
    const request = card.getByLabel(/Prediction request for/);
    await expect(request).toHaveValue(/instances/);
    await card.getByRole('button', { name: 'Predict', exact: true }).click();
    await expect(card.getByLabel('Prediction answer')).toContainText('predictions');
    await expect(card).toContainText('req/s', { timeout: 15_000 });

    // The run link opens the run that trained the model, with its artifacts.
    await card.locator('.a4m-RunLink').click();
    await expect(monitor.locator('.a4m-RunDetail .a4m-Artifacts')).toContainText('model');

    await removeDeployment(page, card);

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
    await removeDeployment(page, picked);
  });
});
