/**
 * The data trigger form's model: a draft of texts as the inputs hold them, checked in the browser for what needs no
 * server, mapped to the REST body; the server's FieldErrors go next to their fields.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IDataTrigger, ITriggerFields } from '../api';
import { typedParameters } from '../components/ParameterFields';
import { FieldMessages, fieldMessages } from '../schedules/fields';
import { MAX_CONCURRENT, NAME, nameFor, parameterError, wholeNumberError } from '../schedules/form';

/** The form's inputs, as texts. */
export interface ITriggerDraft {
  name: string;
  notebook_path: string;
  source: string;
  pattern: string;
  /** The parameter that receives each file's location. */
  parameter: string;
  /** The values of the notebook's other parameters (the file's parameter is left out of the body). */
  parameters: Record<string, string>;
  /** Every parameter's value, typed (a number stays a number). */
  defaults: Record<string, unknown>;
  experiment: string;
  settle_seconds: string;
  poll_seconds: string;
  batch: boolean;
  include_existing: boolean;
  max_concurrent: string;
}

/** The fields a message can be shown next to (the REST API's field names). */
export type TriggerField = Exclude<keyof ITriggerDraft, 'defaults'>;

export type TriggerErrors = FieldMessages<TriggerField>;

const FIELDS: TriggerField[] = [
  'name',
  'notebook_path',
  'source',
  'pattern',
  'parameter',
  'parameters',
  'experiment',
  'settle_seconds',
  'poll_seconds',
  'batch',
  'include_existing',
  'max_concurrent'
];
const MAX_SECONDS = 86400;
const LOCATION = /path|file|uri|url|location|input|data/i;

const texts = (values: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));

/** The parameter most likely meant to receive a file's location: one named like a path, else a text one. */
export function locationParameter(defaults: Record<string, unknown>): string {
  const names = Object.keys(defaults);
  return (
    names.find(name => LOCATION.test(name)) ?? names.find(name => typeof defaults[name] === 'string') ?? names[0] ?? ''
  );
}

/** A new trigger of a notebook watching `folder` (the file browser's), with its parameters' defaults. */
export function newTriggerDraft(
  notebookPath: string,
  defaults: Record<string, unknown>,
  folder: string,
  experiment = ''
): ITriggerDraft {
  return {
    name: `${nameFor(notebookPath).slice(0, 58)}-data`,
    notebook_path: notebookPath,
    source: folder || '.',
    pattern: '*.csv',
    parameter: locationParameter(defaults),
    parameters: texts(defaults),
    defaults,
    experiment,
    settle_seconds: '10',
    poll_seconds: '5',
    batch: false,
    include_existing: false,
    max_concurrent: '1'
  };
}

/** The draft of an existing trigger, to edit it (its parameter among the choices, with no value). */
export function triggerDraftOf(trigger: IDataTrigger): ITriggerDraft {
  return {
    name: trigger.name,
    notebook_path: trigger.notebook_path,
    source: trigger.source,
    pattern: trigger.pattern,
    parameter: trigger.parameter,
    parameters: texts({ ...trigger.parameters, [trigger.parameter]: '' }),
    defaults: { ...trigger.parameters, [trigger.parameter]: '' },
    experiment: trigger.experiment ?? '',
    settle_seconds: String(trigger.settle_seconds),
    poll_seconds: String(trigger.poll_seconds),
    batch: trigger.batch,
    include_existing: trigger.include_existing,
    max_concurrent: String(trigger.max_concurrent)
  };
}

/** The values the runs get: every parameter but the one that receives the file's location. */
export function otherParameters(draft: ITriggerDraft): Record<string, string> {
  return Object.fromEntries(Object.entries(draft.parameters).filter(([name]) => name !== draft.parameter));
}

/** What the browser can tell is wrong before asking the server (the source and pattern are the server's to judge). */
export function checkTriggerDraft(draft: ITriggerDraft, trans: TranslationBundle): TriggerErrors {
  const errors: TriggerErrors = {};
  if (!NAME.test(draft.name)) {
    errors.name = draft.name
      ? trans.__('Use up to 63 letters, digits, dots, dashes and underscores, starting with a letter or digit.')
      : trans.__('Give the trigger a name.');
  }
  if (!draft.source.trim()) {
    errors.source = trans.__('Write a folder under the Jupyter root (e.g. data/incoming) or an s3:// prefix.');
  }
  if (!draft.parameter) {
    errors.parameter = trans.__(
      'The notebook has no parameter to receive the file: add one (e.g. data_path) to its pipeline-parameters cell.'
    );
  }
  const checks: [TriggerField, string][] = [
    ['settle_seconds', wholeNumberError(draft.settle_seconds, 0, MAX_SECONDS, trans)],
    ['poll_seconds', wholeNumberError(draft.poll_seconds, 1, MAX_SECONDS, trans)],
    ['max_concurrent', wholeNumberError(draft.max_concurrent, 1, MAX_CONCURRENT, trans)],
    ['parameters', parameterError(otherParameters(draft), draft.defaults, trans)]
  ];
  for (const [field, message] of checks) {
    if (message) {
      errors[field] = message;
    }
  }
  return errors;
}

/** The REST body of a draft: a whole new trigger, or (`editing`) every field but the name. */
export function triggerBody(draft: ITriggerDraft, editing = false): ITriggerFields {
  const body: ITriggerFields = {
    notebook_path: draft.notebook_path,
    source: draft.source.trim(),
    pattern: draft.pattern.trim() || '*',
    parameter: draft.parameter,
    parameters: typedParameters(draft.defaults, otherParameters(draft)),
    experiment: draft.experiment.trim() || null,
    settle_seconds: Number(draft.settle_seconds),
    poll_seconds: Number(draft.poll_seconds),
    batch: draft.batch,
    include_existing: draft.include_existing,
    max_concurrent: Number(draft.max_concurrent)
  };
  return editing ? body : { name: draft.name, ...body };
}

/** A failure as messages by field (a taken name next to the name, one that names no field for the whole form). */
export function triggerErrors(error: unknown, message: (error: unknown) => string): TriggerErrors {
  return fieldMessages(error, message, FIELDS);
}
