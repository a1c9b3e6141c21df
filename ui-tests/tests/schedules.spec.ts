/**
 * Continuous training (issue 16): schedule the example notebook from the Pipeline panel with the cron helper,
 * see it in the monitor's Schedules, watch it start a run, list that run by its schedule, disable and delete it.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { expectAccessible, openExample, shootThemes } from './helpers';

/** Delete a schedule through the REST API, whatever the UI got to (a schedule outlives the test otherwise). */
async function deleteSchedule(page: IJupyterLabPageFixture, name: string): Promise<void> {
  await page.evaluate(async name => {
    const base = window.jupyterapp.serviceManager.serverSettings.baseUrl;
    await fetch(`${base}ai4mlops-lab/api/schedules/${name}`, { method: 'DELETE' });
  }, name);
}

test.describe('schedules', () => {
  test.setTimeout(300_000);
  const name = `galata-${Date.now().toString(36)}`;

  test.afterEach(async ({ page }) => deleteSchedule(page, name));

  test('schedules the example, watches it fire, filters its runs, disables and deletes it', async ({
    page,
    tmpPath
  }) => {
    await openExample(page, tmpPath, 'torch-train.ipynb');
    await page.sidebar.openTab('ai4mlops-lab-pipeline');
    const panel = page.locator('#ai4mlops-lab-pipeline');
    await panel.getByRole('button', { name: 'Schedule…' }).click();
    const form = panel.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Name', { exact: true }).fill(name);
    await form.getByLabel('Value of epochs for each run').fill('1');
    const preview = form.locator('.a4m-FirePreview li');

    // The cron helper: a preset, its next five times; an impossible hour, the server's word at the field.
    await form.getByRole('button', { name: 'Weekly, Monday 06:00' }).click();
    await expect(preview).toHaveCount(5);
    await expect(preview.first()).toContainText(/Mon.*06:00/);
    const expression = form.getByLabel('Cron expression');
    await expression.fill('0 25 * * *');
    await expect(expression).toHaveAttribute('aria-invalid', 'true');
    await expect(form.locator('#a4m-schedule-new-expression-error')).toContainText('25');
    await expect(preview).toHaveCount(0);
    await shootThemes(page, panel, form.getByRole('group', { name: 'Presets' }), 'schedule-cron-error');

    // The server's refusal shows at the field it names: KFP's cron has no time zone.
    await form.getByRole('button', { name: 'Daily at 03:00' }).click();
    await form.getByLabel('Time zone').fill('Europe/Madrid');
    await form.getByLabel('Schedule target').selectOption('kfp');
    await expect(form.getByRole('checkbox', { name: /Pinned/ })).toBeChecked();
    await form.getByRole('button', { name: 'Create schedule' }).click();
    await expect(form.locator('#a4m-schedule-new-time_zone-error')).toContainText('UTC');
    await form.getByLabel('Schedule target').selectOption('local');

    // Every 30 seconds, so that a run comes soon.
    await form.getByLabel('Trigger', { exact: true }).selectOption('interval');
    await form.getByLabel('Every', { exact: true }).fill('30s');
    await expect(preview).toHaveCount(5);
    await shootThemes(page, panel, form, 'schedule-form');
    await expectAccessible(page, '#ai4mlops-lab-pipeline .a4m-ScheduleForm');
    await form.getByRole('button', { name: 'Create schedule' }).click();
    await expect(panel.locator('.a4m-ScheduleCreated')).toContainText(
      `Schedule “${name}” created: Every 30 seconds, next run`
    );

    // The monitor lists it and shows its detail.
    await panel.getByRole('button', { name: 'Show in the monitor' }).click();
    const monitor = page.locator('#ai4mlops-lab-monitor');
    const row = monitor.locator(`.a4m-Automation[data-name="${name}"]`);
    await expect(row.locator('.a4m-Automation-trigger')).toHaveText('Every 30 seconds');
    await expect(row.locator('.a4m-Automation-notebook')).toHaveText(`${tmpPath}/torch-train.ipynb`);
    const detail = monitor.getByRole('region', { name: `Schedule ${name}` });
    await expect(detail.locator('.a4m-FireTimes li')).toHaveCount(5);

    // Within a minute it fires: a run it started, linked from its fires and its row.
    const fire = detail.locator('.a4m-Fires li[data-outcome="started"]').first();
    await expect(fire).toBeVisible({ timeout: 90_000 });
    await expect(row.locator('.a4m-Automation-last .a4m-RunLink')).toBeVisible({ timeout: 10_000 });
    const section = monitor.getByRole('region', { name: 'Schedules' });
    await shootThemes(page, monitor, section, 'schedules');
    await expectAccessible(page, '#ai4mlops-lab-monitor section[aria-label="Schedules"]');

    // Its runs, in Experiments under a chip; its run's detail from the fire's link.
    await detail.getByRole('button', { name: 'Runs', exact: true }).click();
    const experiments = monitor.getByRole('region', { name: 'Experiments' });
    await expect(experiments.locator('.a4m-FilterChip')).toContainText(`From schedule ${name}`);
    await expect(experiments.locator('.a4m-RunCard')).not.toHaveCount(0);
    const runId = (await fire.locator('.a4m-RunLink').getAttribute('title'))!.replace('Show run ', '');
    await expect(experiments.locator('.a4m-RunCard').first()).toHaveAttribute('data-run', runId);
    await shootThemes(page, monitor, experiments, 'schedule-runs');
    await fire.locator('.a4m-RunLink').click();
    await expect(experiments.locator('.a4m-RunDetail')).toBeVisible();
    await experiments.getByRole('button', { name: 'Show every run again' }).click();
    await expect(experiments.locator('.a4m-FilterChip')).toHaveCount(0);

    // Disabled, it has no next time; deleted, it is gone.
    await row.getByRole('switch', { name: `Enable ${name}` }).click();
    await expect(row).toHaveAttribute('data-enabled', 'false');
    await expect(detail).toContainText('None while disabled.');
    await detail.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect(row).toHaveCount(0);
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' })
    );
  });
});
