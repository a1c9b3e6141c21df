/**
 * What runs notebooks on its own: a row per automation (today schedules; a `kind` column leaves room for data
 * triggers) with its trigger in words, an on/off switch, its next and last run; the selected one's detail below.
 */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';
import { historyIcon, LabIcon } from '@jupyterlab/ui-components';

import { ISchedule, IScheduleDetail, IScheduleFire } from '../api';
import { When } from '../components/When';
import { errorMessage } from '../errors';
import { ISchedulesModel } from '../tokens';
import { draftOf } from './form';
import { ScheduleForm } from './ScheduleForm';
import { fireTimes, fireWords, triggerCode, triggerWords } from './words';

/** The kinds of automation the list shows; each has an icon and a name for its column. */
export type AutomationKind = 'schedule';

const KIND_ICONS: Record<AutomationKind, LabIcon> = { schedule: historyIcon };

export interface ISchedulesViewProps {
  schedules: ISchedulesModel;
  trans: TranslationBundle;
  /** List the runs a schedule started in Experiments. */
  showRuns: (schedule: string) => void;
  /** Open a run's detail in Experiments. */
  showRun: (id: string) => void;
  /** A run's name, as Experiments shows it ("run 3"). */
  runName: (id: string) => string;
  /** Open a notebook. */
  openNotebook?: (path: string) => void;
}

const isoOf = (epoch: number) => new Date(epoch * 1000).toISOString();

function KindIcon({ kind }: { kind: AutomationKind }) {
  const Icon = KIND_ICONS[kind].react;
  return <Icon tag="span" elementSize="small" aria-hidden="true" />;
}

function KindBadge({ kind, trans }: { kind: AutomationKind; trans: TranslationBundle }) {
  const name = { schedule: trans.__('Schedule') }[kind];
  return (
    <span className="a4m-Kind" data-kind={kind} title={name}>
      <KindIcon kind={kind} />
      <span className="a4m-VisuallyHidden">{name}</span>
    </span>
  );
}

/** A fire's outcome as a status pill, with its reason. */
function FireOutcome({ fire, trans }: { fire: IScheduleFire; trans: TranslationBundle }) {
  return (
    <span className="a4m-Status" data-status={fire.outcome} title={fire.reason ?? ''}>
      {fireWords(fire, trans)}
    </span>
  );
}

