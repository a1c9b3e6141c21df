/** A KServe deployment's card says whether its drift is monitored by a job of the cluster, whether that job is alive
 * (its last pass, the server's last import of its results, a warning saying what to do when it stopped passing or
 * its results cannot be read), and schedules or stops it through the REST API
 * (`PUT|DELETE deployments/{name}/monitor-job`). */
import { act } from 'react';
import React from 'react';

import type { ApiError, IDeployment, IMonitorJobStatus } from '../api';
import { DeploymentsModel } from '../deploy/model';
import { DeploymentsView } from '../monitor/DeploymentsView';
import { intervalWords, jobWarnings, MonitorJob } from '../monitor/MonitorJob';
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
  // the run's id set apart from the sentence's emphasis
  expect(view.host.querySelector('[role="status"] .a4m-MonitorJob-run')!.textContent).toBe('rr-1');
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

const NOW = Date.parse('2026-01-01T12:00:00Z');
/** The time `minutes` before NOW, as the server writes it. */
const ago = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();
const alive: IMonitorJobStatus = {
  last_pass_at: ago(3),
  last_pass: { started_at: ago(3.1), objects: 2, events: 80, windows: 2, alerts: 0, closed: 0, error: null },
  last_checked_at: ago(0.5),
  last_imported_at: ago(1),
  windows_imported: 6,
  alerts_imported: 1,
  error: null,
  error_hint: null
};
/** A job every 5 min (a warning past 15 min without a pass), with `status`. */
const withStatus = (status: Partial<IMonitorJobStatus>) =>
  ({
    ...scheduled,
    config: { monitor_job: { ...scheduled.config.monitor_job, every_s: 300, scheduled_at: ago(60) } },
    monitor_job_status: { ...alive, ...status }
  }) as IDeployment;

describe('whether the job is alive', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.setSystemTime(NOW);
  });
  afterEach(() => jest.useRealTimers());

  async function card(deployment: IDeployment) {
    const model = await modelWith([deployment]);
    const view = mount(<MonitorJob deployment={deployment} model={model} trans={trans} />);
    const live = () => view.host.querySelector('.a4m-MonitorJob-live')?.textContent;
    const warnings = () => Array.from(view.host.querySelectorAll('[role="note"]')).map(n => n.textContent);
    return {
      view,
      live,
      warnings,
      done: () => (view.unmount(), model.dispose())
    };
  }

  it('says when the job last passed and when the server imported its results', async () => {
    const { view, live, warnings, done } = await card(withStatus({}));
    expect(live()).toBe('last pass 3 minutes ago · results imported 1 minute ago');
    // each part wraps as a whole in a narrow card
    const parts = Array.from(view.host.querySelectorAll('.a4m-MonitorJob-live .a4m-MonitorJob-part'));
    expect(parts.map(part => part.textContent)).toEqual(['last pass 3 minutes ago', 'results imported 1 minute ago']);
    expect(warnings()).toEqual([]);
    expect(view.host.querySelector('.a4m-MonitorJob-live')!.getAttribute('title')).toBe(
      'The server last checked the job’s results 30 seconds ago.'
    );
    done();
  });

  it('says what is not there yet, and shows nothing from a server that does not tell', async () => {
    const { live, done } = await card(
      withStatus({ last_pass_at: null, last_pass: null, last_imported_at: null, last_checked_at: null })
    );
    expect(live()).toBe('no pass seen yet · no results imported yet');
    done();
    const older = { ...scheduled } as IDeployment; // no monitor_job_status
    const second = await card(older);
    expect(second.live()).toBeUndefined();
    second.done();
  });

  it('warns when the last pass is older than 3 intervals, as time goes by, saying what to do', async () => {
    const { live, warnings, done } = await card(withStatus({ last_pass_at: ago(14) }));
    expect(warnings()).toEqual([]);
    act(() => {
      jest.setSystemTime(NOW + 2 * 60_000); // 16 min after the pass: no new reply needed
      jest.advanceTimersByTime(10_000);
    });
    expect(live()).toMatch(/^last pass 16 minutes ago/);
    expect(warnings()).toEqual([
      'The job’s last pass was 16 minutes ago (more than 3 intervals of 5 min): check its recurring run rr-1 in ' +
        'Kubeflow Pipelines (its failed runs’ logs say why); reschedule the job if the run is gone.'
    ]);
    done();
  });

  it('warns of a job that never passed since it was scheduled', () => {
    const deployment = withStatus({ last_pass_at: null, last_pass: null, last_imported_at: null });
    const job = deployment.config.monitor_job!;
    expect(jobWarnings(job, deployment.monitor_job_status!, trans, NOW)).toEqual([
      'No pass of the job since it was scheduled 1 hour ago (more than 3 intervals of 5 min): check its recurring ' +
        'run rr-1 in Kubeflow Pipelines (its failed runs’ logs say why); reschedule the job if the run is gone.'
    ]);
    // just scheduled: not yet
    expect(jobWarnings({ ...job, scheduled_at: ago(10) }, deployment.monitor_job_status!, trans, NOW)).toEqual([]);
    // a scheduler of one's own: no interval to judge by
    const own = { uri: URI };
    expect(jobWarnings(own, { ...alive, last_pass_at: ago(600) }, trans, NOW)).toEqual([]);
  });

  it('warns when the server could not read the results, with the server’s hint or its own', async () => {
    const error = 'Cannot reach the S3 endpoint http://minio:9000: EndpointConnectionError.';
    const { warnings, done } = await card(
      withStatus({ error, error_hint: 'Check AWS_ENDPOINT_URL (or S3_ENDPOINT) and that the server runs.' })
    );
    expect(warnings()).toEqual([
      `The server could not check the job’s results: ${error} Check AWS_ENDPOINT_URL (or S3_ENDPOINT) and that the ` +
        'server runs.'
    ]);
    done();
    const job = scheduled.config.monitor_job!;
    expect(jobWarnings(job, { ...alive, error, error_hint: null }, trans, NOW)).toEqual([
      `The server could not check the job’s results: ${error} Check the S3 endpoint (AWS_ENDPOINT_URL) and the ` +
        'credentials of this server.'
    ]);
  });
});
