/**
 * The monitor's runs list and run comparison at the default sidebar width (issue 13, items 3, 4 and
 * 8), and the property inspector's step fields fitting theirs.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { expectAccessible, openNotebook } from './helpers';

const EXPERIMENT = 'compare-ui';

test.use({ viewport: { width: 1440, height: 900 } });

/** A tiny notebook: a parameter, a step, two metrics (accuracy higher, loss lower is better). */
const CELLS: [string, string[]][] = [
  ['epochs = 3\nlr = 0.1', ['pipeline-parameters']],
  ['loss = 1.0 / epochs\naccuracy = 1 - loss / 2', ['step:train']],
  ['print(accuracy)\nprint(loss)', ['pipeline-metrics']]
];

/** Start a run per value of epochs through the REST API (as the Pipeline panel's Run does). */
async function startRuns(page: IJupyterLabPageFixture, path: string, epochs: number[]): Promise<void> {
  for (const value of epochs) {
    const response = await page.request.post('/ai4mlops-lab/api/runs', {
      data: { path, parameters: { epochs: value }, experiment: EXPERIMENT }
    });
    expect(response.status()).toBe(202);
  }
}

/** Descendants of `root` that are wider than their box or stick out of `panel` (as "tag.class" strings). */
async function overflowing(root: Locator, panel: Locator): Promise<string[]> {
  const box = (await panel.boundingBox())!;
  return root.evaluate(
    (node, { left, right }) =>
      [node, ...node.querySelectorAll('*')]
        .filter(el => {
          // What a box that scrolls sideways holds may be wider: that box itself must fit.
          if (el.parentElement?.closest('.a4m-Compare-scroll')) {
            return false;
          }
          const r = el.getBoundingClientRect();
          const scrolls = getComputedStyle(el).overflowX === 'auto';
          return (
            r.width > 0 &&
            (r.left < left - 1 || r.right > right + 1 || (!scrolls && el.scrollWidth > el.clientWidth + 1))
          );
        })
        .map(el => `${el.tagName.toLowerCase()}.${el.className}`),
    { left: box.x, right: box.x + box.width }
  );
}

/** Mean luminance (0 black to 1 white) of a screenshot of the element, measured in the page. */
async function luminance(page: IJupyterLabPageFixture, element: Locator): Promise<number> {
  const png = (await element.screenshot()).toString('base64');
  return page.evaluate(async data => {
    const image = await createImageBitmap(await (await fetch(`data:image/png;base64,${data}`)).blob());
    const canvas = new OffscreenCanvas(image.width, image.height);
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, image.width, image.height).data;
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      sum += 0.2126 * pixels[i] + 0.7152 * pixels[i + 1] + 0.0722 * pixels[i + 2];
    }
    return sum / (pixels.length / 4) / 255;
  }, png);
}