function RunButton({ id, props }: { id: string; props: ISchedulesViewProps }) {
  return (
    <button
      className="a4m-LinkButton a4m-RunLink"
      title={props.trans.__('Show run %1', id)}
      onClick={() => props.showRun(id)}
    >
      {props.runName(id)}
    </button>
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
  props
}: {
  schedule: ISchedule;
  selected: boolean;
  props: ISchedulesViewProps;
}) {
  const { schedules, trans } = props;
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    setError('');
    try {
      await schedules.setEnabled(schedule.name, !schedule.enabled);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const last = schedule.last_fire;
  return (
    <li
      className={selected ? 'a4m-Automation a4m-mod-selected' : 'a4m-Automation'}
      data-kind="schedule"
      data-name={schedule.name}
      data-enabled={schedule.enabled}
    >
      <KindBadge kind="schedule" trans={trans} />
      <button
        className="a4m-Automation-name"
        aria-expanded={selected}
        title={trans.__('Show schedule %1', schedule.name)}
        onClick={() => schedules.select(selected ? null : schedule.name)}
      >
        {schedule.name}
      </button>
      <label className="a4m-Switch" title={schedule.enabled ? trans.__('Enabled') : trans.__('Disabled')}>
        <input
          type="checkbox"
          role="switch"
          aria-label={trans.__('Enable %1', schedule.name)}
          checked={schedule.enabled}
          disabled={busy}
          onChange={() => void toggle()}
        />
        <span aria-hidden="true">{schedule.enabled ? trans.__('on') : trans.__('off')}</span>
      </label>
      <span className="a4m-Automation-notebook" title={schedule.notebook_path}>
        {schedule.notebook_path}
      </span>
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
            {last.run_id && <RunButton id={last.run_id} props={props} />}
          </>
        ) : (
          trans.__('never')
        )}
      </span>
      {error && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {error}
        </p>
      )}
    </li>
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
  const { schedules, trans, showRuns, openNotebook } = props;
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState('');
  const remove = () => schedules.remove(detail.name).catch(e => setError(errorMessage(e)));
  const next = fireTimes(detail.next_times, detail.time_zone);
  const dues = fireTimes(
    fires.map(fire => isoOf(fire.due)),
    detail.time_zone
  );
  const parameters = Object.entries(detail.parameters);
  return (
    <section className="a4m-ScheduleDetail" aria-label={trans.__('Schedule %1', detail.name)}>
      <div className="a4m-RunDetail-header">
        <strong>{detail.name}</strong>
        <button className="jp-mod-styled" onClick={() => schedules.select(null)}>
          {trans.__('Close')}
        </button>
      </div>
      {editing ? (
        <ScheduleForm
          initial={draftOf(detail)}
          editing
          save={change => schedules.update(detail.name, change)}
          onSaved={() => setEditing(false)}
          onCancel={() => setEditing(false)}
          trans={trans}
        />
      ) : (
        <>
          <dl className="a4m-Parameters">
            <dt>{trans.__('Notebook')}</dt>
            <dd>
              {openNotebook ? (
                <button className="a4m-LinkButton a4m-RunLink" onClick={() => openNotebook(detail.notebook_path)}>
                  {detail.notebook_path}
                </button>
              ) : (
                detail.notebook_path
              )}
            </dd>
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
            <dt>{trans.__('Experiment')}</dt>
            <dd>{detail.experiment ?? trans.__("the notebook's")}</dd>
            {parameters.length > 0 && (
              <>
                <dt>{trans.__('Parameters')}</dt>
                <dd>{parameters.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(', ')}</dd>
              </>
            )}
            <dt>{trans.__('Runs at once')}</dt>
            <dd>
              {detail.max_concurrent}
              {detail.catch_up ? `, ${trans.__('catches up')}` : ''}
            </dd>
          </dl>
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
                  {fire.run_id && <RunButton id={fire.run_id} props={props} />}
                  {fire.kfp_run && <KfpRunLink run={fire.kfp_run} trans={trans} />}
                </li>
              ))}
            </ul>
          ) : (
            <p className="a4m-Panel-empty">{trans.__('No fire yet.')}</p>
          )}
          <div className="a4m-Buttons">
            <button className="jp-mod-styled" onClick={() => showRuns(detail.name)}>
              {trans.__('Runs')}
            </button>
            <button className="jp-mod-styled" onClick={() => setEditing(true)}>
              {trans.__('Edit')}
            </button>
            <button className="jp-mod-styled jp-mod-warn" onClick={() => void remove()}>
              {trans.__('Delete')}
            </button>
          </div>
          {error && (
            <p className="a4m-Message a4m-mod-error" role="alert">
              {error}
            </p>
          )}
        </>
      )}
    </section>
  );
}

export function SchedulesView(props: ISchedulesViewProps): JSX.Element {
  const { schedules, trans } = props;
  const problem = schedules.error && (
    <p className="a4m-Message a4m-mod-error" role="alert">
      {schedules.error}
    </p>
  );
  if (schedules.schedules.length === 0) {
    return (
      <>
        {problem}
        <p className="a4m-Panel-empty">
          {trans.__('No schedule yet. Use Schedule… in the Pipeline panel to run a notebook on a timetable.')}
        </p>
      </>
    );
  }
  const detail = schedules.detail;
  return (
    <div className="a4m-Automations">
      {problem}
      <ul className="a4m-AutomationList" aria-label={trans.__('Schedules')}>
        {schedules.schedules.map(schedule => (
          <ScheduleRow
            key={schedule.name}
            schedule={schedule}
            selected={schedule.name === schedules.selected}
            props={props}
          />
        ))}
      </ul>
      {detail && <ScheduleDetail key={detail.name} detail={detail} fires={schedules.fires} props={props} />}
    </div>
  );
}
