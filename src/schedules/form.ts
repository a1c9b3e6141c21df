/**
 * The schedule form's model: a draft of texts as the inputs hold them, checked in the browser for what needs no
 * server, mapped to the REST body, and the server's FieldErrors put next to their fields.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { ISchedule, IScheduleFields, ScheduleTrigger } from '../api';
import { typedParameters } from '../components/ParameterFields';
import { FieldMessages, fieldMessages } from './fields';

/** The form's inputs, as texts (times as `datetime-local` values, in the schedule's zone). */
export interface IScheduleDraft {
  name: string;
  notebook_path: string;
  /** The parameter values the runs get, and the values they are typed like. */
  parameters: Record<string, string>;
  defaults: Record<string, unknown>;
  experiment: string;
  target: 'local' | 'kfp';
  /** Run a pipeline compiled now (not the notebook as it is at each run); `pinned`: whether it is so now. */
  pin: boolean;
  pinned: boolean;
  trigger: ScheduleTrigger;
  expression: string;
  time_zone: string;
  start_at: string;
  end_at: string;
  max_concurrent: string;
  catch_up: boolean;
}

/** The form's fields that a message can be shown next to (the REST API's field names). */
export type DraftField = Exclude<keyof IScheduleDraft, 'defaults' | 'pinned'>;

/** Messages by field; `form` for one that names no field. */
export type DraftErrors = FieldMessages<DraftField>;

/** Cron expressions a user can start from. */
export const PRESETS: { label: string; expression: string }[] = [
  { label: 'Hourly', expression: '0 * * * *' },
  { label: 'Daily at 03:00', expression: '0 3 * * *' },
  { label: 'Weekly, Monday 06:00', expression: '0 6 * * 1' }
];

/** A schedule's or a trigger's name, as the server takes it. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const MAX_CONCURRENT = 100;

/** The browser's time zone (UTC when it does not say). */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** A schedule name from a notebook's path: "pipelines/Train model.ipynb" -> "train-model". */
export function nameFor(notebookPath: string): string {
  const stem = (notebookPath.split('/').pop() ?? '').replace(/\.ipynb$/, '');
  const name = stem
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '')
    .slice(0, 63);
  return name || 'schedule';
}

const texts = (values: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));

/** A new schedule of a notebook, with its parameters' defaults, daily at 03:00 in the browser's zone. */
export function newDraft(notebookPath: string, defaults: Record<string, unknown>, experiment = ''): IScheduleDraft {
  return {
    name: nameFor(notebookPath),
    notebook_path: notebookPath,
    parameters: texts(defaults),
    defaults,
    experiment,
    target: 'local',
    pin: false,
    pinned: false,
    trigger: 'cron',
    expression: PRESETS[1].expression,
    time_zone: browserZone(),
    start_at: '',
    end_at: '',
    max_concurrent: '1',
    catch_up: false
  };
}

/** A `datetime-local` value of epoch seconds in a zone ('' for none). */
export function localTime(epoch: number | null, timeZone: string): string {
  if (epoch === null) {
    return '';
  }
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone
    })
      .formatToParts(new Date(epoch * 1000))
      .map(part => [part.type, part.value])
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** The draft of an existing schedule, to edit it. */
export function draftOf(schedule: ISchedule): IScheduleDraft {
  return {
    name: schedule.name,
    notebook_path: schedule.notebook_path,
    parameters: texts(schedule.parameters),
    defaults: schedule.parameters,
    experiment: schedule.experiment ?? '',
    target: schedule.target,
    pin: schedule.pin !== null,
    pinned: schedule.pin !== null,
    trigger: schedule.trigger,
    expression: schedule.expression,
    time_zone: schedule.time_zone,
    start_at: localTime(schedule.start_at, schedule.time_zone),
    end_at: localTime(schedule.end_at, schedule.time_zone),
    max_concurrent: String(schedule.max_concurrent),
    catch_up: schedule.catch_up
  };
}

/** Why a text is not a whole number from `least` to `most` ('' when it is one). */
export function wholeNumberError(text: string, least: number, most: number, trans: TranslationBundle): string {
  const n = Number(text);
  return text.trim() !== '' && Number.isInteger(n) && n >= least && n <= most
    ? ''
    : trans.__('A whole number from %1 to %2.', least, most);
}

/** Why a parameter's text cannot be its value ('' when every one can): a number's must be a number. */
export function parameterError(
  texts: Record<string, string>,
  defaults: Record<string, unknown>,
  trans: TranslationBundle
): string {
  const bad = Object.entries(texts).find(
    ([name, text]) => typeof defaults[name] === 'number' && (text.trim() === '' || !Number.isFinite(Number(text)))
  );
  return bad ? trans.__('%1 must be a number.', bad[0]) : '';
}

/** What the browser can tell is wrong before asking the server (the trigger is the server's to judge). */
export function checkDraft(draft: IScheduleDraft, trans: TranslationBundle): DraftErrors {
  const errors: DraftErrors = {};
  if (!NAME.test(draft.name)) {
    errors.name = draft.name
      ? trans.__('Use up to 63 letters, digits, dots, dashes and underscores, starting with a letter or digit.')
      : trans.__('Give the schedule a name.');
  }
  if (!draft.expression.trim()) {
    errors.expression =
      draft.trigger === 'cron'
        ? trans.__('Write a cron expression, e.g. 0 3 * * * (daily at 03:00).')
        : trans.__('Write an interval, e.g. 15m or 1h30m.');
  }
  const count = wholeNumberError(draft.max_concurrent, 1, MAX_CONCURRENT, trans);
  if (count) {
    errors.max_concurrent = count;
  }
  if (draft.start_at && draft.end_at && draft.end_at <= draft.start_at) {
    errors.end_at = trans.__('The end must come after the start.');
  }
  const parameters = parameterError(draft.parameters, draft.defaults, trans);
  if (parameters) {
    errors.parameters = parameters;
  }
  return errors;
}

/**
 * The REST body of a draft: a whole new schedule, or (`editing`) every field but the name and the target (neither
 * can change). `pin` is sent only to pin or unpin (true again would compile the notebook again); a schedule on KFP
 * is always pinned.
 */
export function draftBody(draft: IScheduleDraft, editing = false): IScheduleFields {
  const pin = draft.target === 'local' && draft.pin !== draft.pinned ? { pin: draft.pin } : {};
  const body: IScheduleFields = {
    ...pin,
    notebook_path: draft.notebook_path,
    parameters: typedParameters(draft.defaults, draft.parameters),
    experiment: draft.experiment.trim() || null,
    trigger: draft.trigger,
    expression: draft.expression.trim(),
    time_zone: draft.time_zone.trim(),
    start_at: draft.start_at || null,
    end_at: draft.end_at || null,
    max_concurrent: Number(draft.max_concurrent),
    catch_up: draft.catch_up
  };
  return editing ? body : { name: draft.name, target: draft.target, ...body };
}

const FIELDS: DraftField[] = [
  'name',
  'notebook_path',
  'parameters',
  'experiment',
  'target',
  'pin',
  'trigger',
  'expression',
  'time_zone',
  'start_at',
  'end_at',
  'max_concurrent',
  'catch_up'
];

/** A failure as messages by field: a FieldError next to its field, a taken name next to the name, else `form`. */
export function serverErrors(error: unknown, message: (error: unknown) => string): DraftErrors {
  return fieldMessages(error, message, FIELDS);
}
