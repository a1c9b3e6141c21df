/** A form that edits one cell's pipeline role: kind, step name, upstream steps, settings. */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { CellKind, formatTags, ICellStep, parseTags, settingProblem, stepNameProblem } from './model';

/** The step-name rule as an HTML `pattern` (marks the field :invalid, which disables a dialog's Apply). */
const STEP_NAME_PATTERN = '[_a-z][_a-z0-9]*';

export interface IStepEditorProps {
  tags: string[];
  /** Step names defined in cells above this one (candidates for prev:). */
  stepsAbove: string[];
  onChange: (tags: string[]) => void;
  trans: TranslationBundle;
}

export function kindLabels(trans: TranslationBundle): Record<CellKind, string> {
  return {
    none: trans.__('Not tagged (joins the cell above)'),
    step: trans.__('Pipeline step'),
    imports: trans.__('Imports (prepended to every step)'),
    functions: trans.__('Functions (prepended to every step)'),
    'pipeline-parameters': trans.__('Pipeline parameters'),
    'pipeline-metrics': trans.__('Pipeline metrics'),
    skip: trans.__('Skip (not in the pipeline)')
  };
}

export function StepEditor({ tags, stepsAbove, onChange, trans }: IStepEditorProps): JSX.Element {
  const step = parseTags(tags);
  const [draftSetting, setDraftSetting] = useState('');
  // An invalid step name stays in the field (with its error) and is never written into the tag.
  const [nameDraft, setNameDraft] = useState<string | null>(null);
  const update = (change: Partial<ICellStep>) => onChange(formatTags({ ...step, ...change }));
  const shownName = nameDraft ?? step.name;
  const nameProblem = stepNameProblem(shownName);
  const editName = (name: string) => {
    if (stepNameProblem(name)) {
      setNameDraft(name);
    } else {
      setNameDraft(null);
      update({ name });
    }
  };
  const draftProblem = draftSetting ? settingProblem(draftSetting) : '';
  const labels = kindLabels(trans);

  return (
    <div className="a4m-StepEditor">
      <label className="a4m-Field">
        <span>{trans.__('Cell role')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Cell role')}
          value={step.kind}
          onChange={e => update({ kind: e.target.value as CellKind })}
        >
          {(Object.keys(labels) as CellKind[]).map(kind => (
            <option key={kind} value={kind}>
              {labels[kind]}
            </option>
          ))}
        </select>
      </label>
      {step.kind === 'step' && (
        <>
          <label className="a4m-Field">
            <span>{trans.__('Step name')}</span>
            <input
              className="jp-mod-styled"
              aria-label={trans.__('Step name')}
              aria-invalid={!!nameProblem}
              aria-describedby={nameProblem ? 'a4m-step-name-error' : undefined}
              value={shownName}
              pattern={STEP_NAME_PATTERN}
              placeholder={trans.__('empty: continue the previous step')}
              list="a4m-step-names"
              onChange={e => editName(e.target.value)}
            />
            <datalist id="a4m-step-names">
              {stepsAbove.map(name => (
                <option key={name} value={name} />
              ))}
            </datalist>
            {nameProblem && (
              <span className="a4m-FieldError" id="a4m-step-name-error" role="alert">
                {nameDraft === null
                  ? nameProblem
                  : trans.__('%1 Not saved: the tag keeps %2.', nameProblem, `step:${step.name}`)}
              </span>
            )}
          </label>
          {stepsAbove.length > 0 && (
            <fieldset className="a4m-Field">
              <legend>{trans.__('Runs after (prev:)')}</legend>
              {stepsAbove
                .filter(name => name !== step.name)
                .map(name => (
                  <label key={name} className="a4m-Check">
                    <input
                      type="checkbox"
                      checked={step.prev.includes(name)}
                      onChange={e =>
                        update({
                          prev: e.target.checked ? [...step.prev, name] : step.prev.filter(p => p !== name)
                        })
                      }
                    />
                    {name}
                  </label>
                ))}
            </fieldset>
          )}
          <div className="a4m-Field">
            <span>{trans.__('Settings')}</span>
            <ul className="a4m-Settings">
              {step.settings.map(setting => (
                <li key={setting}>
                  <code>{setting}</code>
                  <button
                    className="a4m-LinkButton"
                    aria-label={trans.__('Remove %1', setting)}
                    onClick={() => update({ settings: step.settings.filter(s => s !== setting) })}
                  >
                    ×
                  </button>
                </li>
              ))}
            </ul>
            <input
              className="jp-mod-styled"
              aria-label={trans.__('New setting')}
              placeholder="limit:memory:2Gi, image:python:3.11, retry:2 …"
              value={draftSetting}
              onChange={e => setDraftSetting(e.target.value.trim())}
              onKeyDown={e => {
                if (e.key === 'Enter' && draftSetting && !draftProblem) {
                  e.preventDefault();
                  update({ settings: [...step.settings, draftSetting] });
                  setDraftSetting('');
                }
              }}
            />
            {draftProblem && <span className="a4m-FieldError">{draftProblem}</span>}
          </div>
        </>
      )}
    </div>
  );
}
