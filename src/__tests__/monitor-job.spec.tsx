/** A KServe deployment's card says whether its drift is monitored by a job of the cluster, and schedules or stops
 * it through the REST API (`PUT|DELETE deployments/{name}/monitor-job`). */
import { act } from 'react';
import React from 'react';

import type { ApiError, IDeployment } from '../api';
import { DeploymentsModel } from '../deploy/model';
import { DeploymentsView } from '../monitor/DeploymentsView';
import { intervalWords, MonitorJob } from '../monitor/MonitorJob';
import type { IRunsModel } from '../tokens';
import { trans } from './drift-fixtures';
import { mount } from './mount';

jest.mock('@jupyterlab/apputils', () => ({ Clipboard: { copyToSystem: jest.fn() } }));
jest.mock('@jupyterlab/ui-components', () => jest.requireActual('./ui-components-mock'));
jest.mock('../api', () => ({
  ...jest.requireActual('../api'),
  scheduleMonitorJob: jest.fn(),
  unscheduleMonitorJob: jest.fn(),
  pollAPI: jest.fn()
}));
const api = jest.requireMock('../api');

const URI = 's3://logs/inference/_ai4mlops/monitor/models/iris/';
const kserve = {
  name: 'iris',
  status: 'running',
  target: 'kserve',
  model_name: 'train/model',
  run_id: null,
  error: null,
  endpoints: null,
  stats: null,
  config: {}
} as unknown as IDeployment;
const scheduled = {
  ...kserve,
  config: {
    monitor_job: { uri: URI, every_s: 600, image: 'predictor:1', kfp_recurring_run_id: 'rr-1', s3_secret: 's3-creds' }
  }
} as unknown as IDeployment;

const button = (host: HTMLElement, text: string) =>
  Array.from(host.querySelectorAll('button')).find(b => b.textContent === text);
const byLabel = <T extends HTMLElement>(host: HTMLElement, label: string) =>
  host.querySelector(`[aria-label="${label}"]`) as T;

/** Set a field's value as a user does (React listens to the native setter's event). */
function type(input: HTMLInputElement, value: string) {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

async function modelWith(deployments: IDeployment[]): Promise<DeploymentsModel> {
  api.pollAPI.mockResolvedValue({ changed: true, etag: '"1"', data: { deployments } });
  const model = new DeploymentsModel();
  await model.refresh();
  api.pollAPI.mockClear();
  return model;
}

async function submit(host: HTMLElement) {
  await act(async () => {
    host.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  });
}

afterEach(() => jest.clearAllMocks());

it('says the Jupyter server monitors a deployment without a job, and schedules one with the interval given', async () => {
  const model = await modelWith([kserve]);
  const view = mount(<MonitorJob deployment={kserve} model={model} trans={trans} />);
  expect(view.host.querySelector('[role="status"]')!.textContent).toMatch(/monitored by this Jupyter server/);
  expect(button(view.host, 'Stop cluster monitoring')).toBeUndefined();

  act(() => button(view.host, 'Monitor on the cluster…')!.click());
  const every = byLabel<HTMLInputElement>(view.host, 'Seconds between passes');
  expect(every.value).toBe('300');
  act(() => type(every, '900'));
  api.scheduleMonitorJob.mockResolvedValue(scheduled);
  await submit(view.host);

  // no image: the server's predictor image; no secret: none sent
  expect(api.scheduleMonitorJob).toHaveBeenCalledWith('iris', { every: 900 });
  expect(api.pollAPI).toHaveBeenCalledWith('deployments', '"1"'); // the card follows at once
  expect(view.host.querySelector('form')).toBeNull();
  view.unmount();
  model.dispose();
});

it('shows a scheduled job at a glance (interval, recurring run, results) and stops it', async () => {
  const model = await modelWith([scheduled]);
  const view = mount(<MonitorJob deployment={scheduled} model={model} trans={trans} />);
  const section = byLabel(view.host, 'Monitoring job of iris');
  expect(section.dataset.scheduled).toBe('true');
  expect(view.host.querySelector('[role="status"]')!.textContent).toBe(
    'Drift monitored on the cluster every 10 min (KFP recurring run rr-1); the server imports its results.'
  );
  expect(view.host.querySelector('.a4m-Url')!.textContent).toBe(URI);

  act(() => button(view.host, 'Change interval…')!.click());
  expect(byLabel<HTMLInputElement>(view.host, 'Seconds between passes').value).toBe('600');
  expect(byLabel<HTMLInputElement>(view.host, 'S3 secret').value).toBe('s3-creds'); // kept when rescheduled
  act(() => button(view.host, 'Cancel')!.click());

  api.unscheduleMonitorJob.mockResolvedValue(kserve);
  await act(async () => button(view.host, 'Stop cluster monitoring')!.click());
  expect(api.unscheduleMonitorJob).toHaveBeenCalledWith('iris');
  view.unmount();
  model.dispose();
});

it('shows a refusal at the field it names, else under the form, and keeps the form open', async () => {
  const model = await modelWith([kserve]);
  const view = mount(<MonitorJob deployment={kserve} model={model} trans={trans} />);
  act(() => button(view.host, 'Monitor on the cluster…')!.click());
  api.scheduleMonitorJob.mockRejectedValueOnce(
    new api.ApiError(422, {
      error: 'invalid_value',
      field: 'every',
      detail: '5 is not a whole number of seconds from 60 to 86400.',
      hint: 'e.g. 300'
    }) as ApiError
  );
  await submit(view.host);
  const every = byLabel<HTMLInputElement>(view.host, 'Seconds between passes');
  expect(every.getAttribute('aria-invalid')).toBe('true');
  expect(view.host.querySelector(`#${every.getAttribute('aria-describedby')}`)!.textContent).toMatch(/60 to 86400/);

  api.scheduleMonitorJob.mockRejectedValueOnce(
    new api.ApiError(422, {
      error: 'invalid_value',
      field: 'name',
      detail: "'iris' is not a KServe deployment whose logger writes to a bucket.",
      hint: 'Set log_storage_uri.'
    }) as ApiError
  );
  await submit(view.host);
  expect(every.getAttribute('aria-invalid')).toBe('false');
  expect(view.host.querySelector('[role="alert"]')!.textContent).toMatch(/logger writes to a bucket/);
  expect(view.host.querySelector('form')).not.toBeNull();
  view.unmount();
  model.dispose();
});

it('shows on KServe cards only', async () => {
  const local = { ...kserve, name: 'local-iris', target: 'local' } as IDeployment;
  const model = await modelWith([kserve, local]);
  const view = mount(<DeploymentsView model={model} runs={{} as IRunsModel} trans={trans} />);
  expect(byLabel(view.host, 'Monitoring job of iris')).not.toBeNull();
  expect(byLabel(view.host, 'Monitoring job of local-iris')).toBeNull();
  view.unmount();
  model.dispose();
});

it('says an interval in its largest whole unit', () => {
  expect([300, 7200, 90, 86_400].map(s => intervalWords(s, trans))).toEqual(['5 min', '2 h', '90 s', '24 h']);
});
