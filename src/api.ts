/**
 * The only module that talks to the ai4mlops-lab server extension.
 * Token and XSRF handling come from `ServerConnection.makeRequest`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** The URL prefix of every route of the extension's REST API. */
export const API_NAMESPACE = 'ai4mlops-lab/api';

/** The JSON error body every route answers with when it fails. */
export interface IApiErrorBody {
  error: string;
  detail: string;
  hint: string;
  /** A 422 names the setting at fault. */
  field?: string;
}

/** A failed API call, carrying the server's explanation and what to do about it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: IApiErrorBody
  ) {
    super(body.detail || body.error);
    this.name = 'ApiError';
  }

  /** The message to show a user: what went wrong, then the hint. */
  get userMessage(): string {
    return this.body.hint ? `${this.body.detail} ${this.body.hint}` : this.body.detail;
  }
}

/** Versions and backend facts reported by `GET /health`. */
export interface IHealth {
  ai4mlops_lab: string;
  versions: Record<string, string | null>;
  kfp_host_configured: boolean;
  kubeconfig_found: boolean;
  local_backends: Record<string, string>;
}

async function errorBody(response: Response): Promise<IApiErrorBody> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed.detail === 'string') {
      const body = { error: parsed.error ?? 'error', detail: parsed.detail, hint: parsed.hint ?? '' };
      return typeof parsed.field === 'string' ? { ...body, field: parsed.field } : body;
    }
  } catch {
    // not JSON: fall through to a generic body
  }
  return {
    error: 'http_error',
    detail: `The server answered ${response.status} ${response.statusText}.`,
    hint: 'Check that the ai4mlops-lab server extension is installed and enabled.'
  };
}

/**
 * Call a route of the API and return its parsed JSON body.
 *
 * @param endPoint path under `/ai4mlops-lab/api/`, e.g. `health`
 * @param init fetch options; a plain object `body` is sent as JSON
 * @throws ApiError when the server answers with an error
 */
