/** Steps the browser tests share: open the example notebook, train it, deploy it, call the API. */
import * as fs from 'fs';
import * as path from 'path';

import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

const EXAMPLE = path.resolve(__dirname, '../../examples/torch-train.ipynb');

/** Upload the example notebook as `name` under `tmpPath` and open it (its step chips drawn). */
export async function openExample(page: IJupyterLabPageFixture, tmpPath: string, name: string): Promise<void> {
  await page.contents.uploadContent(fs.readFileSync(EXAMPLE, 'utf-8'), 'text', `${tmpPath}/${name}`);
  await page.filebrowser.open(`${tmpPath}/${name}`);
  await page.waitForSelector('.jp-NotebookPanel .a4m-StepChip');
}

/** Write a notebook of code cells (`[source, tags]`) to `path` as Jupyter saves it (sources as lists of
 * lines), with `metadata` added to its own, and open it. */
export async function openNotebook(
  page: IJupyterLabPageFixture,
  path: string,
  cells: [string, string[]][],
  metadata: Record<string, unknown> = {}
): Promise<void> {
  const notebook = {
    cells: cells.map(([source, tags]) => ({
      cell_type: 'code',
      source: source.split(/(?<=\n)/),
      metadata: tags.length ? { tags } : {},
      outputs: [],
      execution_count: null
    })),
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' },
      ...metadata
    },
    nbformat: 4,
    nbformat_minor: 5
  };
  await page.contents.uploadContent(JSON.stringify(notebook), 'text', path);
  await page.filebrowser.open(path);
  await page.waitForSelector('.jp-NotebookPanel .jp-Cell');
}

/** Run the open notebook locally from the Pipeline panel and wait until the run succeeded. */
export async function trainExample(page: IJupyterLabPageFixture, epochs = '5'): Promise<void> {
  await page.sidebar.openTab('ai4mlops-lab-pipeline');
  const panel = page.locator('#ai4mlops-lab-pipeline');
  await panel.getByLabel('Parameter epochs').fill(epochs);
  const status = panel.locator('.a4m-RunStatus');
  const before = (await status.count()) > 0 ? await status.getAttribute('data-run') : null;
  await panel.getByRole('button', { name: 'Run', exact: true }).click();
  // The status shows the previous run until the new one is listed.
  await expect(status).not.toHaveAttribute('data-run', before ?? '', { timeout: 30_000 });
  await expect(status).toHaveAttribute('data-status', 'succeeded', { timeout: 200_000 });
}

/** Deploy with the notebook toolbar's one-click button; the deployment's card once it is running. */
export async function deployFromToolbar(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.locator('.jp-NotebookPanel-toolbar [data-command="ai4mlops-lab:deploy"]').click();
  const card = page.locator('#ai4mlops-lab-monitor .a4m-Deployment').first();
  await expect(card.locator('.a4m-Status')).toHaveText('running', { timeout: 120_000 });
  return card;
}

/** Remove a deployment from its card and wait until the monitor lists none. */
export async function removeDeployment(page: IJupyterLabPageFixture, card: Locator): Promise<void> {
  await card.getByRole('button', { name: 'Remove' }).click();
  await expect(page.locator('#ai4mlops-lab-monitor .a4m-Deployment')).toHaveCount(0, { timeout: 30_000 });
}

/** Remove through the REST API every deployment a test left behind: a test that failed half-way would leave its
 * model server, and its name taken, to its retry and the tests after it. */
export async function removeDeploymentsLeft(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(async () => {
    const base = `${window.jupyterapp.serviceManager.serverSettings.baseUrl}ai4mlops-lab/api/deployments`;
    const headers = { 'X-XSRFToken': document.cookie.match(/_xsrf=([^;]+)/)?.[1] ?? '' };
    const listed = await fetch(base, { headers });
    const { deployments } = listed.ok ? await listed.json() : { deployments: [] };
    for (const { name } of deployments) {
      await fetch(`${base}/${name}`, { method: 'DELETE', headers });
    }
  });
}

/** Send a V1 request straight to a deployment's model server, as a client would (the test box's requests
 * are marked as tests and never count toward drift), e.g. with the `X-Request-Id` its labels will name. */
export async function predictDirect(
  page: IJupyterLabPageFixture,
  name: string,
  body: unknown,
  headers: Record<string, string> = {}
): Promise<{ status: number; text: string }> {
  const v1 = await page.evaluate(async name => {
    const base = window.jupyterapp.serviceManager.serverSettings.baseUrl;
    const response = await fetch(`${base}ai4mlops-lab/api/deployments/${name}`);
    return (await response.json()).endpoints.v1 as string;
  }, name);
  const response = await page.request.post(v1, { data: body, headers });
  return { status: response.status(), text: await response.text() };
}

/** `count` rows of the example's 10 standardised features, shifted by `shift` (the reference is ~N(0, 1)). */
export function shiftedRows(count: number, shift = 3): number[][] {
  return Array.from({ length: count }, () =>
    Array.from({ length: 10 }, () => {
      const gaussian = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
      return shift + gaussian;
    })
  );
}

/** axe-core's WCAG 2 A and AA rules on one of our panels: none may fail. */
export async function expectAccessible(page: IJupyterLabPageFixture, selector: string): Promise<void> {
  const results = await new AxeBuilder({ page }).include(selector).withTags(['wcag2a', 'wcag2aa']).analyze();
  const found = results.violations.map(v => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => `${n.target.join(' ')}: ${n.failureSummary}`)
  }));
  expect(found, JSON.stringify(found, null, 2)).toEqual([]);
}

/** Switch JupyterLab's theme and wait until it applies, then `settleMs` more for charts and icons to redraw. */
export async function setTheme(page: IJupyterLabPageFixture, dark: boolean, settleMs = 800): Promise<void> {
  await page.evaluate(
    theme => window.jupyterapp.commands.execute('apputils:change-theme', { theme }),
    dark ? 'JupyterLab Dark' : 'JupyterLab Light'
  );
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', dark ? 'false' : 'true');
  if (settleMs > 0) {
    await page.waitForTimeout(settleMs);
  }
}

/**
 * The sidebar at its default width with `section` scrolled to its top, in the light then the dark theme, as
 * screenshots/NAME-THEME.png; `check` runs in each theme before the shot (e.g. axe-core). Ends in the light theme.
 */
export async function shootThemes(
  page: IJupyterLabPageFixture,
  sidebar: Locator,
  section: Locator,
  name: string,
  check?: () => Promise<void>
): Promise<void> {
  for (const dark of [false, true]) {
    await setTheme(page, dark);
    await check?.();
    await section.evaluate(node => node.scrollIntoView({ block: 'start' }));
    await page.screenshot({
      path: `screenshots/${name}-${dark ? 'dark' : 'light'}.png`,
      clip: (await sidebar.boundingBox())!
    });
  }
  await setTheme(page, false, 0);
}
