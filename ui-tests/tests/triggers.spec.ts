/**
 * Run on new data (issue 16): from the Pipeline panel, a data trigger on the file browser's folder with a short
 * settle time; a CSV dropped there through the contents API is handled and starts a run, linked from the trigger's
 * row and detail; its runs under a "From trigger" chip in Experiments; disabled, then deleted.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { expectAccessible, openNotebook, shootThemes } from './helpers';

/** A notebook that counts the lines of the file `data_path` names. */
const CELLS: [string, string[]][] = [
  ['import os', ['imports']],
  ["data_path = ''\nlabel = 'daily'", ['pipeline-parameters']],
  ['lines = len(open(data_path).read().splitlines()) if os.path.isfile(data_path) else 0', ['step:count']],
  ['print(lines)', ['pipeline-metrics']]
];

/** Call the extension's REST API from the page (its token and XSRF cookie). */
async function api(page: IJupyterLabPageFixture, path: string, method = 'GET'): Promise<any> {
  return page.evaluate(
    async ([path, method]) => {
      const base = window.jupyterapp.serviceManager.serverSettings.baseUrl;
      const xsrf = document.cookie.match(/_xsrf=([^;]+)/)?.[1] ?? '';
      const response = await fetch(`${base}ai4mlops-lab/api/${path}`, { method, headers: { 'X-XSRFToken': xsrf } });
      return response.ok ? response.json() : null;
    },
    [path, method]
  );
}

test.describe('data triggers', () => {
  test.setTimeout(240_000);
  const name = `galata-data-${Date.now().toString(36)}`;

  test.afterEach(async ({ page }) => api(page, `triggers/${name}`, 'DELETE'));

  test('runs the notebook on a CSV dropped into the watched folder, and links the run', async ({ page, tmpPath }) => {
    const folder = `${tmpPath}/incoming`;
    await openNotebook(page, `${tmpPath}/count.ipynb`, CELLS);
    await page.contents.createDirectory(folder);
    await page.filebrowser.openDirectory(folder);
    await page.sidebar.openTab('ai4mlops-lab-pipeline');
    const panel = page.locator('#ai4mlops-lab-pipeline');
    await panel.getByRole('button', { name: 'Run on new data…' }).click();
    const form = panel.getByRole('form', { name: 'New data trigger' });

    // Prefilled: the file browser's folder, the parameter named like a location; the other parameter's value.
    const source = form.getByLabel('Watch', { exact: true });
    await expect(source).toHaveValue(folder);
    await expect(form.getByLabel('Parameter that receives the file')).toHaveValue('data_path');
    await expect(form.getByLabel('Value of label for each run')).toHaveValue('daily');
    await expect(form.getByLabel('Value of data_path for each run')).toHaveCount(0);
    await form.getByLabel('Name', { exact: true }).fill(name);
    await form.getByLabel('Settle (s)').fill('1');
    await form.getByLabel('Poll (s)').fill('1');

    // The server's refusal shows at the field it names: a folder out of the root.
    await source.fill('../outside');
    await form.getByRole('button', { name: 'Create trigger' }).click();
    await expect(source).toHaveAttribute('aria-invalid', 'true');
    await expect(form.locator('#a4m-trigger-new-source-error')).not.toBeEmpty();
    await shootThemes(page, panel, form, 'trigger-form-error');
    await source.fill(folder);
    await expect(form.getByRole('status')).toHaveText(
      `When a file matching *.csv lands in ${folder}, its location in data_path`
    );
    await shootThemes(page, panel, form, 'trigger-form');
    await expectAccessible(page, '#ai4mlops-lab-pipeline .a4m-TriggerForm');
    await form.getByRole('button', { name: 'Create trigger' }).click();
    await expect(panel.locator('.a4m-ScheduleCreated')).toContainText(
      `Trigger “${name}” created: When a file matching *.csv lands in ${folder}.`
    );

    // Once the watch has noted the folder's files (none), a CSV dropped there through the contents API.
    await expect.poll(async () => (await api(page, `triggers/${name}`))?.baseline_at ?? null).not.toBeNull();
    await page.contents.uploadContent('a\n1\n2\n3\n', 'text', `${folder}/day1.csv`);

    await panel.getByRole('button', { name: 'Show in the monitor' }).click();
    const monitor = page.locator('#ai4mlops-lab-monitor');
    const row = monitor.locator(`.a4m-Automation[data-kind="trigger"][data-name="${name}"]`);
    await expect(row.locator('.a4m-Automation-trigger')).toHaveText(`When a file matching *.csv lands in ${folder}`);
    await expect(row.locator('.a4m-Kind')).toHaveAttribute('title', 'Data trigger');
    const detail = monitor.getByRole('region', { name: `Data trigger ${name}` });
    await expect(detail).toContainText('once unchanged for 1 second');

    // Handled, with its run: in the detail's files and the row's last file.
    const handled = detail.locator('.a4m-Fires li[data-state="started"]');
    await expect(handled).toHaveCount(1, { timeout: 60_000 });
    await expect(handled).toContainText('day1.csv');
    const link = handled.locator('.a4m-RunLink');
    const runId = (await link.getAttribute('title'))!.replace('Show run ', '');
    await expect(row.locator('.a4m-Automation-last')).toContainText('day1.csv', { timeout: 10_000 });
    await expect(row.locator('.a4m-Automation-last .a4m-RunLink')).toBeVisible();
    const section = monitor.getByRole('region', { name: 'Schedules' });
    await shootThemes(page, monitor, section, 'triggers');
    await expectAccessible(page, '#ai4mlops-lab-monitor section[aria-label="Schedules"]');

    // Its runs, in Experiments under a chip; the run got the file's location.
    await detail.getByRole('button', { name: 'Runs', exact: true }).click();
    const experiments = monitor.getByRole('region', { name: 'Experiments' });
    await expect(experiments.locator('.a4m-FilterChip')).toContainText(`From trigger ${name}`);
    await expect(experiments.locator('.a4m-RunCard')).toHaveCount(1);
    await expect(experiments.locator('.a4m-RunCard').first()).toHaveAttribute('data-run', runId);
    await shootThemes(page, monitor, experiments, 'trigger-runs');
    const run = await api(page, `runs/${runId}`);
    expect(run.trigger).toBe(name);
    expect(run.parameters.data_path).toMatch(/incoming\/day1\.csv$/);
    await experiments.getByRole('button', { name: 'Show every run again' }).click();
    await expect(experiments.locator('.a4m-FilterChip')).toHaveCount(0);

    // Disabled, then deleted.
    await row.getByRole('switch', { name: `Enable ${name}` }).click();
    await expect(row).toHaveAttribute('data-enabled', 'false');
    await detail.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect(row).toHaveCount(0);
  });
});
