/** The deployments view shows why a stop or restart failed (issue 10, item 11). */
import React from 'react';
import { act } from 'react';

import type { ApiError, IDeployment } from '../api';
import { DeploymentsModel } from '../deploy/model';
import { DeploymentsView, jsonErrorOffset, parseRequest } from '../monitor/DeploymentsView';
import type { IRunsModel } from '../tokens';
import { trans } from './drift-fixtures';

jest.mock('@jupyterlab/apputils', () => ({ Clipboard: { copyToSystem: jest.fn() } }));
jest.mock('@jupyterlab/ui-components', () => jest.requireActual('./ui-components-mock'));
jest.mock('../api', () => ({
  ...jest.requireActual('../api'),
  deploymentAction: jest.fn(),
  pollAPI: jest.fn()
}));
const api = jest.requireMock('../api');

const { createRoot } = jest.requireActual('react-dom/client');
(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

const failed = {
  name: 'demo',
  status: 'failed',
  target: 'local',
  model_name: 'train/model',
  run_id: null,
  error: null,
  endpoints: null,
  stats: null
} as unknown as IDeployment;

it('shows the error of a failed restart and lets the user try again', async () => {
  api.deploymentAction.mockRejectedValue(
    new api.ApiError(409, {
      error: 'port_in_use',
      detail: 'Port 8123 of deployment demo is in use.',
      hint: 'Stop it.'
    }) as ApiError
  );
  api.pollAPI.mockResolvedValue({ changed: true, etag: '"1"', data: { deployments: [failed] } });
  const model = new DeploymentsModel();
  await model.refresh();
  api.pollAPI.mockClear();
  const host = document.createElement('div');
  document.body.appendChild(host);
  const root = createRoot(host);
  await act(async () => {
    root.render(<DeploymentsView model={model} runs={{} as IRunsModel} trans={trans} />);
  });
  const restart = Array.from(host.querySelectorAll('button')).find(b => b.textContent === 'Restart')!;
  await act(async () => {
    restart.click();
  });
  expect(api.deploymentAction).toHaveBeenCalledWith('demo', 'restart');
  expect(host.querySelector('[role="alert"]')?.textContent).toBe('Port 8123 of deployment demo is in use. Stop it.');
  expect(restart.disabled).toBe(false);
  expect(api.pollAPI).toHaveBeenCalledWith('deployments', '"1"'); // the model refreshed after the write
  act(() => root.unmount());
  model.dispose();
});

describe('the test box request (issue 13, item 12)', () => {
  const withExample = {
    ...failed,
    config: { metadata: { model: { example: [[0.5, 1.5]] } } }
  } as unknown as IDeployment;

  it('answers a bare list with the V1/V2 bodies and this deployment’s example, not another route’s', () => {
    expect(() => parseRequest('[[0.5, 1.5]]', withExample, trans)).toThrow(
      /not a bare list: a V1 body \{"instances".*a V2 body \{"inputs".*\{"instances":\[\[0.5,1.5\]\]\}/
    );
    expect(() => parseRequest('[[0.5, 1.5]]', withExample, trans)).not.toThrow(/notebook/);
  });

  it('names where invalid JSON breaks, in plain words', () => {
    const error = (() => {
      try {
        parseRequest('{"instances": [[1, 2]],\n "x": }', withExample, trans);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(error).toBe('The request is not valid JSON: line 2, column 7, at “}”.');
    expect(error).not.toMatch(/SyntaxError|position/);
    expect(() => parseRequest('{"instances": [[1,', withExample, trans)).toThrow(
      'The request is not valid JSON: it ends too early (line 1, column 19).'
    );
    expect(() => parseRequest(' ', withExample, trans)).toThrow('The request is empty: write a JSON object.');
  });

  it('passes a V1 body through', () => {
    expect(parseRequest('{"instances": [[1]]}', withExample, trans)).toEqual({ instances: [[1]] });
  });
});

it('finds where JSON breaks', () => {
  expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
  expect(jsonErrorOffset('[1, 2] x')).toBe(7);
  expect(jsonErrorOffset('{"a": tru}')).toBe(9);
  expect(jsonErrorOffset('{"a": "b\\q"}')).toBe(9);
  expect(jsonErrorOffset('[1e5, -0.5, "\\u00e9", true, null, {}]')).toBe(-1);
});

describe('what serves a deployment (issue 18)', () => {
  const triton = {
    ...failed,
    name: 'net',
    status: 'running',
    target: 'kserve',
    config: {},
    endpoints: { v2: 'http://net/v2/models/model/infer', metadata: 'http://net/v2/models/model' },
    runtime: { name: 'triton', label: 'KServe Triton runtime (ONNX)', protocols: ['v2'], fallback: null },
    usage: { v2: { url: 'http://net/v2', body: '{}', curl: 'curl -sS http://net/v2', python: 'import requests' } }
  } as unknown as IDeployment;
  const why = 'No ONNX export of the torch model: ImportError: onnx is not installed where the step ran';
  const image = {
    ...triton,
    name: 'old',
    runtime: { name: 'predictor-image', label: 'ai4mlops predictor image', protocols: ['v1', 'v2'], fallback: why }
  } as unknown as IDeployment;

  async function render(deployments: IDeployment[]) {
    api.pollAPI.mockResolvedValue({ changed: true, etag: '"2"', data: { deployments } });
    const model = new DeploymentsModel();
    await model.refresh();
    const host = document.createElement('div');
    document.body.appendChild(host);
    const root = createRoot(host);
    await act(async () => {
      root.render(<DeploymentsView model={model} runs={{} as IRunsModel} trans={trans} />);
    });
    const card = (name: string) => host.querySelector(`[data-deployment="${name}"]`) as HTMLElement;
    return { card, done: () => (act(() => root.unmount()), model.dispose()) };
  }

  it('names the runtime, lists only the protocols it speaks, and says why an image serves a torch model', async () => {
    const { card, done } = await render([triton, image]);
    expect(card('net').textContent).toContain('served by the KServe Triton runtime (ONNX)');
    expect(Array.from(card('net').querySelectorAll('.a4m-Endpoints code')).map(c => c.textContent)).toEqual(['V2']);
    expect(Array.from(card('net').querySelectorAll('[role="tab"]')).map(t => t.textContent)).toEqual(['V2']);
    expect(card('net').querySelector('pre')?.textContent).toBe('curl -sS http://net/v2');
    expect(card('net').querySelector('[role="note"]')).toBeNull();
    expect(card('old').textContent).toContain('served by the ai4mlops predictor image');
    expect(card('old').querySelector('[role="note"]')?.textContent).toBe(why);
    done();
  });
  it('says when the status could not be read from the cluster, and why', async () => {
    const unread = { ...triton, name: 'far', refresh_error: 'The cluster did not answer: connection refused.' };
    const { card, done } = await render([triton, unread as IDeployment]);
    expect(card('far').querySelector('.a4m-mod-warning')?.textContent).toBe(
      'Its status could not be read from the cluster (what is shown is what the cluster said before): ' +
        'The cluster did not answer: connection refused.'
    );
    expect(card('net').querySelector('.a4m-mod-warning')).toBeNull();
    done();
  });
});
