/** The Models view: register two runs' models, deploy v1, a canary of v2 through the gate, promote it; both themes. */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import {
  expectAccessible,
  openExample,
  predictDirect,
  removeDeployment,
  removeDeploymentsLeft,
  shootThemes,
  trainExample
} from './helpers';

test.use({ viewport: { width: 1440, height: 900 } });

/** Open the newest run of `notebook` in the experiments view; its detail. */
async function openNewestRun(monitor: Locator, notebook: string): Promise<Locator> {
  await monitor.getByLabel('Filter runs').fill(notebook);
  await monitor.locator('.a4m-RunCard-name').first().click();
  return monitor.locator('.a4m-RunDetail');
}

/** Register the open run's model as `name`; the registry's answer shown in the run's detail. */
async function register(detail: Locator, name: string, champion: boolean): Promise<void> {
  const form = detail.getByRole('form', { name: 'Register the model of this run' });
  await form.getByLabel('Registered model name').fill(name);
  await form.getByRole('checkbox', { name: 'Make it champion' }).setChecked(champion);
  await form.getByRole('button', { name: 'Register model' }).click();
}

/** The sidebar as the user sees it with `element` scrolled to its top, in both themes; axe-core finds nothing. */
function shots(page: IJupyterLabPageFixture, monitor: Locator, element: Locator, name: string): Promise<void> {
  return shootThemes(page, monitor, element, name, () => expectAccessible(page, '#ai4mlops-lab-monitor'));
}

