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

    // The DAG shows each step's state by fill and badge (not its step colour), with a legend.
    const legend = panel.locator('.a4m-DagLegend');
    await expect(legend).toContainText(/4 steps (succeeded|reused from an earlier run)|steps? succeeded/);
    const svg = await panel
      .locator('.a4m-Dag figure img')
      .evaluate(img => decodeURIComponent((img as HTMLImageElement).src.split(',')[1]));
    for (const step of ['load_data', 'preprocess', 'train', 'evaluate']) {
      expect(svg).toMatch(new RegExp(`[✓↺] ${step}`));
    }
    expect(svg).toContain('#2e7d32');
    await panel.screenshot({ path: 'screenshots/pipeline-run-light.png' });
    await page.theme.setDarkTheme();
    await expect(panel.locator('.a4m-Dag figure img')).toBeVisible();
    await page.waitForTimeout(500); // the DAG is redrawn in the dark theme's colours
    await panel.screenshot({ path: 'screenshots/pipeline-run-dark.png' });
    await page.theme.setLightTheme();

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
    await detail.getByRole('button', { name: 'Show full log' }).click();
    await expect(detail.locator('.a4m-StepLog-full')).toContainText('Executing task');
  });
});
