/**
 * A KServe deployment's card in the monitor with its drift monitoring job on the cluster: scheduled from the card's
 * form (a recurring run of the fake KFP API), alive (a pass of the job, its results imported by the server), then
 * stale and unreadable (warnings), stopped; both themes at the sidebar's default width, axe-core in each.
 *
 * The cluster is ui-tests/fake_cluster.py: the contract tests' strict fakes of the Kubernetes and KFP APIs and a
 * real S3 server on loopback, started by jupyter_server_test_config.py; without shared/specs or rclone it is not
 * there and this spec skips.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { expectAccessible, shootThemes } from './helpers';

const NAME = 'ks-card';

/** POST to the fake cluster's test-only route `path` (see fake_cluster.py); its HTTP status. */
async function cluster(page: IJupyterLabPageFixture, path: string, body: unknown = {}): Promise<number> {
  return page.evaluate(
    async ({ path, body }) => {
      const settings = window.jupyterapp.serviceManager.serverSettings;
      const response = await fetch(`${settings.baseUrl}ai4mlops-ui-test/cluster/${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'X-XSRFToken': document.cookie.match(/_xsrf=([^;]+)/)?.[1] ?? '' }
      });
      return response.status;
    },
    { path, body }
  );
}

/** Remove the deployment through the API, as its card's Remove button does (the store is shared by the specs). */
async function remove(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(async name => {
    const settings = window.jupyterapp.serviceManager.serverSettings;
    const headers = { 'X-XSRFToken': document.cookie.match(/_xsrf=([^;]+)/)?.[1] ?? '' };
    const base = `${settings.baseUrl}ai4mlops-lab/api/deployments/${name}`;
    if ((await fetch(base)).ok) {
      await fetch(base, { method: 'DELETE', headers });
    }
  }, NAME);
}

test.describe('a KServe deployment monitored on the cluster', () => {
  test.setTimeout(120_000);

  test.afterEach(async ({ page }) => remove(page));

  test('schedules its monitoring job, shows it alive, stale and unreadable, and stops it', async ({ page }) => {
    test.skip((await cluster(page, `deployments/${NAME}`)) === 404, 'no fake cluster (shared/specs or rclone missing)');

    await page.sidebar.openTab('ai4mlops-lab-monitor');
    const monitor = page.locator('#ai4mlops-lab-monitor');
    const card = monitor.locator(`.a4m-Deployment[data-deployment="${NAME}"]`);
    await expect(card.locator('.a4m-Status')).toHaveText('running', { timeout: 30_000 });
    const job = card.getByLabel(`Monitoring job of ${NAME}`);
    const status = job.locator('.a4m-MonitorJob-status');
    await expect(status).toHaveText('Drift monitored by this Jupyter server: it stops while the server is down.');

    // Scheduled from the card: a recurring run every 5 minutes on the (fake) KFP server.
    await job.getByRole('button', { name: 'Monitor on the cluster…' }).click();
    const form = job.getByRole('form', { name: `Monitor ${NAME} on the cluster` });
    await expect(form.getByLabel('Seconds between passes')).toHaveValue('300');
    await form.getByLabel('S3 secret').fill('s3-credentials');
    await form.getByRole('button', { name: 'Schedule' }).click();
    await expect(form).toHaveCount(0);
    await expect(job).toHaveAttribute('data-scheduled', 'true');
    await expect(status).toHaveText(
      /^Drift monitored on the cluster every 5 min \(KFP recurring run [0-9a-f-]{36}\); the server imports its results\.$/
    );
    await expect(job.locator('.a4m-MonitorJob-live')).toHaveText('no pass seen yet · no results imported yet', {
      timeout: 15_000
    });

    // A pass of the job, as the recurring run makes on the cluster; the server imports its results.
    expect(await cluster(page, `deployments/${NAME}/pass`)).toBe(200);
    const live = job.locator('.a4m-MonitorJob-live');
    await expect(live).toHaveText(/^last pass .+ · results imported .+$/, { timeout: 15_000 });
    await expect(live).not.toContainText(/no (pass seen|results imported) yet/);
    await expect(job.getByRole('note')).toHaveCount(0);
    await expect(job).toContainText(`results under s3://ui-logs/kserve/logs/_ai4mlops/monitor/team-a/${NAME}/`);
    const widths = await card.evaluate(node => ({ scroll: node.scrollWidth, client: node.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await shootThemes(page, monitor, card, 'kserve-card-job', () => expectAccessible(page, '#ai4mlops-lab-monitor'));

    // Its last pass an hour ago (more than 3 intervals), then a cursor the server cannot read: both warned of.
    expect(await cluster(page, `deployments/${NAME}/cursor`, { age_s: 3600 })).toBe(200);
    const warnings = job.getByRole('note');
    await expect(warnings).toHaveText(
      [
        /^The job’s last pass was .+ \(more than 3 intervals of 5 min\): check its recurring run [0-9a-f-]{36} in Kubeflow Pipelines/
      ],
      { timeout: 15_000 }
    );
    expect(await cluster(page, `deployments/${NAME}/cursor`, { broken: true })).toBe(200);
    await expect(warnings).toHaveCount(2, { timeout: 15_000 });
    await expect(warnings.first()).toContainText("The server could not check the job’s results: The job's cursor");
    await expect(warnings.first()).toContainText("The job's next pass rewrites it");
    await expect(job.locator('.a4m-MonitorJob-live')).toHaveAttribute('title', /^The server last checked/);
    const after = await card.evaluate(node => ({ scroll: node.scrollWidth, client: node.clientWidth }));
    expect(after.scroll).toBeLessThanOrEqual(after.client);
    await shootThemes(page, monitor, card, 'kserve-card-job-warnings', () =>
      expectAccessible(page, '#ai4mlops-lab-monitor')
    );

    // Stopped: the recurring run deleted, this server monitors the deployment again.
    await job.getByRole('button', { name: 'Stop cluster monitoring' }).click();
    await expect(job).toHaveAttribute('data-scheduled', 'false');
    await expect(status).toHaveText('Drift monitored by this Jupyter server: it stops while the server is down.');
    await expect(job.locator('.a4m-MonitorJob-live')).toHaveCount(0);
    await expect(job.getByRole('note')).toHaveCount(0);
    await expect(job.getByRole('button', { name: 'Monitor on the cluster…' })).toBeVisible();
  });
});
