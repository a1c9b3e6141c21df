/**
 * Issue 13, items 5, 9 and 10: one click deploys the notebook's best run (named by time, parameters and
 * metric, not a hex id); the toolbar button stays visible; the card shows the model's input and how to call it.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { openExample, removeDeployment, removeDeploymentsLeft, trainExample } from './helpers';

test.use({ viewport: { width: 1440, height: 900 } });

/** The notebook's succeeded runs, ranked by the server, once there are `count` of them. */
async function rankedRuns(page: IJupyterLabPageFixture, path: string, count: number) {
  let ranking: any = null;
  await expect
    .poll(
      async () => {
        ranking = await page.evaluate(async path => {
          const base = window.jupyterapp.serviceManager.serverSettings.baseUrl;
          const response = await fetch(`${base}ai4mlops-lab/api/runs/best?path=${encodeURIComponent(path)}`);
          return response.json();
        }, path);
        return ranking.runs.length;
      },
      { timeout: 200_000 }
    )
    .toBe(count);
  return ranking;
}

test.describe('deploying the right run', () => {
  test.afterEach(async ({ page }) => removeDeploymentsLeft(page));
  test.setTimeout(480_000);

  test('deploys the better run, names it, and shows how to call it', async ({ page, tmpPath }) => {
    const name = 'deploy-card.ipynb';
    await openExample(page, tmpPath, name);
    await trainExample(page, '5');
    await rankedRuns(page, `${tmpPath}/${name}`, 1);
    await trainExample(page, '1'); // the newer run: fewer epochs, worse accuracy
    const ranking = await rankedRuns(page, `${tmpPath}/${name}`, 2);
    expect(ranking.metric).toEqual({ name: 'accuracy', higher_is_better: true });
    const [best, worse] = ranking.runs;
    expect(best.parameters.epochs).toBe(5);
    expect(ranking.latest).toBe(worse.id);

    // The toolbar button is in the toolbar itself at 1440 px, with its label, not in the overflow menu.
    const toolbar = page.locator('.jp-NotebookPanel-toolbar');
    const button = toolbar.locator('[data-command="ai4mlops-lab:deploy"]');
    await expect(button).toBeVisible();
    await expect(button).toContainText('Deploy');
    await expect(toolbar.locator('.jp-Toolbar-responsive-popup [data-command="ai4mlops-lab:deploy"]')).toHaveCount(0);
    await expect(button.locator('svg')).toHaveCount(1);

    await button.click();
    // Why this run, though it is not the latest.
    const why = page.locator('.Toastify__toast').filter({ hasText: 'Chosen for the highest accuracy of 2 runs' });
    await expect(why).toContainText(/the latest, run of \d\d:\d\d, epochs=1, accuracy 0\.\d+, is worse\./);
    const toast = page.locator('.Toastify__toast').filter({ hasText: 'serving the run of' });
    await expect(toast).toBeVisible({ timeout: 120_000 });
    await expect(toast).toContainText(/serving the run of \d\d:\d\d, epochs=5, accuracy 0\.\d+/);
    await expect(toast).not.toContainText(best.id);

    const monitor = page.locator('#ai4mlops-lab-monitor');
    const card = monitor.locator('.a4m-Deployment').first();
    await expect(card.locator('.a4m-Status')).toHaveText('running', { timeout: 120_000 });
    const deployed = await page.evaluate(
      async name => {
        const base = window.jupyterapp.serviceManager.serverSettings.baseUrl;
        return (await fetch(`${base}ai4mlops-lab/api/deployments/${name}`)).json();
      },
      (await card.getAttribute('data-deployment'))!
    );
    expect(deployed.run_id).toBe(best.id);

    // The card names the run by time and metric, not by its id.
    const run = card.locator('.a4m-RunChoice');
    await expect(run).toContainText(/run of \d\d:\d\d · accuracy 0\.\d+/);
    await expect(run).toContainText('epochs=5');
    await expect(card).not.toContainText(best.id);

    // The model's input signature and a curl example built from its URL and example input.
    const signature = card.getByLabel('Model input');
    await expect(signature).toContainText('input-0');
    await expect(signature).toContainText('shape [rows, 10]');
    await expect(signature).toContainText('float32');
    const curl = card.locator('pre[aria-label="curl example"]');
    await expect(curl).toContainText('curl -sS -X POST');
    await expect(curl).toContainText(deployed.endpoints.v1);
    await expect(curl).toContainText('"instances"');
    await expect(card.locator('pre[aria-label="Python example"]')).toContainText('requests.post(url, json=body');
    await card.getByRole('tab', { name: 'V2' }).click();
    await expect(curl).toContainText(deployed.endpoints.v2);
    await expect(curl).toContainText('"datatype": "FP32"');
    await card.getByRole('tab', { name: 'V1' }).click();

    // Copy buttons show JupyterLab's copy icon (an svg, not a text glyph) and say "Copied".
    const copy = card.getByRole('button', { name: 'Copy the V1 URL' });
    await expect(copy.locator('svg')).toHaveCount(1);
    expect((await copy.textContent())?.trim()).toBe('');
    await expect(card).not.toContainText('⧉');
    await copy.click();
    await expect(card.getByRole('status').filter({ hasText: 'Copied' })).toBeVisible();

    // Nothing overflows the card at the sidebar's default width.
    const widths = await card.evaluate(node => ({ scroll: node.scrollWidth, client: node.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);

    // Screenshots without the notifications over the card.
    await expect(async () => {
      for (const close of await page.locator('.Toastify__toast button[aria-label="Hide notification"]').all()) {
        await close.click({ timeout: 1000 });
      }
      await expect(page.locator('.Toastify__toast')).toHaveCount(0, { timeout: 1000 });
    }).toPass({ timeout: 30_000 });
    await card.scrollIntoViewIfNeeded();
    await monitor.screenshot({ path: 'screenshots/deployment-card-light.png' });
    await page.theme.setDarkTheme();
    await card.locator('.a4m-RunChoice').scrollIntoViewIfNeeded();
    await monitor.screenshot({ path: 'screenshots/deployment-card-dark.png' });
    await page.theme.setLightTheme();

    await removeDeployment(page, card);
  });
});