export async function requestAPI<T>(
  endPoint: string,
  init: Omit<RequestInit, 'body'> & { body?: unknown } = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
  const { body, ...rest } = init;
  const request: RequestInit = { ...rest };
  if (body !== undefined) {
    request.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, request, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  if (!response.ok) {
    throw new ApiError(response.status, await errorBody(response));
  }
  const text = await response.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** Installed versions and configured backends. */
export function fetchHealth(): Promise<IHealth> {
  return requestAPI<IHealth>('health');
}

/** A problem the compiler found, anchored to a cell (index) and a line in it. */
export interface IDiagnostic {
  severity: 'error' | 'warning' | 'info';
  cell: number | null;
  line: number | null;
  message: string;
  hint: string;
}

/** A value a step receives: from an upstream step's output, or a pipeline parameter (`from: null`). */
export interface IStepInput {
  name: string;
  from: string | null;
  type: string;
}

/** One step of the pipeline. */
export interface IStepInfo {
  name: string;
  cells: number[];
  after: string[];
  inputs: IStepInput[];
  outputs: { name: string; type: string }[];
  parameters: string[];
  metrics: { name: string; variable: string }[];
  packages: string[];
  settings: Record<string, unknown>;
  /** The notebook's step image, when the step runs in it on a cluster (it names no image of its own). */
  image: string | null;
}

/** The image `ai4mlops image` built with the steps' packages, as the notebook records it. */
export interface IStepImage {
  image: string;
  /** The pinned requirements it holds. */
  packages: string[];
}

/** The notebook's pipeline-level settings (those the UI shows). */
export interface IPipelineSettings {
  base_image: string;
  step_image: IStepImage | null;
}

/** A DAG edge: data passed (variables) or an explicit `prev:`. */
export interface IEdgeInfo {
  source: string;
  target: string;
  variables: string[];
  kind: 'data' | 'prev';
}

/** What `analyze` and `compile` answer. */
export interface IPipelineInfo {
  ok: boolean;
  pipeline: string;
  parameters: { name: string; type: string; default: unknown }[];
  steps: IStepInfo[];
  edges: IEdgeInfo[];
  diagnostics: IDiagnostic[];
  files: string[];
  settings: IPipelineSettings;
}

/** Steps, edges and diagnostics of a notebook's current content, writing nothing. */
export function analyzeNotebook(notebook: unknown, name: string): Promise<IPipelineInfo> {
  return requestAPI<IPipelineInfo>('analyze', { method: 'POST', body: { notebook, name } });
}

/** Compile a saved notebook; the answer lists the files written (paths under the server root). */
export function compileNotebook(path: string): Promise<IPipelineInfo> {
  return requestAPI<IPipelineInfo>('compile', { method: 'POST', body: { path } });
}

/** A step of a run. */
export interface IRunStep {
  name: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cached' | 'cancelled' | 'interrupted';
  started_at: string | null;
  finished_at: string | null;
  duration: number | null;
  error: string | null;
  /** Present in a run's detail: the step's metrics and output parameters. */
  metrics?: Record<string, number | null>;
  outputs?: Record<string, unknown>;
}

/** A file a step produced (dataset, model, ...). */
export interface IArtifact {
  step: string;
  name: string;
  uri: string;
  type: string;
  size: number | null;
  metadata: Record<string, unknown>;
}

/** A run of a notebook's pipeline. */
export interface IRun {
  id: string;
  experiment: string;
  notebook_path: string;
  pipeline: string;
  target: 'local' | 'kfp';
  parameters: Record<string, unknown>;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration: number | null;
  error: string | null;
  steps: IRunStep[];
  /** Every metric of the run (a name logged by several steps: the last step's value). */
  metrics: Record<string, number | null>;
  /** In a run's detail only. */
  artifacts?: IArtifact[];
  /** The schedule whose due time started the run (null: started by hand). */
  schedule?: string | null;
  /** The data trigger whose file(s) started the run. */
  trigger?: string | null;
}

/** How a schedule fires: on a cron expression in a time zone, or every so often. */
export type ScheduleTrigger = 'cron' | 'interval';

/** One due time of a schedule and what became of it. */
export interface IScheduleFire {
  schedule_id: number;
  /** Epoch seconds. */
  due: number;
  outcome: 'claimed' | 'started' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  reason: string | null;
  /** The run it started (null on KFP: see `kfp_run`). */
  run_id: string | null;
  fired_at: string;
  /** On KFP: the run the recurring run started there. */
  kfp_run?: { run_id: string; name: string | null; status: IRun['status']; url: string | null };
}

/** A schedule: a notebook run locally on a trigger; trigger times in epoch seconds. */
export interface ISchedule {
  id: number;
  name: string;
  notebook_path: string;
  /** The kept compiled pipeline each run runs (its sha256); null: the notebook is compiled at each run. */
  pin: string | null;
  parameters: Record<string, unknown>;
  /** kfp: a recurring run on the Kubeflow Pipelines server fires it (cron in UTC only). */
  target: 'local' | 'kfp';
  /** Null: the notebook's experiment. */
  experiment: string | null;
  trigger: ScheduleTrigger;
  expression: string;
  time_zone: string;
  start_at: number | null;
  end_at: number | null;
  max_concurrent: number;
  catch_up: boolean;
  enabled: boolean;
  /** Null while disabled or past its end. */
  next_due: number | null;
  /** Its latest handled due time (null before the first, and on KFP: see its fires). */
  last_fire: IScheduleFire | null;
  created_at: string;
  updated_at: string;
}

/** A schedule with its next five fire times (ISO-8601 in its time zone; empty while disabled or ended). */
export interface IScheduleDetail extends ISchedule {
  next_times: string[];
}

/** The fields a request may set on a schedule; times are ISO-8601 without an offset (in its time zone). */
export interface IScheduleFields {
  name?: string;
  notebook_path?: string;
  /** true: compile the notebook now and run that pipeline at each due time (true again re-pins); false: compile at
   * each run (refused on KFP, always pinned). */
  pin?: boolean | null;
  parameters?: Record<string, unknown>;
  /** Cannot change. */
  target?: 'local' | 'kfp';
  experiment?: string | null;
  trigger?: ScheduleTrigger;
  expression?: string;
  time_zone?: string;
  start_at?: string | null;
  end_at?: string | null;
  max_concurrent?: number;
  catch_up?: boolean;
  enabled?: boolean;
}

function schedulePath(name: string): string {
  return `schedules/${encodeURIComponent(name)}`;
}

/** Every schedule, by name. */
export function fetchSchedules(): Promise<{ schedules: ISchedule[] }> {
  return requestAPI('schedules');
}

/** Create a schedule (409: the name is taken; 422: a field, named in `field`). */
export function createSchedule(fields: IScheduleFields): Promise<IScheduleDetail> {
  return requestAPI<IScheduleDetail>('schedules', { method: 'POST', body: fields });
}

export function fetchSchedule(name: string): Promise<IScheduleDetail> {
  return requestAPI<IScheduleDetail>(schedulePath(name));
}

/** Change some fields of a schedule (not its name). */
export function updateSchedule(name: string, change: IScheduleFields): Promise<IScheduleDetail> {
  return requestAPI<IScheduleDetail>(schedulePath(name), { method: 'PATCH', body: change });
}

/** Enable a schedule (its next due time counts from now) or disable it. */
export function switchSchedule(name: string, enabled: boolean): Promise<IScheduleDetail> {
  return requestAPI<IScheduleDetail>(`${schedulePath(name)}/${enabled ? 'enable' : 'disable'}`, { method: 'POST' });
}

/** Delete a schedule and its fire history (the runs it started stay). */
export function deleteSchedule(name: string): Promise<unknown> {
  return requestAPI(schedulePath(name), { method: 'DELETE' });
}

/** What became of a schedule's due times, latest first. */
export function fetchScheduleFires(name: string): Promise<{ schedule: string; fires: IScheduleFire[] }> {
  return requestAPI(`${schedulePath(name)}/fires`);
}

/** The next fire times of a trigger not saved yet (ISO-8601 in `time_zone`); 422 names the field at fault. */
export function previewSchedule(
  trigger: ScheduleTrigger,
  expression: string,
  time_zone: string,
  count = 5
): Promise<{ times: string[] }> {
  const query = new URLSearchParams({ trigger, expression, time_zone, count: String(count) });
  return requestAPI(`schedules/preview?${query}`);
}

/** A content a data trigger handled (once, whatever its name or how often it arrives), and its run. */
export interface ISeenFile {
  /** 'sha256:HEX' of a local file, 'etag:ETAG' of an object. */
  content_hash: string;
  /** Where it was first seen, relative to the source. */
  path: string;
  size: number;
  state: 'claimed' | 'started' | 'failed';
  /** Why its run did not start. */
  reason: string | null;
  run_id: string | null;
  seen_at: string;
}

/** A file a data trigger follows that has not started a run yet. */
export interface IWaitingFile {
  path: string;
  size: number;
  /** settling: its size and time have not held long enough; ready: waiting for a run slot or its batch. */
  state: 'settling' | 'ready';
  since: string;
}

/** A data trigger: a notebook run locally when new files matching `pattern` settle in `source`. */
export interface IDataTrigger {
  id: number;
  name: string;
  notebook_path: string;
  /** A folder relative to the root ('.' for the root), or an s3:// prefix. */
  source: string;
  pattern: string;
  /** The pipeline parameter that receives each file's location. */
  parameter: string;
  parameters: Record<string, unknown>;
  experiment: string | null;
  settle_seconds: number;
  poll_seconds: number;
  /** One run per batch of files (their locations joined by newlines) rather than one per file. */
  batch: boolean;
  include_existing: boolean;
  max_concurrent: number;
  enabled: boolean;
  baseline_at: number | null;
  /** Why the latest listing of the source failed. */
  last_error: string | null;
  /** In the list and a trigger's GET: its latest handled content. */
  last_seen?: ISeenFile | null;
  created_at: string;
  updated_at: string;
}

/** The fields a request may set on a data trigger. */
export interface ITriggerFields {
  name?: string;
  notebook_path?: string;
  source?: string;
  pattern?: string;
  parameter?: string;
  parameters?: Record<string, unknown>;
  experiment?: string | null;
  settle_seconds?: number;
  poll_seconds?: number;
  batch?: boolean;
  include_existing?: boolean;
  max_concurrent?: number;
  enabled?: boolean;
}

/** The contents a trigger handled, latest first, and the files waiting. */
export interface ITriggerFiles {
  trigger: string;
  seen: ISeenFile[];
  waiting: IWaitingFile[];
}

function triggerPath(name: string): string {
  return `triggers/${encodeURIComponent(name)}`;
}

/** Create a data trigger (409: the name is taken; 422: a field, named in `field`). */
export function createTrigger(fields: ITriggerFields): Promise<IDataTrigger> {
  return requestAPI<IDataTrigger>('triggers', { method: 'POST', body: fields });
}

/** Change some fields of a data trigger (not its name); a new source or pattern starts its watch afresh. */
export function updateTrigger(name: string, change: ITriggerFields): Promise<IDataTrigger> {
  return requestAPI<IDataTrigger>(triggerPath(name), { method: 'PATCH', body: change });
}

/** Enable a data trigger (files that arrived meanwhile start runs too) or disable it. */
export function switchTrigger(name: string, enabled: boolean): Promise<IDataTrigger> {
  return requestAPI<IDataTrigger>(`${triggerPath(name)}/${enabled ? 'enable' : 'disable'}`, { method: 'POST' });
}

/** Delete a data trigger and what it noted of its files (the runs it started stay). */
export function deleteTrigger(name: string): Promise<unknown> {
  return requestAPI(triggerPath(name), { method: 'DELETE' });
}

/** What a data trigger handled and what waits. */
export function fetchTriggerFiles(name: string): Promise<ITriggerFiles> {
  return requestAPI(`${triggerPath(name)}/files`);
}

/** An experiment: a named group of runs. */
export interface IExperiment {
  name: string;
  created_at: string;
  /** How many runs it holds. */
  run_count: number;
  last_run_at: string | null;
}

/** A route with a query string of the values given (a list: the name repeated), e.g. `runs?trigger=t&cursor=c`. */
export function listQuery(route: string, values: Record<string, string | string[] | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    for (const item of Array.isArray(value) ? value : value === null || value === undefined ? [] : [value]) {
      query.append(name, item);
    }
  }
  const text = query.toString();
  return text ? `${route}?${text}` : route;
}

/** A page of runs, newest first, and where the next one starts (null: the list ends here). */
export interface IRunsPage {
  runs: IRun[];
  next_cursor: string | null;
}

/** The page of runs (of a schedule or a data trigger, with `origin`) that starts at `cursor` (a page's
 * `next_cursor`; null: the newest runs). */
export function runsPageEndpoint(origin: { kind: 'schedule' | 'trigger'; name: string } | null, cursor: string | null) {
  return listQuery('runs', { ...(origin ? { [origin.kind]: origin.name } : {}), cursor });
}

/** What a conditional GET answers: unchanged (304), or new data with its ETag. */
export type Polled<T> = { changed: false } | { changed: true; etag: string; data: T };

/** GET with If-None-Match: cheap to repeat, the server answers 304 while nothing changed. */
export async function pollAPI<T>(
  endPoint: string,
  etag: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<Polled<T>> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
  const headers = etag ? { 'If-None-Match': etag } : undefined;
  const response = await ServerConnection.makeRequest(url, { headers }, settings);
  if (response.status === 304) {
    return { changed: false };
  }
  if (!response.ok) {
    throw new ApiError(response.status, await errorBody(response));
  }
  return { changed: true, etag: response.headers.get('ETag') ?? '', data: (await response.json()) as T };
}

/** Start a run of a saved notebook; answers at once with the run record. */
export function startRun(options: {
  path: string;
  target: 'local' | 'kfp';
  parameters: Record<string, unknown>;
  experiment?: string;
  /** The user's KFP connection settings (never credentials); empty uses the server's. */
  kfp?: { host: string; namespace: string };
}): Promise<IRun> {
  return requestAPI<IRun>('runs', { method: 'POST', body: options });
}

/** A run with its steps' outputs and its artifacts. */
export function fetchRun(id: string): Promise<IRun> {
  return requestAPI<IRun>(`runs/${id}`);
}

/** A notebook's succeeded runs ranked by its main metric, as the server decides (`GET runs/best`). */
export interface IRankedRuns {
  notebook_path: string;
  /** The main metric; null when no run reports one. */
  metric: { name: string; higher_is_better: boolean } | null;
  best: string | null;
  latest: string | null;
  /** Best first. */
  runs: IRun[];
}

export function fetchRankedRuns(path: string): Promise<IRankedRuns> {
  return requestAPI<IRankedRuns>(`runs/best?path=${encodeURIComponent(path)}`);
}

export function cancelRun(id: string): Promise<IRun> {
  return requestAPI<IRun>(`runs/${id}/cancel`, { method: 'POST' });
}

/** A failed step's error, trimmed to the user's frames, each located in the notebook. */
export interface IStepError {
  type: string;
  message: string;
  /** Outermost first; `cell` is the notebook cell index (people see cell + 1), `line` is 1-based in the cell. */
  frames: { cell: number; line: number; code: string | null; function: string | null }[];
  /** Frames of Python's runpy, kfp and ai4mlops-lab left out. */
  hidden_frames: number;
}

/** A step's log as people read it: the user's output, the step's error, and the whole log (`text`). */
export interface IStepLog {
  run_id: string;
  step: string;
  output: string;
  error: IStepError | null;
  text: string;
}

/** A step's readable log; `tail` keeps the last lines of its output and of its whole log. */
export function fetchStepLog(id: string, step: string, tail = 400): Promise<IStepLog> {
  return requestAPI<IStepLog>(`runs/${id}/steps/${encodeURIComponent(step)}/log?tail=${tail}`);
}

/** The run a deployment serves, as recorded when it was deployed. */
export interface IRunChoice {
  id: string;
  created_at: string;
  parameters: Record<string, unknown>;
  metric: { name: string; value: number; higher_is_better: boolean } | null;
}

/** The registered model's version a deployment serves, when it was deployed as a version. */
export interface IDeployedVersion {
  model: string;
  version: number;
  /** The alias it was deployed by; null when by number. */
  alias: string | null;
}

/** How to call a deployment with one protocol: its URL, an example body, a curl command, a Python program. */
export interface ICallExample {
  url: string;
  body: string;
  curl: string;
  python: string;
}

/** What serves a deployment's model, e.g. "KServe Triton runtime (ONNX)"; `fallback`: why the predictor image
 * serves a torch model instead. */
export interface IDeploymentRuntime {
  name: string;
  label: string;
  protocols: ('v1' | 'v2')[];
  fallback: string | null;
}

/** A model deployment (a local model server or a KServe InferenceService). */
export interface IDeployment {
  name: string;
  run_id: string | null;
  model_name: string;
  target: 'local' | 'kserve';
  status: 'starting' | 'running' | 'failed' | 'stopped';
  url: string | null;
  error: string | null;
  created_at: string;
  /** The v1, v2, metadata and ready URLs; no v1 when its runtime speaks only V2. */
  endpoints: Record<string, string> | null;
  runtime: IDeploymentRuntime;
  signature: { inputs: { name: string; dtype: string; shape: number[]; features?: string[] }[] } | null;
  stats: { requests?: number; errors?: number; latency_ms?: { p50?: number | null; p99?: number | null } } | null;
  config: {
    metadata?: { model?: { example?: unknown } };
    run?: IRunChoice;
    version?: IDeployedVersion;
    monitor_job?: IMonitorJob;
  };
  log_tail?: string;
  /** KServe: why the last refresh could not read its status from the cluster (the status shown is older). */
  refresh_error?: string;
  /** With `config.monitor_job`: whether the job is alive, as the server's imports of its results saw it. */
  monitor_job_status?: IMonitorJobStatus;
  /** How to call it (no v1 when its runtime speaks only V2); null while it serves nothing. */
  usage?: { v1?: ICallExample; v2: ICallExample } | null;
}

/** A KServe deployment's drift monitoring as a job of the cluster (a KFP recurring run over its logger's bucket);
 * only `uri` when its inputs were seeded for a scheduler of one's own. */
export interface IMonitorJob {
  /** The job's monitor prefix (s3://...): its inputs and results. */
  uri: string;
  /** Seconds between passes. */
  every_s?: number;
  image?: string;
  kfp_recurring_run_id?: string;
  /** The Kubernetes secret of the job's S3 credentials, when it has one. */
  s3_secret?: string;
  /** When its recurring run was created. */
  scheduled_at?: string;
}

/** Whether a deployment's monitoring job is alive, as the server's imports of its results saw it; times ISO-8601,
 * null before the first. */
export interface IMonitorJobStatus {
  /** When the job's last pass committed. */
  last_pass_at: string | null;
  /** What that pass did; null from an older job. */
  last_pass: {
    started_at: string | null;
    objects: number;
    events: number;
    windows: number;
    alerts: number;
    closed: number;
    error: string | null;
  } | null;
  /** When the server last read the job's cursor (a check that changed nothing is recorded once a minute). */
  last_checked_at: string | null;
  /** When the server last imported the results of a new pass. */
  last_imported_at: string | null;
  windows_imported: number;
  alerts_imported: number;
  /** Why the last check failed (e.g. the bucket is unreachable), and what to do; null when it did not. */
  error: string | null;
  error_hint: string | null;
}

/** Schedule a KServe deployment's monitoring job: `every` seconds between passes (default 300); the image
 * defaults to the server's predictor image. */
export interface IMonitorJobRequest {
  every?: number;
  image?: string;
  s3_secret?: string;
}

export function scheduleMonitorJob(name: string, request: IMonitorJobRequest): Promise<IDeployment> {
  return requestAPI<IDeployment>(`deployments/${name}/monitor-job`, { method: 'PUT', body: request });
}

export function unscheduleMonitorJob(name: string): Promise<IDeployment> {
  return requestAPI<IDeployment>(`deployments/${name}/monitor-job`, { method: 'DELETE' });
}

export function fetchDeployments(): Promise<{ deployments: IDeployment[] }> {
  return requestAPI('deployments');
}

/** Deploy a run's model; local deployments answer once the model server is ready. */
export function deployRun(options: {
  run_id: string;
  target: 'local' | 'kserve';
  name?: string;
  model?: string;
  /** KServe only: where the cluster reads the model (default: the run's artifact URI). */
  storage_uri?: string;
  /** A data artifact of the run (`step/name`) as the drift reference (default: the model's sample). */
  reference?: string;
}): Promise<IDeployment> {
  return requestAPI<IDeployment>('deployments', { method: 'POST', body: options });
}

export function deploymentAction(name: string, action: 'stop' | 'restart'): Promise<IDeployment> {
  return requestAPI<IDeployment>(`deployments/${name}/${action}`, { method: 'POST', body: {} });
}

export function removeDeployment(name: string): Promise<unknown> {
  return requestAPI(`deployments/${name}`, { method: 'DELETE' });
}

export function predict(name: string, payload: unknown): Promise<unknown> {
  return requestAPI(`deployments/${name}/predict`, { method: 'POST', body: payload });
}

/** How a deployment's requests are cut into windows and tested for drift. */
export interface IDriftPolicy {
  window: 'count' | 'time';
  window_size: number;
  window_seconds: number;
  method: 'features' | 'mmd' | 'both';
  alpha: number;
  correction: 'bonferroni' | 'bh';
  /** Alert after this many drifted windows in a row. */
  consecutive: number;
  auto_retrain: boolean;
  redeploy: boolean;
}

/** One feature's test in one window. */
export interface IFeatureTest {
  name: string;
  kind: 'numeric' | 'categorical';
  test: string;
  n: number;
  n_missing: number;
  statistic: number | null;
  p_value: number | null;
  adjusted_p_value: number | null;
  effect_size: number | null;
  drift: boolean | null;
  n_unseen: number;
  status: string;
}

/** One drift check: a window of requests tested against the reference. */
export interface IDriftWindow {
  id: number;
  trigger: 'auto' | 'check';
  kind: 'count' | 'time';
  start: number;
  end: number;
  first_at: string | null;
  last_at: string | null;
  checked_at: string;
  n: number;
  status: 'ok' | 'insufficient_data';
  drift: boolean | null;
  p_value: number | null;
  score: number | null;
  alert_id: number | null;
  features: IFeatureTest[];
  multivariate: {
    method: string;
    statistic: number | null;
    p_value: number | null;
    n: number;
    n_reference: number;
    drift: boolean | null;
    status: string;
  } | null;
}

/** What raised an alert: drifted inputs, a metric past its alert level, or a change in the errors. */
export type AlertKind = 'data_drift' | 'performance' | 'concept_drift';

/** Drift in K consecutive windows (or a performance or concept-drift finding), and what was done about it. */
export interface IDriftAlert {
  id: number;
  deployment: string;
  kind: AlertKind;
  status: 'open' | 'retraining' | 'resolved' | 'dismissed';
  raised_at: string;
  updated_at: string;
  message: string;
  window_ids: number[];
  retrain_run_id: string | null;
  redeploy: boolean;
  redeployed_at: string | null;
  error: string | null;
}

/**
 * A histogram (numeric feature; a window also counts its values below and above the reference's
 * range) or category counts (categorical feature; `other`: categories the reference did not list).
 */
export type Distribution =
  | { edges: number[]; counts: number[]; below?: number; above?: number }
  | { categories: Record<string, number>; other: number };

/** The reference and the newest window's values of one feature. */
export interface IFeatureDistribution {
  name: string;
  kind: 'numeric' | 'categorical';
  reference: Distribution;
  current: (Distribution & { window_id: number | null }) | null;
}

/** What `GET deployments/{name}/drift` answers. */
export interface IDriftReport {
  deployment: string;
  /** The model serving now, and since when: a redeploy (e.g. after retraining) starts its verdicts afresh. */
  model: { run_id: string | null; since: string };
  policy: IDriftPolicy;
  reference:
    | { available: true; source: string; n_rows: number; features: { name: string; kind: 'numeric' | 'categorical' }[] }
    | { available: false; error: string; detail: string; hint: string };
  pending: { rows: number };
  counts: {
    requests: number;
    undecodable: number;
    /** Why the last undecodable request could not be read. */
    undecodable_reason: string | null;
    /** Events the ingest route refused that named this deployment, by reason. */
    rejected: Record<string, number>;
    /** Events the ingest route refused that named no deployment, by reason. */
    unattributed: Record<string, number>;
    /** Windows checked automatically, and how many of them drifted. */
    windows: number;
    drifted: number;
  };
  /** Oldest first. */
  windows: IDriftWindow[];
  /** The newest window of the model serving now. */
  latest: IDriftWindow | null;
  /** Until the model serving now has a window, the newest window of the model it replaced. */
  previous: IDriftWindow | null;
  /** The newest data-drift alerts, newest first. */
  alerts: IDriftAlert[];
  /** Where the older ones start (`fetchAlertsPage`); null when these are all. */
  alerts_next_cursor: string | null;
  feature: IFeatureDistribution | null;
}

/** The route of a deployment's drift report, optionally with one feature's distributions. */
export function driftEndpoint(deployment: string, feature: string | null = null): string {
  const route = `deployments/${encodeURIComponent(deployment)}/drift`;
  return feature === null ? route : `${route}?feature=${encodeURIComponent(feature)}`;
}

/** Test the most recent `window_size` rows now. */
export function checkDrift(deployment: string): Promise<IDriftWindow> {
  return requestAPI<IDriftWindow>(`${driftEndpoint(deployment)}/check`, { method: 'POST', body: {} });
}

/** Change some settings of the policy; answers the whole policy. */
export function updateDriftPolicy(deployment: string, change: Partial<IDriftPolicy>): Promise<IDriftPolicy> {
  return requestAPI<IDriftPolicy>(`${driftEndpoint(deployment)}/policy`, { method: 'PUT', body: change });
}

/** Retrain the deployment's pipeline (parameters default to its run's) and redeploy when it succeeds. */
export function retrainAlert(
  id: number,
  options: { redeploy: boolean; parameters?: Record<string, unknown> }
): Promise<IDriftAlert> {
  return requestAPI<IDriftAlert>(`alerts/${id}/retrain`, { method: 'POST', body: options });
}

export function dismissAlert(id: number): Promise<IDriftAlert> {
  return requestAPI<IDriftAlert>(`alerts/${id}/dismiss`, { method: 'POST', body: {} });
}

/** A page of alerts, newest first, and where the next one starts (null: the list ends here). */
export interface IAlertsPage {
  alerts: IDriftAlert[];
  next_cursor: string | null;
}

/** The page of a deployment's alerts of `kinds` that starts at `cursor` (a report's `alerts_next_cursor`, or
 * the previous page's `next_cursor`). */
export function fetchAlertsPage(deployment: string, kinds: AlertKind[], cursor: string): Promise<IAlertsPage> {
  return requestAPI<IAlertsPage>(listQuery('alerts', { deployment, kind: kinds, cursor }));
}

/** The state of a model version: live, or archived (kept, never deleted). */
export type ModelVersionState = 'live' | 'archived';

/** The reference data saved with a registered model (for drift monitoring). */
export interface IVersionReference {
  source: string | null;
  rows: number | null;
  total_rows: number | null;
  features: string[];
  uri: string | null;
}

/** A version of a registered model: immutable except `state`; a snapshot of the run that made it. */
export interface IModelVersion {
  model: string;
  version: number;
  state: ModelVersionState;
  /** Where the run's model artifact lies (nothing is copied). */
  artifact_uri: string;
  /** The run's artifact, `step/name`. */
  artifact: string | null;
  framework: string | null;
  framework_version: string | null;
  signature: Record<string, unknown> | null;
  run_id: string | null;
  notebook_path: string | null;
  notebook_hash: string | null;
  parameters: Record<string, unknown>;
  metrics: Record<string, number | null>;
  steps: { name: string; status: IRunStep['status']; log_path: string | null }[];
  reference: IVersionReference | null;
  /** Who registered it: the Jupyter user when known, else the OS user. */
  author: string;
  created_at: string;
  /** The aliases pointing at it now. */
  aliases: string[];
}

/** A registered model with its aliases (alias -> version) and latest version. */
export interface IRegisteredModel {
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
  version_count: number;
  aliases: Record<string, number>;
  latest_version: IModelVersion | null;
}

/** One move of an alias: set (`from_version` null), moved, or removed (`to_version` null). */
export interface IAliasMove {
  model: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  at: string;
  by: string;
  reason: string;
}

/** The path of a model, or of one of its versions (a number or an alias). */
function modelPath(name: string, version?: number | string): string {
  const model = `models/${encodeURIComponent(name)}`;
  return version === undefined ? model : `${model}/versions/${encodeURIComponent(String(version))}`;
}

/** Every registered model (poll `models` with `pollAPI` to follow changes). */
export function fetchModels(): Promise<{ models: IRegisteredModel[] }> {
  return requestAPI('models');
}

/** Register a succeeded run's model as the next version of a model (default name: `<pipeline>-<artifact>`). */
export function registerModel(options: {
  run_id: string;
  artifact?: string;
  name?: string;
  description?: string;
  aliases?: string[];
}): Promise<IModelVersion> {
  return requestAPI<IModelVersion>('models', { method: 'POST', body: options });
}

export function fetchModel(name: string): Promise<IRegisteredModel> {
  return requestAPI<IRegisteredModel>(modelPath(name));
}

/** A model's versions, newest first. */
export function fetchModelVersions(name: string): Promise<{ model: string; versions: IModelVersion[] }> {
  return requestAPI(`${modelPath(name)}/versions`);
}

/** A version by number or alias. */
export function fetchModelVersion(name: string, version: number | string): Promise<IModelVersion> {
  return requestAPI<IModelVersion>(modelPath(name, version));
}

/** Archive or restore a version. */
export function setModelVersionState(
  name: string,
  version: number | string,
  action: 'archive' | 'restore'
): Promise<IModelVersion> {
  return requestAPI<IModelVersion>(`${modelPath(name, version)}/${action}`, { method: 'POST', body: {} });
}

/** Deploy a version (a number or an alias) of a model; the deployment records it in `config.version`. */
export function deployModelVersion(
  name: string,
  version: number | string,
  options: { name?: string; target?: 'local' | 'kserve'; storage_uri?: string; reference?: string } = {}
): Promise<IDeployment> {
  return requestAPI<IDeployment>(`${modelPath(name, version)}/deploy`, { method: 'POST', body: options });
}

/** Point an alias at a version (a number or another alias); the move is recorded with `reason`. */
export function setModelAlias(
  name: string,
  alias: string,
  change: { version: number | string; reason?: string }
): Promise<IModelVersion> {
  return requestAPI<IModelVersion>(`${modelPath(name)}/aliases/${encodeURIComponent(alias)}`, {
    method: 'PUT',
    body: change
  });
}

/** Remove an alias; the removal is recorded with `reason`. */
export function removeModelAlias(name: string, alias: string, reason = ''): Promise<IAliasMove> {
  const query = reason ? `?reason=${encodeURIComponent(reason)}` : '';
  return requestAPI<IAliasMove>(`${modelPath(name)}/aliases/${encodeURIComponent(alias)}${query}`, {
    method: 'DELETE'
  });
}

/** Every move of a model's aliases, newest first. */
export function fetchAliasHistory(name: string): Promise<{ model: string; moves: IAliasMove[] }> {
  return requestAPI(`${modelPath(name)}/aliases/history`);
}

/** The promotion gate's settings for a model: what a candidate must show before it replaces the stable version. */
export interface IGatePolicy {
  /** The offline metric compared (null: the runs' main metric). */
  metric: string | null;
  /** Which way is better (null: from the metric's name). */
  direction: 'higher' | 'lower' | null;
  /** By how much the candidate must beat the stable version. */
  min_gain: number;
  /** The candidate's live failures / requests, at most. */
  max_error_rate: number;
  /** Candidate p99 / stable p99, at most. */
  max_p99_ratio: number;
  /** Requests the candidate must see before a verdict. */
  min_requests: number;
  /** A canary's default share of the traffic, in percent. */
  canary_percent: number;
  /** Labelled live predictions each version needs before the live performance check decides (0: no such check). */
  min_labels: number;
  /** By how much the candidate's live metric may be worse than the stable version's. */
  max_metric_drop: number;
  /** Evaluate running rollouts in the background and promote or roll back by the verdict. */
  auto: boolean;
}

/** One check of the gate: passed (true), failed (false) or not decided yet (null). */
export interface IGateCheck {
  name: 'offline_metric' | 'requests' | 'error_rate' | 'p99_latency' | 'live_performance';
  passed: boolean | null;
  candidate: number | null;
  stable: number | null;
  threshold: number | null;
  /** The check in words, e.g. "accuracy 0.91 vs 0.87: +0.04 >= +0.01". */
  detail: string;
}

/** The gate's evaluation of a running rollout. */
export interface IGateEvaluation {
  verdict: 'pass' | 'fail' | 'waiting';
  checks: IGateCheck[];
  summary: string;
}

/** One version behind a deployment and what it served since the rollout started. */
export interface IRolloutSide {
  /** Null when the deployment serves an unregistered run. */
  version: number | null;
  run_id: string | null;
  metric: { name: string; value: number | null } | null;
  /** Inferences it answered (a shadow: copies it got). */
  requests: number;
  errors: number;
  error_rate: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
}

/** A deployment's stable version and its candidate (while a canary or shadow runs), judged by the gate. */
export interface IRollout {
  deployment: string;
  /** The registered model it serves (null for an unregistered run). */
  model: string | null;
  target: 'local' | 'kserve';
  stable: IRolloutSide;
  candidate: IRolloutSide | null;
  mode: 'canary' | 'shadow' | null;
  /** A canary's share of the traffic, in percent. */
  percent: number | null;
  started_at: string | null;
  gate: IGateEvaluation | null;
  policy: IGatePolicy | null;
}

/** A promotion, rollback, refusal or start, with the evidence it was taken on. */
export interface IGateDecision {
  id: number;
  model: string;
  deployment: string | null;
  action: 'started' | 'refused' | 'promoted' | 'rolled_back';
  candidate_version: number;
  stable_version: number | null;
  /** `gate`, or the user who acted. */
  by: string;
  automatic: boolean;
  reason: string;
  evidence: {
    checks: IGateCheck[];
    policy: IGatePolicy;
    stable?: IRolloutSide | null;
    candidate?: IRolloutSide | null;
  };
  /** The candidate's run. */
  run_id: string | null;
  /** The drift alert whose retraining made the candidate. */
  alert_id: number | null;
  at: string;
}

/** What starting a rollout needs: the candidate (a number or an alias) and how it takes traffic. */
export interface IStartRollout {
  version: number | string;
  /** Default: canary. */
  mode?: 'canary' | 'shadow';
  /** A canary's share (default: the policy's `canary_percent`). */
  percent?: number;
  /** Start even when the gate refuses the candidate offline (the refusal is recorded). */
  force?: boolean;
  reason?: string;
}

/** The route of a deployment's rollout (poll it with `pollAPI`: it answers 304 while unchanged). */
export function rolloutEndpoint(deployment: string): string {
  return `deployments/${encodeURIComponent(deployment)}/rollout`;
}

/** Start a canary or a shadow of another version; a 409 `gate_refused` says why the gate refused it. */
export function startRollout(deployment: string, request: IStartRollout): Promise<IRollout> {
  return requestAPI<IRollout>(rolloutEndpoint(deployment), { method: 'POST', body: request });
}

/** Change a running canary's share of the traffic. */
export function changeRollout(deployment: string, change: { percent: number }): Promise<IRollout> {
  return requestAPI<IRollout>(rolloutEndpoint(deployment), { method: 'PATCH', body: change });
}

/** Promote the candidate, roll it back, or ask the gate now (`decision` is null while it waits for requests). */
export function decideRollout(
  deployment: string,
  action: 'promote' | 'rollback' | 'evaluate',
  options: { reason?: string } = {}
): Promise<{ decision: IGateDecision | null; rollout: IRollout }> {
  return requestAPI(`${rolloutEndpoint(deployment)}/${action}`, { method: 'POST', body: options });
}

export function fetchGatePolicy(name: string): Promise<IGatePolicy> {
  return requestAPI<IGatePolicy>(`${modelPath(name)}/policy`);
}

/** Change some settings of a model's gate policy; answers the whole policy (422 `bad_policy` names the field). */
export function updateGatePolicy(name: string, change: Partial<IGatePolicy>): Promise<IGatePolicy> {
  return requestAPI<IGatePolicy>(`${modelPath(name)}/policy`, { method: 'PUT', body: change });
}

/** Every decision of the gate and every manual promotion or rollback of a model, newest first. */
export function fetchGateDecisions(name: string): Promise<{ model: string; decisions: IGateDecision[] }> {
  return requestAPI(`${modelPath(name)}/decisions`);
}

/** The metrics a performance policy can judge by (classifiers, then regressors). */
export type PerformanceMetric = 'accuracy' | 'f1_macro' | 'roc_auc' | 'log_loss' | 'mae' | 'rmse' | 'r2';

/** How a deployment's predictions are keyed, windowed, estimated and judged. */
export interface IPerformancePolicy {
  task: 'auto' | 'classification' | 'regression';
  /** Where a prediction's key comes from: V2 `id`, else the Ce-Id (X-Request-Id); or a request field. */
  id_source: 'auto' | 'ce_id' | 'v2_id' | 'field';
  id_field: string | null;
  /** Class names, so that labels may be names. */
  classes: string[] | null;
  /** Served predictions per window. */
  window_size: number;
  /** Labels a window needs before its realized value counts. */
  min_labels: number;
  /** Null: accuracy for a classifier, MAE for a regressor. */
  metric: PerformanceMetric | null;
  /** The alert level; null: the validation value worse by `max_drop`. */
  threshold: number | null;
  max_drop: number;
  /** Estimate a classifier's performance before labels (CBPE). */
  estimate: boolean;
  calibration_size: number;
  detector: 'auto' | 'ddm' | 'eddm' | 'adwin' | 'page_hinkley' | 'none';
  auto_retrain: boolean;
  redeploy: boolean;
}

/** An estimated metric and its band. */
export interface IEstimate {
  value: number;
  lower: number;
  upper: number;
}

/** A window of served predictions: its outputs, its estimated and (once labelled) realized metrics. */
export interface IPerformanceWindow {
  idx: number;
  start: string;
  end: string;
  predictions: number;
  labelled: number;
  realized: Record<string, number | null> | null;
  estimated: Record<string, IEstimate> | null;
  /** The outputs against the reference period's: class counts (chi-squared) or quantiles 5/25/50/75/95 (KS). */
  outputs: { test: 'chi2' | 'ks'; p_value: number; drift: boolean; counts?: number[]; quantiles?: number[] };
  alert_id: number | null;
}

/** A change in the errors the concept-drift detector found (a warning, or a drift). */
export interface IConceptDetection {
  method: string;
  kind: 'warning' | 'drift';
  predicted_at: string;
  error_rate_before: number | null;
  error_rate_after: number | null;
  alert_id: number | null;
}

/** What `GET deployments/{name}/performance` answers. */
export interface IPerformanceReport {
  deployment: string;
  policy: IPerformancePolicy;
  task: 'classification' | 'regression';
  metric: string;
  higher_is_better: boolean;
  /** The model's validation value of the metric. */
  baseline: number | null;
  alert_level: number | null;
  status: 'ok' | 'degraded' | 'unknown';
  latest: { window: number; value: number; source: 'realized' | 'estimated' } | null;
  coverage: { predictions: number; labelled: number; waiting_labels: number; median_delay_s: number | null };
  open_window: { predictions: number; size: number };
  estimator: { status: 'off' | 'calibrating' | 'calibrated' | 'failed'; needs?: number; rows?: number; error?: string };
  detector: string;
  /** The reference period's outputs (the model's first window): class counts, or a sample of values. */
  reference_outputs: { model_uri: string; window: number; counts?: number[]; values?: number[] } | null;
  unreadable: { count: number; last_reason: string | null };
  duplicate_ids: number;
  refused_labels: { count: number; last_reason: string | null };
  /** Oldest first. */
  windows: IPerformanceWindow[];
  detections: IConceptDetection[];
  /** The newest performance and concept-drift alerts, newest first. */
  alerts: IDriftAlert[];
  /** Where the older ones start (`fetchAlertsPage`); null when these are all. */
  alerts_next_cursor: string | null;
}

/** One ground-truth label: the prediction's id and its true class (index or name) or value. */
export interface ILabel {
  id: string | number;
  label: number | string;
}

/** What sending labels stored, and the rows refused (the first 100), each with where it is and why. */
export interface ILabelsResult {
  received: number;
  stored: number;
  /** Sent before with the same value. */
  unchanged: number;
  /** Joined to a logged prediction now (the others wait for theirs). */
  joined: number;
  refused_count: number;
  refused: { row: string; field: string; message: string }[];
}

/** The route of a deployment's performance report (poll it with `pollAPI`: it answers 304 while unchanged). */
export function performanceEndpoint(deployment: string): string {
  return `deployments/${encodeURIComponent(deployment)}/performance`;
}

/** Read new predictions and labels now; the report after it. */
export function checkPerformance(deployment: string): Promise<IPerformanceReport> {
  return requestAPI<IPerformanceReport>(`${performanceEndpoint(deployment)}/check`, { method: 'POST', body: {} });
}

/** Change some settings of the performance policy; answers the whole policy (422 `bad_policy` names the field). */
export function updatePerformancePolicy(
  deployment: string,
  change: Partial<IPerformancePolicy>
): Promise<IPerformancePolicy> {
  return requestAPI<IPerformancePolicy>(`${performanceEndpoint(deployment)}/policy`, { method: 'PUT', body: change });
}

/** Send ground-truth labels as JSON rows, or as CSV text with `id` and `label` columns. */
export function sendLabels(deployment: string, labels: ILabel[] | string): Promise<ILabelsResult> {
  const route = `deployments/${encodeURIComponent(deployment)}/labels`;
  return typeof labels === 'string'
    ? requestAPI<ILabelsResult>(route, { method: 'POST', body: labels, headers: { 'Content-Type': 'text/csv' } })
    : requestAPI<ILabelsResult>(route, { method: 'POST', body: { labels } });
}

/** A batch prediction job: a model over a file under the server root; paths are relative to the root. */
export interface IBatchJob {
  id: string;
  /** The model as it was named: a deployment, a run id, `MODEL:VERSION` or `MODEL@ALIAS`. */
  model: string;
  model_description: string | null;
  deployment: string | null;
  input_path: string;
  output_path: string;
  /** Written only when rows were rejected. */
  rejects_path: string;
  options: { artifact: string | null; chunk_size: number; task: string; overwrite: boolean };
  log: boolean;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
  rows_done: number;
  /** The input's rows (a CSV's estimated from its lines until the job ends). */
  rows_total: number | null;
  rows_predicted: number;
  rejected: number;
  error: string | null;
  worker_pid: number | null;
  /** What a local job is doing: the rows count while `predicting`; S3 objects are downloaded and uploaded. */
  stage: 'downloading' | 'predicting' | 'uploading' | null;
  target: 'local' | 'kfp';
  /** target kfp: the job's run on Kubeflow Pipelines and its page in the KFP UI. */
  kfp_run_id: string | null;
  kfp_url: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

/** What a batch job is started with (422 `invalid_value` names the field at fault). */
export interface IBatchRequest {
  model: string;
  input: string;
  output?: string | null;
  overwrite?: boolean;
  log?: boolean;
}

/** Start a batch prediction in a worker process; the pending job at once. */
export function startBatchJob(request: IBatchRequest): Promise<IBatchJob> {
  return requestAPI<IBatchJob>('batch-jobs', { method: 'POST', body: request });
}

export function fetchBatchJob(id: string): Promise<IBatchJob> {
  return requestAPI<IBatchJob>(`batch-jobs/${encodeURIComponent(id)}`);
}

export function cancelBatchJob(id: string): Promise<IBatchJob> {
  return requestAPI<IBatchJob>(`batch-jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: {} });
}