/** Drag the handle between the main area and the right sidebar `by` pixels to the left. */
async function widenRightSidebar(page: IJupyterLabPageFixture, by: number): Promise<void> {
  const handle = page.locator('#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)').last();
  const box = (await handle.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - by, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
}

test.describe('experiments view', () => {
  test.setTimeout(180_000);

  test('runs list and comparison fit the default sidebar, in light and dark', async ({ page, tmpPath }) => {
    await openNotebook(page, `${tmpPath}/tiny.ipynb`, CELLS);
    await startRuns(page, `${tmpPath}/tiny.ipynb`, [2, 8]);

    await page.sidebar.openTab('ai4mlops-lab-monitor');
    const monitor = page.locator('#ai4mlops-lab-monitor');
    await monitor.getByLabel('Experiment', { exact: true }).selectOption(EXPERIMENT);
    const cards = monitor.locator('.a4m-RunCard');
    await expect(cards).toHaveCount(2, { timeout: 60_000 });
    await expect(cards.locator('.a4m-Status', { hasText: 'succeeded' })).toHaveCount(2, { timeout: 90_000 });
    // Human names, values and the differing parameter; no hex id as the name.
    await expect(cards.locator('.a4m-RunCard-name')).toHaveText([/^run \d+$/, /^run \d+$/]);
    await expect(cards.first()).toContainText('accuracy');
    await expect(cards.first()).toContainText('epochs');

    // Nothing in the runs list is cut off at the default width; the filter fills its row.
    const list = monitor.locator('.a4m-Experiments');
    expect(await overflowing(list, monitor)).toEqual([]);
    const filter = monitor.getByLabel('Filter runs');
    expect((await filter.boundingBox())!.width).toBeGreaterThanOrEqual(150);

    // Sorting by a metric, from the keyboard, reorders the cards and says so.
    await monitor.getByLabel('Sort runs by').selectOption('metric:loss');
    await expect(monitor.locator('.a4m-RunList')).toHaveAttribute('aria-label', /sorted by loss, descending/);
    const losses = await cards.locator('.a4m-RunCard-metric dd').first().allTextContents();
    await monitor.getByRole('button', { name: /Descending/ }).press('Enter');
    await expect(monitor.locator('.a4m-RunList')).toHaveAttribute('aria-label', /ascending/);
    expect(await cards.locator('.a4m-RunCard-metric dd').first().allTextContents()).not.toEqual(losses);
    await filter.fill('succeeded');
    await expect(cards).toHaveCount(2);
    await page.screenshot({ path: 'screenshots/monitor-runs-light.png' });

    // Compare both: a table with both values and the parameter, the best marked, and a chart.
    for (const box of await cards.getByRole('checkbox').all()) {
      await box.check();
    }
    const compare = monitor.locator('.a4m-Compare');
    const table = compare.locator('.a4m-CompareTable');
    await expect(table.locator('tbody tr')).toHaveCount(2);
    await expect(table.locator('thead')).toContainText('epochs');
    for (const [epochs, loss] of [
      ['2', '0.5'],
      ['8', '0.125']
    ]) {
      const row = table.locator('tbody tr', { has: page.locator('td', { hasText: new RegExp(`^${epochs}$`) }) });
      await expect(row).toContainText(loss);
    }
    await expect(table.locator('.a4m-mod-best')).toHaveCount(2); // the best accuracy and the best loss
    const chart = compare.locator('.a4m-CompareChart');
    await expect(chart.locator('canvas, svg').first()).toBeVisible();
    const size = (await chart.boundingBox())!;
    expect(size.width).toBeGreaterThan(150);
    expect(size.height).toBeGreaterThan(100);
    expect(await overflowing(list, monitor)).toEqual([]);

    await page.screenshot({ path: 'screenshots/monitor-compare-light.png' });

    // Widened, the runs list grows into columns and the filter keeps filling its share.
    await widenRightSidebar(page, 300);
    expect((await monitor.boundingBox())!.width).toBeGreaterThan(500);
    expect(await overflowing(list, monitor)).toEqual([]);
    expect((await filter.boundingBox())!.width).toBeGreaterThanOrEqual(150);
    // Columns: the time beside the name, not below it.
    const name = (await cards.first().locator('.a4m-RunCard-name').boundingBox())!;
    const time = (await cards.first().locator('.a4m-RunCard-time').boundingBox())!;
    expect(time.x).toBeGreaterThan(name.x + name.width);
    // The chart follows the panel's width.
    await expect.poll(async () => (await chart.boundingBox())!.width).toBeGreaterThan(size.width + 200);
    await page.screenshot({ path: 'screenshots/monitor-runs-wide.png' });
    await widenRightSidebar(page, -300);

    await page.theme.setDarkTheme();
    await expect(chart.locator('canvas, svg').first()).toBeVisible();
    await expect.poll(() => luminance(page, chart)).toBeLessThan(0.4);
    await compare.scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'screenshots/monitor-compare-dark.png' });
    await expectAccessible(page, '#ai4mlops-lab-monitor');
    await page.theme.setLightTheme();
  });

  test('the step fields fit the property inspector', async ({ page, tmpPath }) => {
    await openNotebook(page, `${tmpPath}/fields.ipynb`, CELLS);
    await page.notebook.selectCells(1);
    await page.sidebar.openTab('jp-property-inspector');
    const inspectorPanel = page.locator('#jp-property-inspector');
    await inspectorPanel.getByText('Pipeline step', { exact: true }).first().click();
    const editor = page.locator('.a4m-StepInspector .a4m-StepEditor');
    await expect(editor.getByLabel('Step name')).toHaveValue('train');
    const setting = editor.getByLabel('New setting');
    await setting.fill('image:registry.example.com/team/python:3.11-slim-bookworm');
    await setting.press('Enter');
    await expect(editor.locator('.a4m-Settings li')).toHaveCount(1);
    expect(await overflowing(editor, inspectorPanel)).toEqual([]);
  });
});
