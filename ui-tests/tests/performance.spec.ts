/** Performance on labels from the monitor: policy, predictions keyed by X-Request-Id, labels through the form,
 * status, charts in both themes, the performance alert. */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import {
  deployFromToolbar,
  expectAccessible,
  openExample,
  predictDirect,
  removeDeployment,
  removeDeploymentsLeft,
  setTheme,
  shiftedRows,
  trainExample
} from './helpers';

const CHART = 'svg, canvas';
const BATCHES = 4;
const ROWS = 10;

/** The monitor at the default sidebar width with `section` scrolled to its top, as screenshots/NAME-THEME.png. */
async function shot(page: IJupyterLabPageFixture, section: Locator, name: string, dark: boolean): Promise<void> {
  await section.evaluate(node => node.scrollIntoView({ block: 'start' }));
  await page.waitForTimeout(500);
  const monitor = page.locator('#ai4mlops-lab-monitor');
  await page.screenshot({
    path: `screenshots/${name}-${dark ? 'dark' : 'light'}.png`,
    clip: (await monitor.boundingBox())!
  });
}

test.describe('performance', () => {
  test.afterEach(async ({ page }) => removeDeploymentsLeft(page));
  test.setTimeout(300_000);

  test('labels sent through the form show the realized metric, its chart and a performance alert', async ({
    page,
    tmpPath
  }) => {
    await openExample(page, tmpPath, 'perf-me.ipynb');
    await trainExample(page, '2');
    const card = await deployFromToolbar(page);
    const name = (await card.getAttribute('data-deployment'))!;

    const performance = page.getByRole('region', { name: 'Performance' });
    await performance.scrollIntoViewIfNeeded();
    await expect(performance.getByLabel('Deployment to watch for performance')).toHaveValue(name);
    await expect(performance.locator('.a4m-PerformanceStatus')).toContainText('No predictions logged yet');

    // Windows of 20 predictions whose metric counts from 5 labels, through the policy form; a bad value is
    // explained next to its field.
    const policy = performance.getByRole('form', { name: `Performance policy of ${name}` });
    await policy.getByLabel('Min. labels per window').fill('0');
    await policy.getByRole('button', { name: 'Save' }).click();
    await expect(policy.locator('.a4m-FieldError')).toContainText('min_labels');
    await policy.getByLabel('Window size (predictions)').fill('20');
    await policy.getByLabel('Min. labels per window').fill('5');
    await policy.getByRole('button', { name: 'Save' }).click();
    await expect(policy.getByRole('button', { name: 'Save' })).toBeDisabled();
    await expect(policy.getByLabel('Window size (predictions)')).toHaveValue('20');

    // 40 predictions in batches of 10, each batch under the X-Request-Id its labels name (rows: ID/0, ID/1, …).
    const predicted: [string, number][] = [];
    for (let batch = 0; batch < BATCHES; batch++) {
      const id = `perf-${batch}`;
      const reply = await predictDirect(page, name, { instances: shiftedRows(ROWS, 0) }, { 'X-Request-Id': id });
      expect(reply.status, reply.text).toBe(200);
      const logits: number[][] = JSON.parse(reply.text).predictions;
      logits.forEach((row, i) => predicted.push([`${id}/${i}`, row[1] > row[0] ? 1 : 0]));
    }
    await expect(performance.locator('.a4m-Coverage')).toContainText(`0 of ${BATCHES * ROWS} predictions labelled`, {
      timeout: 60_000
    });
    await expect(performance.locator('.a4m-PerformanceStatus')).toContainText('A window needs 5 labels');

    // The truth: the first window as predicted, the second all wrong; one row the server refuses.
    const csv = [
      'id,label',
      ...predicted.map(([id, cls], i) => `${id},${i < 20 ? cls : 1 - cls}`),
      'perf-9/0,dog'
    ].join('\n');
    const labels = performance.getByRole('form', { name: `Labels for ${name}` });
    await labels.getByLabel('Labels as CSV or JSON').fill(csv);
    await labels.getByRole('button', { name: 'Send labels' }).click();
    const result = labels.locator('.a4m-LabelsResult');
    await expect(result).toContainText(`${BATCHES * ROWS} labels stored`);
    await expect(result).toContainText('1 refused');
    await expect(labels.getByRole('list', { name: 'Refused rows' })).toContainText(
      "label: label 'dog' is not a number"
    );

    // Realized accuracy: 1 in window #0, 0 in window #1, which raised a performance alert.
    await expect(performance.locator('.a4m-Verdict')).toHaveText('Degraded');
    await expect(performance.locator('.a4m-PerformanceStatus')).toContainText(
      'accuracy 0 in window #1, measured on 20 labels; alert below'
    );
    await expect(performance.locator('.a4m-Coverage')).toContainText(`40 of 40 predictions labelled (100 %)`);
    const alert = performance.locator('.a4m-Alert[data-kind="performance"]').first();
    await expect(alert).toContainText('accuracy 0 in window 1');
    await expect(alert.locator('.a4m-Status')).toHaveText('open');

    const chart = performance.locator('.a4m-PerformanceChart');
    await expect(chart).toHaveAttribute('aria-label', /^accuracy over 2 windows: 2 realized on labels \(2 with enough/);
    await expect(chart.locator(CHART).first()).toBeVisible();
    const outputs = performance.locator('.a4m-OutputChart');
    await expect(outputs).toHaveAttribute('aria-label', /^Predicted classes of window 1 against the reference period/);
    await expect(outputs.locator(CHART).first()).toBeVisible();

    // Both themes: the charts are redrawn, axe-core finds nothing, and the sidebar is saved as it looks.
    for (const dark of [false, true]) {
      await chart
        .locator(CHART)
        .first()
        .evaluate(node => node.setAttribute('data-before-theme', ''));
      await setTheme(page, dark, 0);
      if (dark) {
        await expect(chart.locator(`:is(${CHART}):not([data-before-theme])`).first()).toBeVisible();
      }
      await expectAccessible(page, '#ai4mlops-lab-monitor section[aria-label="Performance"]');
      await shot(page, performance, 'performance', dark);
      await shot(page, labels, 'performance-labels', dark);
    }
    await setTheme(page, false, 0);

    await removeDeployment(page, card);
  });
});
