/** Batch predict from a deployment's card: a small CSV, progress to done, links to the output and the rejects. */
import { expect, test } from '@jupyterlab/galata';

import {
  deployFromToolbar,
  expectAccessible,
  openExample,
  removeDeployment,
  removeDeploymentsLeft,
  trainExample
} from './helpers';

/** 30 rows of the example's 10 features under a header naming them, the 12th row's f4 not a number. */
function rowsCsv(): string {
  const header = Array.from({ length: 10 }, (_, j) => `f${j}`).join(',');
  const rows = Array.from({ length: 30 }, (_, i) =>
    Array.from({ length: 10 }, (_, j) => (i === 11 && j === 4 ? 'oops' : (((i * 7 + j) % 11) / 5 - 1).toFixed(3)))
  );
  return [header, ...rows.map(r => r.join(','))].join('\n') + '\n';
}

test.describe('batch predict', () => {
  test.afterEach(async ({ page }) => removeDeploymentsLeft(page));
  test.setTimeout(300_000);

  test('predicts a CSV with a deployment, shows progress to done and opens the output', async ({ page, tmpPath }) => {
    await openExample(page, tmpPath, 'batch-me.ipynb');
    await trainExample(page);
    const card = await deployFromToolbar(page);
    try {
      await page.contents.uploadContent(rowsCsv(), 'text', `${tmpPath}/rows.csv`);

      await card.getByRole('button', { name: 'Batch predict…' }).click();
      const form = card.locator('.a4m-BatchForm');
      await form.getByLabel('Input file').fill(`${tmpPath}/rows.csv`);
      await expect(form.getByLabel('Output file')).toHaveAttribute('placeholder', `${tmpPath}/rows.predictions.csv`);
      await form.getByRole('checkbox', { name: /Log the predictions/ }).check();
      await form.screenshot({ path: 'screenshots/batch-form-light.png' });
      await form.getByRole('button', { name: 'Predict' }).click();

      const job = card.locator('.a4m-BatchJob');
      await expect(job).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 });
      await expect(job.getByRole('status')).toHaveText('29 rows predicted · 1 rejected');
      await expect(job.getByRole('progressbar')).toHaveAttribute('value', '1');
      await expect(job.locator('.a4m-BatchJob-rejects')).toHaveText('1 rejected row: rows.rejects.csv');
      await expect(job.locator('.a4m-BatchJob-output')).toHaveAttribute(
        'title',
        `Open ${tmpPath}/rows.predictions.csv`
      );
      await expectAccessible(page, '#ai4mlops-lab-monitor .a4m-BatchJob');

      // Screenshots without the notifications over the card, in both themes.
      await expect(async () => {
        for (const close of await page.locator('.Toastify__toast button[aria-label="Hide notification"]').all()) {
          await close.click({ timeout: 1000 });
        }
        await expect(page.locator('.Toastify__toast')).toHaveCount(0, { timeout: 1000 });
      }).toPass({ timeout: 30_000 });
      await job.scrollIntoViewIfNeeded();
      await job.screenshot({ path: 'screenshots/batch-light.png' });
      await page.theme.setDarkTheme();
      await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'false');
      await job.screenshot({ path: 'screenshots/batch-dark.png' });
      await page.theme.setLightTheme();

      // The same file again: the output is there, and is kept unless asked.
      await job.getByRole('button', { name: 'Close' }).click();
      await card.getByRole('button', { name: 'Batch predict…' }).click();
      await form.getByLabel('Input file').fill(`${tmpPath}/rows.csv`);
      await form.getByRole('button', { name: 'Predict' }).click();
      await expect(form.getByRole('alert')).toContainText('exists already');
      await expect(form.getByLabel('Output file')).toHaveAttribute('aria-invalid', 'true');
      await form.getByRole('button', { name: 'Cancel' }).click();

      // Reopen the finished job's output link: it opens the file in JupyterLab.
      await card.getByRole('button', { name: 'Batch predict…' }).click();
      await form.getByLabel('Input file').fill(`${tmpPath}/rows.csv`);
      await form.getByLabel('Output file').fill(`${tmpPath}/again.csv`);
      await form.getByRole('button', { name: 'Predict' }).click();
      await expect(job).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 });
      await job.locator('.a4m-BatchJob-output').click();
      await expect(page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: 'again.csv' })).toBeVisible();
    } finally {
      await removeDeployment(page, card);
    }
  });
});
