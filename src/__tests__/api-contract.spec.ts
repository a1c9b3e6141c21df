/**
 * The hand-written shapes of `api.ts` agree with the types generated from the REST contract
 * (`ai4mlops_lab/openapi.yaml` -> `src/openapi.d.ts`, `jlpm openapi:types`). The checks are type-level:
 * ts-jest fails this file when a reply the server documents is not assignable to the interface the UI
 * reads it as, or a request the UI sends is not one the server documents.
 */
import type {
  changeRollout,
  decideRollout,
  deployModelVersion,
  deployRun,
  IAlertsPage,
  IAliasMove,
  IApiErrorBody,
  IBatchJob,
  IBatchRequest,
  IDataTrigger,
  IDeployment,
  IDriftAlert,
  IDriftPolicy,
  IDriftReport,
  IDriftWindow,
  IExperiment,
  IGateCheck,
  IGateDecision,
  IGateEvaluation,
  IGatePolicy,
  IHealth,
  IMonitorJobRequest,
  IMonitorJobStatus,
  ILabel,
  ILabelsResult,
  IModelVersion,
  IPerformancePolicy,
  IPerformanceReport,
  IPerformanceWindow,
  IPipelineInfo,
  IRankedRuns,
  IRegisteredModel,
  IRollout,
  IRolloutSide,
  IRun,
  IRunsPage,
  ISchedule,
  IScheduleDetail,
  IScheduleFields,
  IScheduleFire,
  IStartRollout,
  IStepLog,
  ITriggerFields,
  ITriggerFiles,
  registerModel,
  retrainAlert,
  previewSchedule,
  setModelAlias,
  startRun
} from '../api';
import type { components, operations } from '../openapi';

type Schemas = components['schemas'];
type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;
/** The JSON body of an operation's reply `status`. */
type Reply<Op extends keyof operations, Status extends keyof operations[Op]['responses']> = Json<
  operations[Op]['responses'][Status]
>;
/** The JSON body an operation accepts. */
type RequestBody<Op extends keyof operations> = Json<NonNullable<operations[Op]['requestBody']>>;

/** Compiles only when `From` is assignable to `To`; the compiler's error names the field that is not. */
function assignable<From, To>(check: (value: From) => To): (value: From) => To {
  return check;
}

