/**
 * Create or change a schedule: the notebook's parameters, experiment, target, the trigger with a helper that shows
 * its next five fire times as the user types (or why the server refuses it), its bounds, concurrency and catch-up.
 * Every message the server gives about a field shows next to that field.
 */
import React, { useEffect, useState } from 'react';

import { IScheduleDetail, IScheduleFields, previewSchedule, ScheduleTrigger } from '../api';
import { ParameterFields } from '../components/ParameterFields';
import { errorMessage } from '../errors';
import { AutomationFormFrame, draftFields, IAutomationFormProps, useDraftForm } from './fields';
import { checkDraft, DraftErrors, DraftField, draftBody, IScheduleDraft, PRESETS, serverErrors } from './form';
import { fireTimes } from './words';

/** How long the helper waits after the last keystroke before it asks the server. */
export const PREVIEW_DELAY_MS = 400;

/** The next fire times of a trigger, asked of the server once the user stops typing; or why it is refused. */
function useFirePreview(trigger: ScheduleTrigger, expression: string, timeZone: string) {
  const [preview, setPreview] = useState<{ times: string[]; errors: DraftErrors }>({ times: [], errors: {} });
  useEffect(() => {
    if (!expression.trim()) {
      setPreview({ times: [], errors: {} });
      return;
    }
    let current = true;
    const timer = window.setTimeout(() => {
      previewSchedule(trigger, expression.trim(), timeZone.trim() || 'UTC')
        .then(answer => current && setPreview({ times: answer.times, errors: {} }))
        .catch(error => current && setPreview({ times: [], errors: serverErrors(error, errorMessage) }));
    }, PREVIEW_DELAY_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [trigger, expression, timeZone]);
  return preview;
}

/** The zones a browser knows, for the time zone's suggestions. */
function knownZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.('timeZone') ?? [];
}

export type IScheduleFormProps = IAutomationFormProps<IScheduleDraft, IScheduleFields, IScheduleDetail>;

export function ScheduleForm({ initial, editing = false, save, onSaved, onCancel, trans }: IScheduleFormProps) {
  const { draft, edit, errors, busy, submit } = useDraftForm({
    initial,
    check: (d: IScheduleDraft) => checkDraft(d, trans),
    send: d => save(draftBody(d, editing)),
    failed: error => serverErrors(error, errorMessage),
    onSaved
  });
  const preview = useFirePreview(draft.trigger, draft.expression, draft.time_zone);
  const id = `a4m-schedule-${editing ? 'edit' : 'new'}`;
  // The helper's refusal of the trigger shows at its field, as a refusal on saving would.
  const shown: DraftErrors = { ...preview.errors, ...errors };
  const { describe, fieldError, text } = draftFields<IScheduleDraft, DraftField>(id, draft, shown, edit);

  const zones = knownZones();
  const times = fireTimes(preview.times, draft.time_zone.trim() || 'UTC');
  return (
    <AutomationFormFrame
      className="a4m-ScheduleForm"
      label={editing ? trans.__('Edit schedule %1', draft.name) : trans.__('New schedule')}
      createLabel={trans.__('Create schedule')}
      state={{ draft, formError: errors.form, editing, busy, submit, onCancel, text, fieldError }}
      trans={trans}
    >
      <ParameterFields
        texts={draft.parameters}
        onChange={parameters => edit({ parameters })}
        label={name => trans.__('Value of %1 for each run', name)}
      />
      {fieldError('parameters')}
      {text('experiment', trans.__('Experiment'), { placeholder: trans.__("the notebook's") })}
      <label className="a4m-Field a4m-mod-inline">
        <span>{trans.__('Target')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Schedule target')}
          disabled={editing}
          title={editing ? trans.__('A target cannot change.') : ''}
          {...describe('target')}
          value={draft.target}
          onChange={e => edit({ target: e.target.value as IScheduleDraft['target'] })}
        >
          <option value="local">{trans.__('Local (no cluster)')}</option>
          <option value="kfp">{trans.__('Kubeflow Pipelines')}</option>
        </select>
        {fieldError('target')}
      </label>
      <label
        className="a4m-Check"
        title={trans.__('Compile the notebook now: each run runs that pipeline, whatever later edits of the notebook.')}
      >
        <input
          type="checkbox"
          {...describe('pin')}
          checked={draft.pin || draft.target === 'kfp'}
          disabled={draft.target === 'kfp'}
          onChange={e => edit({ pin: e.target.checked })}
        />
        {draft.target === 'kfp'
          ? trans.__('Pinned: KFP runs the pipeline compiled now')
          : trans.__('Pin the pipeline compiled now')}
      </label>
      {fieldError('pin')}
      <label className="a4m-Field a4m-mod-inline">
        <span>{trans.__('Trigger')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Trigger')}
          {...describe('trigger')}
          value={draft.trigger}
          onChange={e => edit({ trigger: e.target.value as ScheduleTrigger })}
        >
          <option value="cron">{trans.__('Cron expression')}</option>
          <option value="interval">{trans.__('Interval')}</option>
        </select>
        {fieldError('trigger')}
      </label>
      {text(
        'expression',
        draft.trigger === 'cron' ? trans.__('Cron expression') : trans.__('Every'),
        { placeholder: draft.trigger === 'cron' ? '0 3 * * *' : '15m', spellCheck: false },
        draft.trigger === 'cron'
      )}
      {draft.trigger === 'cron' && (
        <div className="a4m-Presets" role="group" aria-label={trans.__('Presets')}>
          {PRESETS.map(preset => (
            <button
              key={preset.expression}
              type="button"
              className="jp-mod-styled a4m-Preset"
              title={preset.expression}
              aria-pressed={draft.expression.trim() === preset.expression}
              onClick={() => edit({ expression: preset.expression })}
            >
              {trans.__(preset.label)}
            </button>
          ))}
        </div>
      )}
      {times.length > 0 && (
        <div className="a4m-FirePreview" role="status">
          <span>{trans.__('Next runs (%1)', draft.time_zone)}</span>
          <ol aria-label={trans.__('Next fire times')}>
            {times.map((time, i) => (
              <li key={preview.times[i]}>{time}</li>
            ))}
          </ol>
        </div>
      )}
      {text('time_zone', trans.__('Time zone'), { list: `${id}-zones`, spellCheck: false })}
      <datalist id={`${id}-zones`}>
        {zones.map(zone => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      {text('start_at', trans.__('Start (optional)'), { type: 'datetime-local' }, true)}
      {text('end_at', trans.__('End (optional)'), { type: 'datetime-local' }, true)}
      {text('max_concurrent', trans.__('Runs at once'), {
        type: 'number',
        min: 1,
        max: 100,
        title: trans.__('Due times while this many runs are going are skipped.')
      })}
      <label
        className="a4m-Check"
        title={trans.__('Run missed due times (at most the latest 10), else only the latest.')}
      >
        <input
          type="checkbox"
          {...describe('catch_up')}
          checked={draft.catch_up}
          onChange={e => edit({ catch_up: e.target.checked })}
        />
        {trans.__('Catch up on missed runs')}
      </label>
      {fieldError('catch_up')}
    </AutomationFormFrame>
  );
}
