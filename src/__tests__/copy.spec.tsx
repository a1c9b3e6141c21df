/** Copy that reads well (issue 13, item 14): plurals, and a relative time that advances. */
import React from 'react';
import { act } from 'react';

import type { IDeployment } from '../api';
import { DeploymentsModel } from '../deploy/model';
import { When } from '../components/When';
import { DeploymentsView } from '../monitor/DeploymentsView';
import type { IRunsModel } from '../tokens';
import { trans } from './drift-fixtures';
import { mount } from './mount';

jest.mock('@jupyterlab/apputils', () => ({ Clipboard: { copyToSystem: jest.fn() } }));
jest.mock('@jupyterlab/ui-components', () => jest.requireActual('./ui-components-mock'));
jest.mock('../api', () => ({ ...jest.requireActual('../api'), pollAPI: jest.fn() }));
const api = jest.requireMock('../api');

it('says 1 request, 1 error and 2 requests, 0 errors', async () => {
  for (const [requests, errors, text] of [
    [1, 1, '1 request, 1 error'],
    [2, 0, '2 requests, 0 errors']
  ] as const) {
    const deployment = {
      name: 'demo',
      status: 'stopped',
      target: 'local',
      model_name: 'train/model',
      run_id: null,
      error: null,
      endpoints: null,
      stats: { requests, errors }
    } as unknown as IDeployment;
    api.pollAPI.mockResolvedValue({ changed: true, etag: '"1"', data: { deployments: [deployment] } });
    const model = new DeploymentsModel();
    await model.refresh();
    const { host, unmount } = mount(<DeploymentsView model={model} runs={{} as IRunsModel} trans={trans} />);
    expect(host.textContent).toContain(text);
    unmount();
    model.dispose();
  }
});

it('advances a relative time while it shows', () => {
  jest.useFakeTimers();
  try {
    jest.setSystemTime(new Date('2026-01-01T12:00:00Z'));
    const { host, unmount } = mount(<When iso="2026-01-01T11:59:58Z" />);
    const before = host.textContent;
    act(() => {
      jest.setSystemTime(new Date('2026-01-01T12:05:00Z'));
      jest.advanceTimersByTime(10_000);
    });
    expect(host.textContent).not.toBe(before);
    expect(host.textContent).toMatch(/5 minutes ago/);
    unmount();
  } finally {
    jest.useRealTimers();
  }
});
