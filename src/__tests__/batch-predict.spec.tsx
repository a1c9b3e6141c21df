/** The Batch predict… form: the file browser's selection as the input, a refusal at its field, the job's output link. */
import React from 'react';
import { act } from 'react';

import type { IBatchJob } from '../api';
import { BatchPredict } from '../components/BatchPredict';
import { trans } from './drift-fixtures';
import { mount } from './mount';

jest.mock('@jupyterlab/apputils', () => ({ Notification: { promise: jest.fn() } }));
jest.mock('../api', () => ({ ...jest.requireActual('../api'), startBatchJob: jest.fn(), fetchBatchJob: jest.fn() }));
const api = jest.requireMock('../api');

const byLabel = <T extends HTMLElement>(host: HTMLElement, label: string) =>
  host.querySelector(`[aria-label="${label}"]`) as T;
const button = (host: HTMLElement, text: string) =>
  Array.from(host.querySelectorAll('button')).find(b => b.textContent === text)!;

const done = {
  id: 'abc123',
  input_path: 'data/rows.csv',
  output_path: 'data/rows.predictions.csv',
  rejects_path: 'data/rows.rejects.csv',
  status: 'succeeded',
  rows_done: 50,
  rows_total: 50,
  rows_predicted: 49,
  rejected: 1,
  error: null
} as unknown as IBatchJob;

it('starts with the selected file, shows a refusal at its field, then the output and rejects links', async () => {
  const files = { selected: () => 'data/rows.csv', open: jest.fn() };
  api.startBatchJob
    .mockRejectedValueOnce(
      new api.ApiError(422, {
        error: 'invalid_value',
        detail: 'The output data/rows.predictions.csv exists already.',
        hint: 'Name another output.',
        field: 'output'
      })
    )
    .mockResolvedValueOnce(done);
  const { host, unmount } = mount(
    <BatchPredict model="iris:2" label="v2 of iris" canLog={false} files={files} trans={trans} onClose={jest.fn()} />
  );
  const input = byLabel<HTMLInputElement>(host, 'Input file');
  const output = byLabel<HTMLInputElement>(host, 'Output file');
  expect(input.value).toBe('data/rows.csv');
  expect(output.placeholder).toBe('data/rows.predictions.csv');
  expect(host.textContent).not.toContain('Log the predictions');

  await act(async () => button(host, 'Predict').click());
  expect(api.startBatchJob).toHaveBeenCalledWith({
    model: 'iris:2',
    input: 'data/rows.csv',
    output: null,
    overwrite: false,
    log: false
  });
  expect(output.getAttribute('aria-invalid')).toBe('true');
  expect(host.querySelector('.a4m-FieldError')?.textContent).toContain('exists already');

  await act(async () => (host.querySelector('.a4m-Check input') as HTMLInputElement).click());
  await act(async () => button(host, 'Predict').click());
  expect(api.startBatchJob).toHaveBeenLastCalledWith(expect.objectContaining({ overwrite: true }));
  expect(host.querySelector('[role="status"]')?.textContent).toBe('49 rows predicted · 1 rejected');
  act(() => (host.querySelector('.a4m-BatchJob-output') as HTMLElement).click());
  act(() => (host.querySelector('.a4m-BatchJob-rejects') as HTMLElement).click());
  expect(files.open.mock.calls).toEqual([['data/rows.predictions.csv'], ['data/rows.rejects.csv']]);
  unmount();
});
