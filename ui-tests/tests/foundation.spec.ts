/** JupyterLab loads with ai4mlops-lab active and both sidebar panels open. */
import { expect, test } from '@jupyterlab/galata';

test.describe('ai4mlops-lab foundation', () => {
  test('activates and logs it', async ({ page }) => {
    const logs: string[] = [];
    page.on('console', message => logs.push(message.text()));
    await page.reload();
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    expect(logs.filter(line => line === 'ai4mlops-lab is activated')).toHaveLength(1);
  });

  test('opens the pipeline panel, which reaches the server extension', async ({ page }) => {
    await page.sidebar.openTab('ai4mlops-lab-pipeline');
    const panel = page.locator('#ai4mlops-lab-pipeline');
    await expect(panel).toBeVisible();
    await expect(panel.locator('.a4m-HealthCard[data-status="ok"]')).toContainText('ai4mlops-lab');
    await expect(panel.locator('.a4m-HealthCard-versions')).toContainText('kfp');
  });

  test('opens the monitoring panel with its three sections', async ({ page }) => {
    await page.sidebar.openTab('ai4mlops-lab-monitor');
    const panel = page.locator('#ai4mlops-lab-monitor');
    await expect(panel).toBeVisible();
    for (const title of ['Experiments', 'Deployments', 'Data drift']) {
      await expect(panel.getByRole('region', { name: title })).toBeVisible();
    }
  });

  test('commands open the panels from the palette', async ({ page }) => {
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('ai4mlops-lab:open-monitor-panel');
    });
    await expect(page.locator('#ai4mlops-lab-monitor')).toBeVisible();
  });
});
