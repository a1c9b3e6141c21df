/**
 * What runs notebooks on its own: a row per automation (a schedule, a data trigger; its kind as an icon) with when
 * it runs in words, an on/off switch, its next and last run; the selected one's detail below.
 */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { ISchedule, IScheduleDetail, IScheduleFire } from '../api';
import { When } from '../components/When';
import { ISchedulesModel, ITriggersModel } from '../tokens';
import { TriggerDetail, TriggerRow } from '../triggers/TriggerViews';
import { draftOf } from './form';
import { AutomationDetail, AutomationRow, ErrorLine, IAutomationLinks, RunButton } from './parts';
import { ScheduleForm } from './ScheduleForm';
import { fireTimes, fireWords, triggerCode, triggerWords } from './words';

export interface ISchedulesViewProps extends IAutomationLinks {
  schedules: ISchedulesModel;
  /** The data triggers, listed with the schedules. */
  triggers?: ITriggersModel;
}

const isoOf = (epoch: number) => new Date(epoch * 1000).toISOString();

/** A fire's outcome as a status pill, with its reason. */
function FireOutcome({ fire, trans }: { fire: IScheduleFire; trans: TranslationBundle }) {
  return (
    <span className="a4m-Status" data-status={fire.outcome} title={fire.reason ?? ''}>
      {fireWords(fire, trans)}
    </span>
  );
}

/** A run a KFP recurring run started: its status, and a link to it on the KFP server. */
function KfpRunLink({ run, trans }: { run: NonNullable<IScheduleFire['kfp_run']>; trans: TranslationBundle }) {
  const name = run.name ?? run.run_id;
  return (
    <>
      <span className="a4m-Status" data-status={run.status}>
        {run.status}
      </span>{' '}
      {run.url ? (
        <a className="a4m-RunLink" href={run.url} target="_blank" rel="noopener noreferrer">
          {trans.__('%1 on KFP', name)}
        </a>
      ) : (
        name
      )}
    </>
  );
}

function ScheduleRow({
  schedule,
  selected,
  select,
  props
}: {
  schedule: ISchedule;
  selected: boolean;
  /** Show this schedule's detail (null: none). */
  select: (name: string | null) => void;
  props: ISchedulesViewProps;
}) {
  const { schedules, trans } = props;
  const last = schedule.last_fire;
  return (
    <AutomationRow
      kind="schedule"
      item={schedule}
      nameTitle={trans.__('Show schedule %1', schedule.name)}
      selected={selected}
      select={select}
      setEnabled={enabled => schedules.setEnabled(schedule.name, enabled)}
      trans={trans}
    >
      <span className="a4m-Automation-trigger" title={triggerCode(schedule)}>
        {triggerWords(schedule, trans)}
      </span>
      <span className="a4m-Automation-when">
        {trans.__('Next:')}{' '}
        {schedule.next_due !== null
          ? fireTimes([isoOf(schedule.next_due)], schedule.time_zone)[0]
          : schedule.target === 'kfp' && schedule.enabled
            ? trans.__('as Kubeflow Pipelines fires it')
            : trans.__('none')}
      </span>
      <span className="a4m-Automation-when a4m-Automation-last">
        {trans.__('Last:')}{' '}
        {schedule.target === 'kfp' ? (
          trans.__('see its runs on Kubeflow Pipelines')
        ) : last ? (
          <>
            <When iso={isoOf(last.due)} /> <FireOutcome fire={last} trans={trans} />{' '}
            {last.run_id && <RunButton id={last.run_id} links={props} />}
          </>
        ) : (
          trans.__('never')
        )}
      </span>
    </AutomationRow>
  );
}