describe('api.ts agrees with the OpenAPI document', () => {
  it('reads every reply as the server documents it', () => {
    const checks = [
      assignable<Schemas['Error'], IApiErrorBody>(v => v),
      assignable<Schemas['Health'], IHealth>(v => v),
      assignable<Schemas['PipelineInfo'], IPipelineInfo>(v => v),
      assignable<Reply<'listRuns', 200>['runs'][number], IRun>(v => v),
      assignable<Reply<'listRuns', 200>, IRunsPage>(v => v),
      assignable<Reply<'listAlerts', 200>, IAlertsPage>(v => v),
      assignable<Schemas['Run'], IRun>(v => v),
      assignable<Reply<'listExperiments', 200>['experiments'][number], IExperiment>(v => v),
      assignable<Reply<'listDeployments', 200>['deployments'][number], IDeployment>(v => v),
      assignable<Schemas['Deployment'], IDeployment>(v => v),
      assignable<Schemas['MonitorJobStatus'], IMonitorJobStatus>(v => v),
      assignable<Schemas['DriftPolicy'], IDriftPolicy>(v => v),
      assignable<Schemas['DriftWindow'], IDriftWindow>(v => v),
      assignable<Schemas['DriftAlert'], IDriftAlert>(v => v),
      assignable<Schemas['DriftReport'], IDriftReport>(v => v),
      assignable<Schemas['StepLog'], IStepLog>(v => v),
      assignable<Reply<'rankRuns', 200>, IRankedRuns>(v => v),
      assignable<Reply<'listModels', 200>['models'][number], IRegisteredModel>(v => v),
      assignable<Schemas['RegisteredModel'], IRegisteredModel>(v => v),
      assignable<Schemas['ModelVersion'], IModelVersion>(v => v),
      assignable<Reply<'listModelVersions', 200>['versions'][number], IModelVersion>(v => v),
      assignable<Reply<'removeModelAlias', 200>, IAliasMove>(v => v),
      assignable<Reply<'getAliasHistory', 200>['moves'][number], IAliasMove>(v => v),
      assignable<Reply<'deployModelVersion', 201>, IDeployment>(v => v),
      assignable<Reply<'scheduleMonitorJob', 200>, IDeployment>(v => v),
      assignable<Reply<'unscheduleMonitorJob', 200>, IDeployment>(v => v),
      assignable<Schemas['RolloutSide'], IRolloutSide>(v => v),
      assignable<Schemas['Rollout'], IRollout>(v => v),
      assignable<Reply<'getRollout', 200>, IRollout>(v => v),
      assignable<Reply<'startRollout', 201>, IRollout>(v => v),
      assignable<Reply<'changeRollout', 200>, IRollout>(v => v),
      assignable<Schemas['GatePolicy'], IGatePolicy>(v => v),
      assignable<Schemas['GateCheck'], IGateCheck>(v => v),
      assignable<Schemas['GateEvaluation'], IGateEvaluation>(v => v),
      assignable<Schemas['GateDecision'], IGateDecision>(v => v),
      assignable<Reply<'getGatePolicy', 200>, IGatePolicy>(v => v),
      assignable<Reply<'updateGatePolicy', 200>, IGatePolicy>(v => v),
      assignable<Reply<'getGateDecisions', 200>['decisions'][number], IGateDecision>(v => v),
      assignable<Reply<'promoteRollout', 200>, Awaited<ReturnType<typeof decideRollout>>>(v => v),
      assignable<Reply<'rollbackRollout', 200>, Awaited<ReturnType<typeof decideRollout>>>(v => v),
      assignable<Reply<'evaluateRollout', 200>, Awaited<ReturnType<typeof decideRollout>>>(v => v),
      assignable<Schemas['PerformancePolicy'], IPerformancePolicy>(v => v),
      assignable<Schemas['PerformanceWindow'], IPerformanceWindow>(v => v),
      assignable<Schemas['PerformanceReport'], IPerformanceReport>(v => v),
      assignable<Reply<'getPerformance', 200>, IPerformanceReport>(v => v),
      assignable<Reply<'checkPerformance', 200>, IPerformanceReport>(v => v),
      assignable<Reply<'updatePerformancePolicy', 200>, IPerformancePolicy>(v => v),
      assignable<Reply<'addLabels', 200>, ILabelsResult>(v => v),
      assignable<Reply<'listSchedules', 200>['schedules'][number], ISchedule>(v => v),
      assignable<Reply<'createSchedule', 201>, IScheduleDetail>(v => v),
      assignable<Reply<'getSchedule', 200>, IScheduleDetail>(v => v),
      assignable<Reply<'updateSchedule', 200>, IScheduleDetail>(v => v),
      assignable<Reply<'enableSchedule', 200>, IScheduleDetail>(v => v),
      assignable<Reply<'listScheduleFires', 200>['fires'][number], IScheduleFire>(v => v),
      assignable<Reply<'previewSchedule', 200>, Awaited<ReturnType<typeof previewSchedule>>>(v => v),
      assignable<Schemas['BatchJob'], IBatchJob>(v => v),
      assignable<Reply<'startBatchJob', 201>, IBatchJob>(v => v),
      assignable<Reply<'getBatchJob', 200>, IBatchJob>(v => v),
      assignable<Reply<'cancelBatchJob', 200>, IBatchJob>(v => v),
      assignable<Reply<'listBatchJobs', 200>['jobs'][number], IBatchJob>(v => v),
      assignable<Reply<'listTriggers', 200>['triggers'][number], IDataTrigger>(v => v),
      assignable<Reply<'createTrigger', 201>, IDataTrigger>(v => v),
      assignable<Reply<'updateTrigger', 200>, IDataTrigger>(v => v),
      assignable<Reply<'enableTrigger', 200>, IDataTrigger>(v => v),
      assignable<Reply<'listTriggerFiles', 200>, ITriggerFiles>(v => v)
    ];
    expect(checks).toHaveLength(65);
  });

  it('sends only requests the server documents', () => {
    const checks = [
      assignable<Parameters<typeof startRun>[0], RequestBody<'startRun'>>(v => v),
      assignable<Parameters<typeof deployRun>[0], RequestBody<'deployRun'>>(v => v),
      assignable<Partial<IDriftPolicy>, RequestBody<'updateDriftPolicy'>>(v => v),
      assignable<Parameters<typeof retrainAlert>[1], RequestBody<'retrainAlert'>>(v => v),
      assignable<{ notebook: unknown; name: string }, RequestBody<'analyzeNotebook'>>(v => ({
        notebook: v.notebook as Record<string, never>,
        name: v.name
      })),
      assignable<{ path: string }, RequestBody<'compileNotebook'>>(v => v),
      assignable<Parameters<typeof registerModel>[0], RequestBody<'registerModel'>>(v => v),
      assignable<Parameters<typeof setModelAlias>[2], RequestBody<'setModelAlias'>>(v => v),
      assignable<NonNullable<Parameters<typeof deployModelVersion>[2]>, RequestBody<'deployModelVersion'>>(v => v),
      assignable<IStartRollout, RequestBody<'startRollout'>>(v => v),
      assignable<Parameters<typeof changeRollout>[1], RequestBody<'changeRollout'>>(v => v),
      assignable<NonNullable<Parameters<typeof decideRollout>[2]>, RequestBody<'promoteRollout'>>(v => v),
      assignable<NonNullable<Parameters<typeof decideRollout>[2]>, RequestBody<'rollbackRollout'>>(v => v),
      assignable<Partial<IGatePolicy>, RequestBody<'updateGatePolicy'>>(v => v),
      assignable<Partial<IPerformancePolicy>, RequestBody<'updatePerformancePolicy'>>(v => v),
      assignable<{ labels: ILabel[] }, RequestBody<'addLabels'>>(v => v),
      assignable<
        IScheduleFields & { name: string; notebook_path: string; expression: string },
        RequestBody<'createSchedule'>
      >(v => v),
      assignable<IScheduleFields, RequestBody<'updateSchedule'>>(v => v),
      assignable<IBatchRequest, RequestBody<'startBatchJob'>>(v => v),
      assignable<IMonitorJobRequest, RequestBody<'scheduleMonitorJob'>>(v => v),
      assignable<
        ITriggerFields & { name: string; notebook_path: string; source: string; parameter: string },
        RequestBody<'createTrigger'>
      >(v => v),
      assignable<ITriggerFields, RequestBody<'updateTrigger'>>(v => v)
    ];
    expect(checks).toHaveLength(22);
  });
});