test.describe('models', () => {
  test.afterEach(async ({ page }) => removeDeploymentsLeft(page));
  test.setTimeout(600_000);

  test('registers two versions, rolls out a canary through the gate and promotes it', async ({ page, tmpPath }) => {
    const notebook = 'models-flow.ipynb';
    const model = `flow-${Date.now().toString(36)}`;
    await openExample(page, tmpPath, notebook);
    await trainExample(page, '2');
    await page.sidebar.openTab('ai4mlops-lab-monitor');
    const monitor = page.locator('#ai4mlops-lab-monitor');

    // v1, champion, from the run's detail.
    let detail = await openNewestRun(monitor, notebook);
    await register(detail, model, true);
    await expect(detail.locator('.a4m-Registered')).toHaveText(`Registered as ${model} v1champion`);

    // v2 from a second run: the form says it adds a version.
    await trainExample(page, '8');
    await page.sidebar.openTab('ai4mlops-lab-monitor');
    detail = await openNewestRun(monitor, notebook);
    await detail.getByLabel('Registered model name').fill(model);
    await expect(detail.locator('.a4m-RegisterForm')).toContainText(`Adds v2 to ${model}.`);
    await shots(page, monitor, detail.locator('.a4m-Register'), 'models-register');
    await register(detail, model, false);
    await expect(detail.locator('.a4m-Registered')).toHaveText(`Registered as ${model} v2`);

    // The model, its aliases and versions, newest first.
    const models = page.getByRole('region', { name: 'Models' });
    const row = models.locator('.a4m-ModelRow', { hasText: model });
    await row.click();
    await expect(row).toHaveAttribute('aria-pressed', 'true');
    await expect(row).toContainText('2 versions');
    await expect(row.locator('.a4m-Alias')).toHaveText(['champion v1']);
    const cards = models.locator('.a4m-VersionCard');
    await expect(cards.locator('.a4m-VersionCard-name')).toHaveText(['v2', 'v1']);
    const v1 = cards.nth(1);
    await expect(v1.locator('.a4m-Alias')).toHaveText('champion');
    // The notebook's main metric (its first declared one) leads each card.
    await expect(v1.locator('.a4m-RunCard-metric dt')).toHaveText('accuracy');

    // Compare the two versions.
    await cards.nth(0).getByRole('checkbox', { name: 'Compare v2' }).check();
    await v1.getByRole('checkbox', { name: 'Compare v1' }).check();
    await expect(models.getByRole('region', { name: 'Compare versions' })).toContainText('Comparing 2 versions');

    // Deploy v1: the rollout panel finds the deployment serving it.
    await v1.getByRole('button', { name: 'Deploy v1' }).click();
    const rollout = models.locator('.a4m-Rollout');
    await expect(rollout.locator('.a4m-Rollout-summary')).toContainText('serves v1; no rollout runs.', {
      timeout: 120_000
    });
    const deployment = (await rollout.getAttribute('data-deployment'))!;
    await expect(v1.locator('.a4m-VersionCard-pills')).toContainText('serving');

    // A strict gate that decides nothing by itself: v2 must gain 1 in accuracy, so it is refused.
    const policy = models.getByRole('form', { name: `Gate policy of ${model}` });
    await policy.getByLabel('Min. gain').fill('1');
    await policy.getByRole('checkbox', { name: 'Promote or roll back automatically by the verdict' }).uncheck();
    await policy.getByRole('button', { name: 'Save' }).click();
    await expect(policy.getByRole('button', { name: 'Save' })).toBeDisabled();
    // A bad value is explained at its field.
    await policy.getByLabel('Max. error rate').fill('5');
    await policy.getByRole('button', { name: 'Save' }).click();
    await expect(policy.locator('.a4m-FieldError')).toContainText('max_error_rate');
    await policy.getByRole('button', { name: 'Discard' }).click();

    // A canary of v2 at the policy's 20 %: refused, listed, then started anyway.
    const start = rollout.getByRole('form', { name: `Start a rollout on ${deployment}` });
    await expect(start.getByLabel('Candidate version')).toHaveValue('2');
    await expect(start.getByLabel('Share of the traffic for the canary, in percent')).toHaveValue('20');
    await start.getByRole('button', { name: 'Start canary of v2' }).click();
    const refusal = start.locator('.a4m-Refusal');
    await expect(refusal).toContainText('The gate refused v2.', { timeout: 60_000 });
    const decisions = models.locator('.a4m-Decision');
    await expect(decisions.first().locator('.a4m-Status')).toHaveText('refused');
    await refusal.getByRole('button', { name: 'Start anyway' }).click();

    // Both versions side by side, the share, the gate's checks.
    await expect(rollout.locator('.a4m-Rollout-summary')).toContainText('serves v1; v2 is tried', { timeout: 120_000 });
    await expect(rollout.locator('.a4m-Rollout-summary .a4m-Status')).toHaveText('canary 20 %');
    await expect(rollout.locator('.a4m-RolloutSides thead th')).toHaveText(['Stable v1', 'Candidate v2']);
    const checks = rollout.locator('.a4m-GateCheck');
    await expect(checks).toHaveCount(4);
    await expect(checks.first()).toHaveAttribute('data-state', 'failed');
    await expect(rollout.locator('[data-check="requests"]')).toHaveAttribute('data-state', 'waiting');
    // Started anyway: the offline refusal is shown, the live checks decide.
    await expect(rollout.locator('.a4m-Gate-verdict .a4m-Status')).toHaveText('waiting');
    await expect(decisions.first().locator('.a4m-Status')).toHaveText('started');
    await expect(cards.nth(0).locator('.a4m-VersionCard-pills')).toContainText('canary');

    // Traffic from a client: the router shares it between the versions, the table counts each.
    for (let i = 0; i < 20; i++) {
      const reply = await predictDirect(page, deployment, { instances: [Array(10).fill(0.5)] });
      expect(reply.status, reply.text).toBe(200);
    }
    const requests = rollout.locator('.a4m-RolloutSides tbody tr').first().locator('td');
    const total = async () => (await requests.allTextContents()).map(Number).reduce((a, b) => a + b, 0);
    await expect.poll(total, { timeout: 30_000 }).toBe(20);
    await shots(page, monitor, models, 'models-versions');
    await shots(page, monitor, rollout, 'models-rollout');

    // Promote, confirmed: v2 serves and is champion; the decision is listed.
    await rollout.getByRole('button', { name: 'Promote v2…' }).click();
    await rollout.getByLabel('Reason for the decision').fill('tried by hand');
    await rollout.getByRole('button', { name: 'Promote v2', exact: true }).click();
    await expect(rollout.locator('.a4m-Rollout-summary')).toContainText('serves v2; no rollout runs.', {
      timeout: 60_000
    });
    await expect(row.locator('.a4m-Alias')).toHaveText(['champion v2']);
    await expect(cards.nth(0).locator('.a4m-Alias')).toHaveText('champion');
    const promoted = decisions.first();
    await expect(promoted.locator('.a4m-Status')).toHaveText('promoted');
    await expect(promoted).toContainText('v2 over v1');
    await expect(promoted).toContainText('tried by hand');
    await promoted.locator('summary').click();
    await expect(promoted.locator('.a4m-GateCheck')).toHaveCount(4);
    await shots(page, monitor, models.locator('.a4m-Decisions'), 'models-decisions');

    await removeDeployment(page, monitor.locator(`.a4m-Deployment[data-deployment="${deployment}"]`));
  });
});
