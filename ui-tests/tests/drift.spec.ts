/** Drift monitoring from the monitor: policy, drifted requests, charts in both themes, alert, retrain. */
import { expect, test } from '@jupyterlab/galata';

import {
  deployFromToolbar,
  openExample,
  predictDirect,
  removeDeployment,
  removeDeploymentsLeft,
  shiftedRows,
  trainExample
} from './helpers';

const CHART = 'svg, canvas';

test.describe('data drift', () => {
  test.afterEach(async ({ page }) => removeDeploymentsLeft(page));
  test.setTimeout(360_000);

  test('alerts on drifted requests, draws the charts in both themes and retrains', async ({ page, tmpPath }) => {
    await openExample(page, tmpPath, 'drift-me.ipynb');
    await trainExample(page);
    const card = await deployFromToolbar(page);
    const name = (await card.getAttribute('data-deployment'))!;

    const drift = page.getByRole('region', { name: 'Data drift' });
    await drift.scrollIntoViewIfNeeded();
    await expect(drift.getByLabel('Deployment to watch for drift')).toHaveValue(name);
    await expect(drift.locator('.a4m-DriftSummary')).toContainText('Reference:');

    // A small window through the policy form.
    const policy = drift.getByRole('form', { name: `Drift policy of ${name}` });
    await policy.getByLabel('Window size (rows)').fill('50');
    await policy.getByLabel('Consecutive drifted windows to alert').fill('2');
    await policy.getByRole('button', { name: 'Save' }).click();
    await expect(drift.locator('.a4m-DriftSummary')).toContainText(/Next window: \d+ of 50 rows/);
    // A bad value is explained next to its field.
    await policy.getByLabel('Window size (rows)').fill('5');
    await policy.getByRole('button', { name: 'Save' }).click();
    await expect(policy.locator('.a4m-FieldError')).toContainText('window_size');
    await policy.getByRole('button', { name: 'Discard' }).click();
    await expect(policy.getByLabel('Window size (rows)')).toHaveValue('50');

    // 150 drifted rows, 25 per request, from a client of the model server.
    for (let batch = 0; batch < 6; batch++) {
      const reply = await predictDirect(page, name, { instances: shiftedRows(25) });
      expect(reply.status, reply.text).toBe(200);
    }

    const alert = drift.locator('.a4m-Alert').first();
    await expect(alert).toContainText('consecutive windows', { timeout: 60_000 });
    await expect(alert.locator('.a4m-Status')).toHaveText('open');
    await expect(drift.locator('.a4m-Verdict')).toHaveText('Drift');

    // Check now tests the newest rows at once and says what it found.
    await drift.getByRole('button', { name: 'Check now' }).click();
    await expect(page.locator('.Toastify__toast', { hasText: /Window #\d+: Drift/ })).toBeVisible();

    // The charts, each with an accessible description.
    const score = drift.locator('.a4m-DriftScore');
    await expect(score).toHaveAttribute('aria-label', /Drift p-values of \d+ windows .* log scale/);
    await expect(score.locator(CHART).first()).toBeVisible();
    const heat = drift.locator('.a4m-DriftHeat');
    await expect(heat).toHaveAttribute('aria-label', /Per-feature drift of 10 features/);
    await expect(heat.locator(CHART).first()).toBeVisible();
    const histogram = drift.locator('.a4m-DriftDistribution');
    await expect(histogram).toHaveAttribute('aria-label', /Distribution of feature .*: reference against window/);
    await expect(histogram.locator(CHART).first()).toBeVisible();

    // Another feature: its histogram, while the selection survives the polling.
    const features = drift.getByLabel('Feature to compare with the reference');
    const shown = await features.inputValue();
    const other = (await features.locator('option').allTextContents()).find(f => f !== shown)!;
    await features.selectOption(other);
    await expect(histogram).toHaveAttribute('aria-label', new RegExp(`Distribution of feature ${other}:`));
    await page.waitForTimeout(4000); // more than one poll
    await expect(features).toHaveValue(other);

    // The dark theme redraws the charts (JupyterLab's Vega renderer applies its dark theme).
    for (const chart of [score, heat, histogram]) {
      await chart
        .locator(CHART)
        .first()
        .evaluate(node => node.setAttribute('data-before-theme', ''));
    }
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' })
    );
    await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'false');
    for (const chart of [score, heat, histogram]) {
      // drawn again (in place, unseen, then shown): allow a loaded machine its time
      await expect(chart.locator(`:is(${CHART}):not([data-before-theme])`).first()).toBeVisible({ timeout: 15_000 });
    }
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' })
    );
    await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'true');

    // Retrain for more epochs: the alert follows the run, whose link opens it in the experiments view.
    await alert.locator('summary', { hasText: 'Retraining options' }).click();
    await alert.getByLabel('Retrain parameter epochs').fill('8');
    await alert.getByRole('button', { name: 'Retrain' }).click();
    await expect(alert.locator('.a4m-Status')).toHaveText('retraining');
    const runLink = alert.locator('.a4m-RunLink');
    const runId = (await runLink.textContent())!;
    await runLink.click();
    await expect(page.locator('#ai4mlops-lab-monitor .a4m-RunDetail')).toContainText(`id ${runId}`);
    await expect(alert.locator('.a4m-Status')).toHaveText('resolved', { timeout: 200_000 });
    // The better model went to the promotion gate as a canary: the old model serves (and is judged) until then.
    await expect(alert).toContainText('sent to the promotion gate');
    await expect(drift.locator('.a4m-Verdict')).toHaveText('Drift');

    await removeDeployment(page, card);
  });
});