function ScheduleDetail({
  detail,
  fires,
  props
}: {
  detail: IScheduleDetail;
  fires: IScheduleFire[];
  props: ISchedulesViewProps;
}) {
  const { schedules, trans } = props;
  const next = fireTimes(detail.next_times, detail.time_zone);
  const dues = fireTimes(
    fires.map(fire => isoOf(fire.due)),
    detail.time_zone
  );
  return (
    <AutomationDetail
      kind="schedule"
      item={detail}
      label={trans.__('Schedule %1', detail.name)}
      links={props}
      close={() => schedules.select(null)}
      remove={() => schedules.remove(detail.name)}
      form={done => (
        <ScheduleForm
          initial={draftOf(detail)}
          editing
          save={change => schedules.update(detail.name, change)}
          onSaved={done}
          onCancel={done}
          trans={trans}
        />
      )}
      fields={
        <>
          <dt>{trans.__('Trigger')}</dt>
          <dd>
            {triggerWords(detail, trans)} <code className="a4m-Code">{triggerCode(detail)}</code>
          </dd>
          <dt>{trans.__('Target')}</dt>
          <dd>{detail.target === 'kfp' ? trans.__('Kubeflow Pipelines') : trans.__('Local')}</dd>
          <dt>{trans.__('Pipeline')}</dt>
          <dd title={detail.pin ?? ''}>
            {detail.pin
              ? trans.__('pinned (%1)', detail.pin.slice(0, 12))
              : trans.__('the notebook, compiled at each run')}
          </dd>
        </>
      }
      tail={
        <>
          <dt>{trans.__('Runs at once')}</dt>
          <dd>
            {detail.max_concurrent}
            {detail.catch_up ? `, ${trans.__('catches up')}` : ''}
          </dd>
        </>
      }
    >
      <h4 className="a4m-SectionTitle">{trans.__('Next runs (%1)', detail.time_zone)}</h4>
      {next.length > 0 ? (
        <ol className="a4m-FireTimes" aria-label={trans.__('Next fire times of %1', detail.name)}>
          {next.map((time, i) => (
            <li key={detail.next_times[i]}>{time}</li>
          ))}
        </ol>
      ) : (
        <p className="a4m-Panel-empty">
          {!detail.enabled
            ? trans.__('None while disabled.')
            : detail.target === 'kfp'
              ? trans.__('Kubeflow Pipelines fires it.')
              : trans.__('None: the schedule has ended.')}
        </p>
      )}
      <h4 className="a4m-SectionTitle">{trans.__('Recent fires')}</h4>
      {fires.length > 0 ? (
        <ul className="a4m-Fires" aria-label={trans.__('Recent fires of %1', detail.name)}>
          {fires.slice(0, 10).map((fire, i) => (
            <li key={fire.due} data-outcome={fire.outcome}>
              <span className="a4m-Fires-due">{dues[i]}</span> <FireOutcome fire={fire} trans={trans} />{' '}
              {fire.run_id && <RunButton id={fire.run_id} links={props} />}
              {fire.kfp_run && <KfpRunLink run={fire.kfp_run} trans={trans} />}
            </li>
          ))}
        </ul>
      ) : (
        <p className="a4m-Panel-empty">{trans.__('No fire yet.')}</p>
      )}
    </AutomationDetail>
  );
}

export function SchedulesView(props: ISchedulesViewProps): JSX.Element {
  const { schedules, triggers, trans } = props;
  const problems = [schedules.error, triggers?.error]
    .filter(Boolean)
    .map(error => <ErrorLine key={error} error={error!} />);
  const triggerList = triggers?.triggers ?? [];
  if (schedules.schedules.length === 0 && triggerList.length === 0) {
    return (
      <>
        {problems}
        <p className="a4m-Panel-empty">
          {trans.__(
            'No schedule or data trigger yet. In the Pipeline panel, use Schedule… to run a notebook on a timetable, or Run on new data… to run it on each new file.'
          )}
        </p>
      </>
    );
  }
  // One selection across the kinds: showing one detail hides the other.
  const selectSchedule = (name: string | null) => (schedules.select(name), name && triggers?.select(null));
  const selectTrigger = (name: string | null) => (triggers?.select(name), name && schedules.select(null));
  const rows = [
    ...schedules.schedules.map(schedule => ({
      name: schedule.name,
      row: (
        <ScheduleRow
          key={`schedule:${schedule.name}`}
          schedule={schedule}
          selected={schedule.name === schedules.selected}
          select={selectSchedule}
          props={props}
        />
      )
    })),
    ...triggerList.map(trigger => ({
      name: trigger.name,
      row: (
        <TriggerRow
          key={`trigger:${trigger.name}`}
          trigger={trigger}
          selected={trigger.name === triggers?.selected}
          select={selectTrigger}
          setEnabled={enabled => triggers!.setEnabled(trigger.name, enabled)}
          links={props}
        />
      )
    }))
  ].sort((a, b) => a.name.localeCompare(b.name));
  const detail = schedules.detail;
  const trigger = triggers?.detail;
  return (
    <div className="a4m-Automations">
      {problems}
      <ul className="a4m-AutomationList" aria-label={trans.__('Schedules and data triggers')}>
        {rows.map(({ row }) => row)}
      </ul>
      {detail && <ScheduleDetail key={detail.name} detail={detail} fires={schedules.fires} props={props} />}
      {triggers && trigger && <TriggerDetail key={trigger.name} trigger={trigger} triggers={triggers} links={props} />}
    </div>
  );
}
