/** The loop's main views in both themes, as a new user sees them at 1440x900 with the sidebars at their default
 * width: axe-core finds no accessibility violation in our panels, and each view is saved as a screenshot (CI
 * artifacts under ui-tests/screenshots/; the README shows some of them). */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import {
  deployFromToolbar,
  expectAccessible,
  openExample,
  predictDirect,
  removeDeployment,
  removeDeploymentsLeft,
  shiftedRows,
  trainExample
} from './helpers';

/** The sidebar as the user sees it with `section` scrolled to its top. */
async function sidebarShot(page: IJupyterLabPageFixture, sidebar: Locator, section: Locator, path: string) {
  await section.evaluate(node => node.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path, clip: (await sidebar.boundingBox())! });
}

async function setTheme(page: IJupyterLabPageFixture, dark: boolean): Promise<void> {
  await page.evaluate(
    theme => window.jupyterapp.commands.execute('apputils:change-theme', { theme }),
    dark ? 'JupyterLab Dark' : 'JupyterLab Light'
  );
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', dark ? 'false' : 'true');
  await page.waitForTimeout(1500); // charts and the DAG are redrawn in the theme's colours
}

test.describe('tour', () => {
  test.afterEach(async ({ page }) => removeDeploymentsLeft(page));
  test.setTimeout(480_000);
  test.use({ viewport: { width: 1440, height: 900 } });

  test('the main views pass axe-core in both themes', async ({ page, tmpPath }) => {
    await openExample(page, tmpPath, 'tour.ipynb');
    await trainExample(page, '2');
    await trainExample(page, '8');
    const card = await deployFromToolbar(page);
    const name = (await card.getAttribute('data-deployment'))!;

    // Windows of 50 rows, then 100 drifted rows: two drifted windows and an alert.
    const reply = await page.evaluate(async name => {
      const settings = window.jupyterapp.serviceManager.serverSettings;
      const response = await fetch(`${settings.baseUrl}ai4mlops-lab/api/deployments/${name}/drift/policy`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ window_size: 50, consecutive: 2 })
      });
      return response.status;
    }, name);
    expect(reply).toBe(200);
    for (let batch = 0; batch < 4; batch++) {
      const sent = await predictDirect(page, name, { instances: shiftedRows(25) });
      expect(sent.status, sent.text).toBe(200);
    }
    const monitor = page.locator('#ai4mlops-lab-monitor');
    const drift = page.getByRole('region', { name: 'Data drift' });
    await expect(drift.locator('.a4m-Alert').first()).toContainText('consecutive windows', { timeout: 60_000 });

    // Compare the two runs (other tests' runs of the example share its experiment).
    await monitor.getByLabel('Filter runs').fill('tour.ipynb');
    await expect(monitor.locator('.a4m-RunCard')).toHaveCount(2);
    for (const box of await monitor.locator('.a4m-RunCard').getByRole('checkbox').all()) {
      await box.check();
    }
    await expect(monitor.locator('.a4m-Compare')).toBeVisible();

    const pipeline = page.locator('#ai4mlops-lab-pipeline');
    for (const dark of [false, true]) {
      const theme = dark ? 'dark' : 'light';
      await setTheme(page, dark);
      await page.sidebar.openTab('ai4mlops-lab-pipeline');
      await expectAccessible(page, '#ai4mlops-lab-pipeline');
      await page.sidebar.openTab('ai4mlops-lab-monitor');
      await expectAccessible(page, '#ai4mlops-lab-monitor');
      await monitor.evaluate(node => node.scrollTo(0, 0));
      await page.screenshot({ path: `screenshots/loop-${theme}.png` });
      await pipeline.screenshot({ path: `screenshots/pipeline-${theme}.png` });
      for (const [view, section] of [
        ['experiments', monitor.locator('.a4m-Experiments')],
        ['deployment', card],
        ['drift', drift]
      ] as const) {
        await sidebarShot(page, monitor, section, `screenshots/${view}-${theme}.png`);
      }
    }
    await setTheme(page, false);
    await removeDeployment(page, card); // a local model server outlives Jupyter: leave none behind
  });
});
