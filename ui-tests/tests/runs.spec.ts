/** Run the example notebook locally from the UI and watch every step turn green. */
import { expect, test } from '@jupyterlab/galata';

import { openExample } from './helpers';

test.describe('local runs', () => {
  test.setTimeout(240_000);

  test('runs the example notebook and every step succeeds', async ({ page, tmpPath }) => {
    await openExample(page, tmpPath, 'torch-train.ipynb');

    await page.sidebar.openTab('ai4mlops-lab-pipeline');
    const panel = page.locator('#ai4mlops-lab-pipeline');
    await expect(panel.locator('.a4m-Dag')).toHaveAttribute(
      'aria-label',
      /steps \(load_data, preprocess, train, evaluate\)/
    );
    await expect(panel.getByLabel('Parameter epochs')).toHaveValue(/\d+/);
    await panel.getByRole('button', { name: 'Run', exact: true }).click();

    const status = panel.locator('.a4m-RunStatus');
    await expect(status).toHaveAttribute('data-status', /pending|running/);
    await expect(status).toHaveAttribute('data-status', 'succeeded', { timeout: 200_000 });

    // Every step cell shows its step succeeded (or was served from the local cache by an earlier run).
    const stepCells = page.locator('.jp-Notebook .jp-Cell[data-a4m-run-status]');
    await expect(stepCells).not.toHaveCount(0);
    for (const cell of await stepCells.all()) {
      await expect(cell).toHaveAttribute('data-a4m-run-status', /^(succeeded|cached)$/);
    }

    // The monitor lists the run with its metric, and opens its detail with the steps' log.
    await page.sidebar.openTab('ai4mlops-lab-monitor');
    const monitor = page.locator('#ai4mlops-lab-monitor');
    const row = monitor.locator('.a4m-RunCard').first();
    await expect(row.locator('.a4m-Status')).toHaveText('succeeded');
    await row.locator('.a4m-RunCard-name').click();
    const detail = monitor.locator('.a4m-RunDetail');
    await expect(detail.locator('tbody tr')).toHaveCount(4);
    await detail.locator('tbody tr', { hasText: 'train' }).click();
    await expect(detail.locator('.a4m-Log')).toContainText('Executing task');
  });
});
