/** Deploy names the run a person can tell apart (issue 13, items 5, 9 and 10): time, parameters, metric. */
import React from 'react';
import { act } from 'react';

import type { IDeployment, IRankedRuns, IRun } from '../api';
import { chooseRun, labelRuns, runLabel } from '../deploy/runLabel';
import { CallExamples, CopyButton, Signature } from '../deploy/usage';
import { trans } from './drift-fixtures';
import { mount } from './mount';

jest.mock('@jupyterlab/apputils', () => ({ Clipboard: { copyToSystem: jest.fn() } }));
jest.mock('@jupyterlab/ui-components', () => jest.requireActual('./ui-components-mock'));
const apputils = jest.requireMock('@jupyterlab/apputils');

/** An ISO time of today at hh:mm, local time. */
function today(hours: number, minutes: number): string {
  const at = new Date();
  at.setHours(hours, minutes, 0, 0);
  return at.toISOString();
}

function run(id: string, created_at: string, epochs: number, accuracy: number | null): IRun {
  return {
    id,
    created_at,
    parameters: { epochs, lr: 0.1 },
    metrics: accuracy === null ? {} : { accuracy, loss: 1 - (accuracy ?? 0) }
  } as unknown as IRun;
}

describe('run labels', () => {
  it('name the time, the parameters asked for and the metric', () => {
    const runs = [run('a', today(14, 2), 5, 0.9), run('b', today(14, 5), 1, 0.6)];
    expect(runLabel(runs[0], { name: 'accuracy', value: 0.93 }, ['epochs'], trans)).toBe(
      'run of 14:02, epochs=5, accuracy 0.93'
    );
  });
});

describe('the one-click choice', () => {
  const better = run('aaa111', today(14, 2), 5, 0.93);
  const worse = run('bbb222', today(14, 5), 1, 0.61);
  const ranking: IRankedRuns = {
    notebook_path: 'nb.ipynb',
    metric: { name: 'accuracy', higher_is_better: true },
    best: better.id,
    latest: worse.id,
    runs: [better, worse]
  };

  it('is the best run, and says why when the latest is worse', () => {
    const chosen = chooseRun(ranking, trans)!;
    expect(chosen.run).toBe(better);
    expect(chosen.label).toBe('run of 14:02, epochs=5, accuracy 0.93');
    expect(chosen.why).toBe(
      'Chosen for the highest accuracy of 2 runs; the latest, run of 14:05, epochs=1, accuracy 0.61, is worse.'
    );
    expect(chosen.label + chosen.why).not.toContain(better.id);
  });

  it('says nothing more when the latest run is the best', () => {
    expect(chooseRun({ ...ranking, latest: better.id }, trans)!.why).toBe('');
    expect(chooseRun({ ...ranking, runs: [] }, trans)).toBeNull();
  });

  it('labels every run of the options dialog, without a metric when none is reported', () => {
    const labels = labelRuns({ ...ranking, metric: null }, trans);
    expect(labels.get(worse.id)).toBe('run of 14:05, epochs=1');
  });
});

describe('the deployment card', () => {
  const deployment = {
    name: 'demo',
    signature: { inputs: [{ name: 'input-0', dtype: 'float32', shape: [-1, 3], features: ['a', 'b', 'c'] }] },
    usage: {
      v1: { url: 'http://x/v1', body: '{}', curl: 'curl -sS -X POST http://x/v1', python: 'import requests # v1' },
      v2: { url: 'http://x/v2', body: '{}', curl: 'curl -sS -X POST http://x/v2', python: 'import requests # v2' }
    }
  } as unknown as IDeployment;

  it('shows the input signature', () => {
    const { host, unmount } = mount(<Signature deployment={deployment} trans={trans} />);
    expect(host.textContent).toContain('input-0');
    expect(host.textContent).toContain('shape [rows, 3]');
    expect(host.textContent).toContain('float32');
    expect(host.textContent).toContain('features a, b, c');
    unmount();
  });

  it('shows curl and Python examples per protocol', () => {
    const { host, unmount } = mount(<CallExamples deployment={deployment} trans={trans} />);
    const code = () => Array.from(host.querySelectorAll('pre')).map(pre => pre.textContent);
    expect(code()).toEqual(['curl -sS -X POST http://x/v1', 'import requests # v1']);
    const v2 = Array.from(host.querySelectorAll('[role="tab"]')).find(tab => tab.textContent === 'V2') as HTMLElement;
    act(() => v2.click());
    expect(code()).toEqual(['curl -sS -X POST http://x/v2', 'import requests # v2']);
    unmount();
  });

  it('copies with an icon button that says Copied', () => {
    const { host, unmount } = mount(<CopyButton text="http://x/v1" label="Copy the V1 URL" trans={trans} />);
    const button = host.querySelector('button[aria-label="Copy the V1 URL"]') as HTMLButtonElement;
    expect(button.querySelector('svg')).not.toBeNull();
    expect(button.textContent).toBe('');
    act(() => button.click());
    expect(apputils.Clipboard.copyToSystem).toHaveBeenCalledWith('http://x/v1');
    expect(host.querySelector('[role="status"]')?.textContent).toBe('Copied');
    unmount();
  });
});
