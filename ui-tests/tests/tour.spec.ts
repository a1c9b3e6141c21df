/** The loop's main views in both themes, as a new user sees them at 1440x900 with the sidebars at their default
 * width: axe-core finds no accessibility violation in our panels, and each view is saved as a screenshot (CI
 * artifacts under ui-tests/screenshots/; the README shows some of them). */
import AxeBuilder from '@axe-core/playwright';
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { deployFromToolbar, openExample, trainExample } from './helpers';

/** axe-core's WCAG 2 A and AA rules on one of our panels: none may fail. */
async function expectAccessible(page: IJupyterLabPageFixture, selector: string): Promise<void> {
  const results = await new AxeBuilder({ page }).include(selector).withTags(['wcag2a', 'wcag2aa']).analyze();
  const found = results.violations.map(v => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => `${n.target.join(' ')}: ${n.failureSummary}`)
  }));
  expect(found, JSON.stringify(found, null, 2)).toEqual([]);
}

async function setTheme(page: IJupyterLabPageFixture, dark: boolean): Promise<void> {
  await page.evaluate(
    theme => window.jupyterapp.commands.execute('apputils:change-theme', { theme }),
    dark ? 'JupyterLab Dark' : 'JupyterLab Light'
  );
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', dark ? 'false' : 'true');
  await page.waitForTimeout(1000); // charts and the DAG are redrawn in the theme's colours
}

test.describe('tour', () => {
  test.setTimeout(420_000);
  test.use({ viewport: { width: 1440, height: 900 } });

  test('the main views pass axe-core in both themes', async ({ page, tmpPath }) => {
    await openExample(page, tmpPath, 'tour.ipynb');
    await trainExample(page, '5');
    await deployFromToolbar(page);

    for (const dark of [false, true]) {
      const theme = dark ? 'dark' : 'light';
      await setTheme(page, dark);
      await page.sidebar.openTab('ai4mlops-lab-pipeline');
      await expectAccessible(page, '#ai4mlops-lab-pipeline');
      await page.sidebar.openTab('ai4mlops-lab-monitor');
      await expectAccessible(page, '#ai4mlops-lab-monitor');
      await page.screenshot({ path: `screenshots/loop-${theme}.png` });
    }
  });
});
