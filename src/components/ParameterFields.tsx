/** Editable pipeline parameters, prefilled from a run's values (re-run, retrain after drift). */
import React, { useState } from 'react';

/** The run's parameters as the texts of their inputs. */
function asTexts(parameters: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, String(v)]));
}

/** The edited texts typed like the run's values (numbers stay numbers, booleans stay booleans). */
export function typedParameters(
  original: Record<string, unknown>,
  texts: Record<string, string>
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(texts).map(([k, text]) => {
      const was = original[k];
      return [k, typeof was === 'number' ? Number(text) : typeof was === 'boolean' ? text === 'true' : text];
    })
  );
}

/** Input texts for a run's parameters, and whether the user changed any. */
export function useParameterTexts(parameters: Record<string, unknown>) {
  const [texts, setTexts] = useState(() => asTexts(parameters));
  const original = asTexts(parameters);
  const edited = Object.keys(texts).some(k => texts[k] !== original[k]);
  return { texts, setTexts, edited };
}

export interface IParameterFieldsProps {
  texts: Record<string, string>;
  onChange: (texts: Record<string, string>) => void;
  /** The accessible label of a parameter's input. */
  label: (name: string) => string;
}

export function ParameterFields({ texts, onChange, label }: IParameterFieldsProps): JSX.Element {
  return (
    <>
      {Object.keys(texts).map(name => (
        <label key={name} className="a4m-Field a4m-mod-inline">
          <span>{name}</span>
          <input
            className="jp-mod-styled"
            aria-label={label(name)}
            value={texts[name]}
            onChange={e => onChange({ ...texts, [name]: e.target.value })}
          />
        </label>
      ))}
    </>
  );
}
