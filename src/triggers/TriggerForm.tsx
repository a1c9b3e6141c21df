/**
 * Create or change a data trigger: where files land (a folder or an s3:// prefix) and which, the notebook's
 * parameter that receives each file's location, the other parameters, how long a file settles, how often the source
 * is listed, batch mode, files already there, runs at once. Every message the server gives about a field shows next
 * to that field.
 */
import React from 'react';

import { IDataTrigger, ITriggerFields } from '../api';
import { ParameterFields } from '../components/ParameterFields';
import { errorMessage } from '../errors';
import { AutomationFormFrame, draftFields, IAutomationFormProps, useDraftForm } from '../schedules/fields';
import { checkTriggerDraft, ITriggerDraft, otherParameters, TriggerField, triggerBody, triggerErrors } from './form';
import { whenWords } from './words';

export type ITriggerFormProps = IAutomationFormProps<ITriggerDraft, ITriggerFields, IDataTrigger>;

export function TriggerForm({ initial, editing = false, save, onSaved, onCancel, trans }: ITriggerFormProps) {
  const { draft, edit, errors, busy, submit } = useDraftForm({
    initial,
    check: (d: ITriggerDraft) => checkTriggerDraft(d, trans),
    send: d => save(triggerBody(d, editing)),
    failed: error => triggerErrors(error, errorMessage),
    onSaved
  });
  const id = `a4m-trigger-${editing ? 'edit' : 'new'}`;
  const { describe, fieldError, text } = draftFields<ITriggerDraft, TriggerField>(id, draft, errors, edit);
  const choices = Object.keys(draft.parameters);
  const check = (field: 'batch' | 'include_existing', label: string, title: string) => (
    <>
      <label className="a4m-Check" title={title}>
        <input
          type="checkbox"
          {...describe(field)}
          checked={draft[field]}
          onChange={e => edit({ [field]: e.target.checked })}
        />
        {label}
      </label>
      {fieldError(field)}
    </>
  );
  return (
    <AutomationFormFrame
      className="a4m-ScheduleForm a4m-TriggerForm"
      label={editing ? trans.__('Edit trigger %1', draft.name) : trans.__('New data trigger')}
      createLabel={trans.__('Create trigger')}
      state={{ draft, formError: errors.form, editing, busy, submit, onCancel, text, fieldError }}
      trans={trans}
    >
      {text(
        'source',
        trans.__('Watch'),
        {
          placeholder: 'data/incoming',
          spellCheck: false,
          title: trans.__('A folder under the Jupyter root, or an s3:// prefix')
        },
        true
      )}
      {text('pattern', trans.__('Pattern'), {
        placeholder: '*.csv',
        spellCheck: false,
        title: trans.__('*.csv: in the folder itself; daily/*.csv or **/*.csv: below it')
      })}
      <label className="a4m-Field a4m-mod-inline">
        <span>{trans.__('File goes to')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Parameter that receives the file')}
          title={trans.__("The pipeline parameter that receives each file's location (its path or s3:// URI)")}
          {...describe('parameter')}
          value={draft.parameter}
          onChange={e => edit({ parameter: e.target.value })}
        >
          {choices.length === 0 && <option value="">{trans.__('no parameter')}</option>}
          {choices.map(name => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        {fieldError('parameter')}
      </label>
      <ParameterFields
        texts={otherParameters(draft)}
        onChange={values => edit({ parameters: { ...draft.parameters, ...values } })}
        label={name => trans.__('Value of %1 for each run', name)}
      />
      {fieldError('parameters')}
      {text('experiment', trans.__('Experiment'), { placeholder: trans.__("the notebook's") })}
      {text('settle_seconds', trans.__('Settle (s)'), {
        type: 'number',
        min: 0,
        title: trans.__('Seconds a file’s size and time must hold before it runs (a file still being written waits).')
      })}
      {text('poll_seconds', trans.__('Poll (s)'), {
        type: 'number',
        min: 1,
        title: trans.__('How often, in seconds, the source is listed.')
      })}
      {check(
        'batch',
        trans.__('One run for each batch of files'),
        trans.__("Once no file is settling, one run gets every new file's location, joined by newlines.")
      )}
      {check(
        'include_existing',
        trans.__('Run the files already there too'),
        trans.__('Else files there before the trigger are left alone until they change.')
      )}
      {text('max_concurrent', trans.__('Runs at once'), {
        type: 'number',
        min: 1,
        max: 100,
        title: trans.__('While this many runs are going, new files wait (none is skipped).')
      })}
      <p className="a4m-FirePreview" role="status">
        {whenWords(
          { source: draft.source.trim() || '…', pattern: draft.pattern.trim() || '*', batch: draft.batch },
          trans
        )}
        {draft.parameter && `, ${trans.__('its location in %1', draft.parameter)}`}
      </p>
    </AutomationFormFrame>
  );
}
