/** A failed step's log reads like the notebook: the user's output first, the error located in a cell, the full
 * log one click away. */
import { expect, test } from '@jupyterlab/galata';

import { openNotebook } from './helpers';

/** The functions cell (cell 2) divides by zero at its line 3; the step cell (cell 3) prints, then calls it. */
const CELLS: [string, string[]][] = [
  ['import math', ['imports']],
  ['def ratio(v):\n    """Divide by zero, on purpose."""\n    return math.sqrt(v) / 0', ['functions']],
  ["print('training on', 4)\n\ny = ratio(4)", ['step:train']]
];

test.describe('step logs', () => {
  test.setTimeout(180_000);

  test("a failed step shows the user's output, then its error in the notebook's cells", async ({ page, tmpPath }) => {
    await openNotebook(page, `${tmpPath}/fails.ipynb`, CELLS);
    await page.sidebar.openTab('ai4mlops-lab-pipeline');
    const panel = page.locator('#ai4mlops-lab-pipeline');
    await panel.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(panel.locator('.a4m-RunStatus')).toHaveAttribute('data-status', 'failed', { timeout: 120_000 });

    // The failed step's cell says where it failed, without a traceback.
    const marker = page.locator('.jp-Notebook .a4m-CellRunError');
    await expect(marker).toContainText('ZeroDivisionError: float division by zero');
    await expect(marker).toContainText('cell 2, line 3, in ratio: return math.sqrt(v) / 0');
    await expect(marker).not.toContainText('runpy');

    await page.sidebar.openTab('ai4mlops-lab-monitor');
    const monitor = page.locator('#ai4mlops-lab-monitor');
    await monitor.locator('.a4m-RunCard').first().locator('.a4m-RunCard-name').click();
    const log = monitor.getByRole('region', { name: 'Log of step train' });
    const output = log.getByLabel('Output of step train');
    await expect(output).toHaveText('training on 4');
    const error = log.getByRole('alert', { name: 'Error' });
    await expect(error).toContainText('ZeroDivisionError: float division by zero');
    const frames = error.getByRole('listitem');
    await expect(frames).toHaveCount(2);
    await expect(frames.nth(0)).toContainText('cell 3, line 3');
    await expect(frames.nth(0)).toContainText('y = ratio(4)');
    await expect(frames.nth(1)).toContainText('cell 2, line 3, in ratio');
    await expect(frames.nth(1)).toContainText('return math.sqrt(v) / 0');
    // The output comes before the error.
    const [outputBox, errorBox] = [await output.boundingBox(), await error.boundingBox()];
    expect(outputBox!.y).toBeLessThan(errorBox!.y);
    await expect(log).not.toContainText('runpy');
    await expect(log).not.toContainText('KFP Executor');

    await page.screenshot({ path: 'screenshots/step-log-light.png' });
    await page.theme.setDarkTheme();
    await page.screenshot({ path: 'screenshots/step-log-dark.png' });
    await page.theme.setLightTheme();

    await log.getByRole('button', { name: 'Show full log' }).click();
    const full = log.getByLabel('Full log of step train');
    await expect(full).toContainText('runpy');
    await expect(full).toContainText("Executing task 'train'");
    await expect(full).not.toContainText('\u001b[');
    await log.getByRole('button', { name: 'Hide full log' }).click();
    await expect(full).toHaveCount(0);

    // A frame of the error opens its cell in the notebook.
    await page.notebook.selectCells(0);
    await frames.nth(1).getByRole('button', { name: 'cell 2, line 3, in ratio' }).click();
    await expect
      .poll(() => page.evaluate(() => (window.jupyterapp.shell.currentWidget as any).content.activeCellIndex))
      .toBe(1);
  });
});
