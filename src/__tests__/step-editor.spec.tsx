/** The step editor never writes an invalid step name into the tag (issue 13, item 11). */
import React, { useState } from 'react';
import { act } from 'react';

import { StepEditor } from '../tags/StepEditor';
import { trans } from './drift-fixtures';

const { createRoot } = jest.requireActual('react-dom/client');
(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

/** Type into a React-controlled input as a user would. */
function type(input: HTMLInputElement, value: string): void {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

it('keeps an invalid name out of the tag and shows why, then writes the corrected name', async () => {
  const written: string[][] = [];
  function Host() {
    const [tags, setTags] = useState(['step:train', 'mine']);
    return (
      <StepEditor
        tags={tags}
        stepsAbove={[]}
        trans={trans}
        onChange={next => {
          written.push(next);
          setTags(next);
        }}
      />
    );
  }
  const host = document.createElement('div');
  document.body.appendChild(host);
  const root = createRoot(host);
  await act(async () => root.render(<Host />));
  const input = host.querySelector<HTMLInputElement>('input[aria-label="Step name"]')!;

  await act(async () => type(input, 'final report!'));
  expect(written).toEqual([]);
  expect(input.value).toBe('final report!');
  expect(input.getAttribute('aria-invalid')).toBe('true');
  expect(input.validity.patternMismatch).toBe(true); // :invalid, so a dialog's Apply is disabled
  const error = host.querySelector('.a4m-FieldError')!;
  expect(error.textContent).toContain('Use lowercase letters');
  expect(error.textContent).toContain('the tag keeps step:train');

  await act(async () => type(input, 'final_report'));
  expect(written).toEqual([['step:final_report', 'mine']]);
  expect(host.querySelector('.a4m-FieldError')).toBeNull();
  act(() => root.unmount());
});
