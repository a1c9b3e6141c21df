/** A new user's first hour (issue 13): the example opens clean, disabled buttons say why, an invalid step name
 * stays out of the tag. */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { openExample, openNotebook } from './helpers';

/** Whether the current notebook has unsaved changes, once its kernel has started and said what it is. */
async function dirtyAfterKernelStart(page: IJupyterLabPageFixture): Promise<boolean> {
  await page.waitForFunction(() => {
    const panel = window.jupyterapp.shell.currentWidget as any;
    return panel?.sessionContext?.session?.kernel?.status === 'idle';
  });
  // The kernel's info and spec are written into the notebook's metadata just after it starts.
  await page.waitForTimeout(1500);
  return page.evaluate(() => (window.jupyterapp.shell.currentWidget as any).context.model.dirty);
}

test.describe('first hour', () => {
  test('the example notebook opens without unsaved changes', async ({ page, tmpPath }) => {
    await openExample(page, tmpPath, 'torch-train.ipynb');
    expect(await dirtyAfterKernelStart(page)).toBe(false);
    const tab = page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: 'torch-train.ipynb' });
    await expect(tab).toBeVisible();
    await expect(tab).not.toHaveClass(/jp-mod-dirty/);
  });

  test('disabled Run and Compile look disabled and say why', async ({ page, tmpPath }) => {
    await openNotebook(page, `${tmpPath}/broken.ipynb`, [['x = 1', ['step:Bad Name']]]);
    await page.sidebar.openTab('ai4mlops-lab-pipeline');
    const panel = page.locator('#ai4mlops-lab-pipeline');
    for (const name of ['Run', 'Compile']) {
      const button = panel.getByRole('button', { name, exact: true });
      await expect(button).toBeDisabled();
      await expect(button).toHaveAttribute('title', 'Fix the errors above first.');
      await expect(button).toHaveCSS('opacity', '0.6');
      await expect(button).toHaveCSS('cursor', 'not-allowed');
    }
  });

  test('an invalid step name is not written into the tag; its error shows in full', async ({ page, tmpPath }) => {
    await openExample(page, tmpPath, 'names.ipynb');
    await page.notebook.selectCells(4); // step:load_data
    await page.sidebar.openTab('jp-property-inspector');
    await page.locator('#jp-property-inspector').getByText('Pipeline step', { exact: true }).first().click();
    const inspector = page.locator('.a4m-StepInspector');
    await inspector.getByLabel('Step name').fill('final report!');
    const error = inspector.locator('.a4m-FieldError');
    await expect(error).toContainText('Use lowercase letters');
    await expect(error).toContainText('the tag keeps step:load_data');
    const tags = await page.evaluate(() => {
      const panel = window.jupyterapp.shell.currentWidget as any;
      return panel.content.widgets[4].model.getMetadata('tags');
    });
    expect(tags).toEqual(['step:load_data']);
    // Shown in full: the error is not wider than the inspector, nor cut off.
    const fits = await error.evaluate(node => {
      const box = node.getBoundingClientRect();
      const panel = node.closest('#jp-property-inspector')!.getBoundingClientRect();
      return node.scrollWidth <= node.clientWidth + 1 && box.right <= panel.right + 1 && box.left >= panel.left - 1;
    });
    expect(fits).toBe(true);
    await inspector.getByLabel('Step name').fill('final_report');
    await expect(error).toHaveCount(0);
    await expect(page.locator('.jp-Notebook .a4m-StepChip').nth(3)).toHaveText('final_report');
  });
});
