/** The Performance view: status, chart (or its fallback), coverage, empty states, labels form, policy form. */
import React from 'react';
import { act } from 'react';
import { Signal } from '@lumino/signaling';

import { ApiError } from '../api';
import { LabelsForm } from '../performance/LabelsForm';
import { PerformanceView } from '../performance/PerformanceView';
import { PerformancePolicyForm } from '../performance/PolicyForm';
import { IPerformanceModel, IRunsModel } from '../tokens';
import { deployment, trans } from './drift-fixtures';
import { performanceReport, performanceWindow } from './performance-fixtures';
import { mount } from './mount';

jest.mock('@jupyterlab/apputils', () => ({ Notification: { promise: jest.fn() } }));
jest.mock('@jupyterlab/rendermime', () => ({ MimeModel: class {} }));

const byLabel = <T extends HTMLElement>(host: HTMLElement, label: string) =>
  host.querySelector(`[aria-label="${label}"]`) as T;
const button = (host: HTMLElement, text: string) =>
  Array.from(host.querySelectorAll('button')).find(b => b.textContent === text)!;

/** Set a field's value as a user does (React listens to the native setter's event). */
function type(input: HTMLInputElement | HTMLTextAreaElement, value: string) {
  const proto = input instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

/** No renderer: charts show their text fallback. */
const rendermime = { mimeTypes: [] } as any;
const runs = { runs: [], select: jest.fn() } as unknown as IRunsModel;

function fakeModel(fields: Partial<IPerformanceModel> = {}): IPerformanceModel {
  return {
    changed: new Signal<any, void>({}),
    deployments: [deployment('d1', '2026-01-01T00:00:00Z')],
    deployment: 'd1',
    report: null,
    error: '',
    select: jest.fn(),
    check: jest.fn(),
    updatePolicy: jest.fn(),
    sendLabels: jest.fn(),
    retrain: jest.fn(),
    dismiss: jest.fn(),
    alerts: fields.report?.alerts ?? [],
    hasMoreAlerts: false,
    loadMoreAlerts: jest.fn(),
    ...fields
  } as unknown as IPerformanceModel;
}

describe('PerformanceView', () => {
  it('says what to do before anything is deployed', () => {
    const { host, unmount } = mount(
      <PerformanceView
        model={fakeModel({ deployments: [], deployment: null })}
        runs={runs}
        rendermime={rendermime}
        trans={trans}
      />
    );
    expect(host.textContent).toBe('Deploy a model, then send labels to see how it performs.');
    unmount();
  });

  it('shows the status, the chart with its description, coverage, and how to send the first labels', () => {
    const report = performanceReport([performanceWindow(0, 0, null, 0.8), performanceWindow(1, 0, null, 0.7)], {
      status: 'degraded',
      latest: { window: 1, value: 0.7, source: 'estimated' },
      coverage: { predictions: 120, labelled: 0, waiting_labels: 0, median_delay_s: null },
      alerts: [
        {
          id: 5,
          deployment: 'd1',
          kind: 'performance',
          status: 'open',
          raised_at: '2026-11-25T10:01:30Z',
          updated_at: '2026-11-25T10:01:30Z',
          message: 'accuracy 0.7 in window 1 is below its alert level 0.88.',
          window_ids: [1],
          retrain_run_id: null,
          redeploy: true,
          redeployed_at: null,
          error: null
        }
      ]
    });
    const { host, unmount } = mount(
      <PerformanceView model={fakeModel({ report })} runs={runs} rendermime={rendermime} trans={trans} />
    );
    expect(host.querySelector('.a4m-Verdict')?.getAttribute('data-verdict')).toBe('degraded');
    expect(host.querySelector('.a4m-Verdict')?.textContent).toBe('Degraded');
    expect(host.querySelector('.a4m-PerformanceStatus')?.textContent).toContain('accuracy 0.7 in window #1');
    expect(host.querySelector('.a4m-Coverage')?.textContent).toBe('0 of 120 predictions labelled (0 %)');
    const chart = host.querySelector('.a4m-PerformanceChart')!;
    expect(chart.getAttribute('role')).toBe('img');
    expect(chart.getAttribute('aria-label')).toMatch(/^accuracy over 2 windows: 0 realized/);
    expect(host.querySelector('.a4m-OutputChart')?.getAttribute('aria-label')).toMatch(
      /^Predicted classes of window 1/
    );
    expect(host.textContent).toContain('No labels yet: send them below, with `ai4mlops labels d1 FILE`');
    expect(host.textContent).toContain('X-Request-Id header of its answer');
    const alert = host.querySelector('.a4m-Alert')!;
    expect(alert.getAttribute('data-kind')).toBe('performance');
    expect(alert.querySelector('.a4m-AlertKind')?.textContent).toBe('performance');
    expect(byLabel(host, 'Performance and concept-drift alerts')).not.toBeNull();
    expect(byLabel<HTMLSelectElement>(host, 'Deployment to watch for performance').value).toBe('d1');
    unmount();
  });
});

describe('LabelsForm', () => {
  it('sends pasted CSV and lists each refused row with its field', async () => {
    const sendLabels = jest.fn().mockResolvedValue({
      received: 3,
      stored: 2,
      unchanged: 0,
      joined: 2,
      refused_count: 1,
      refused: [{ row: 'line 4', field: 'label', message: "label 'dog' is not a number" }]
    });
    const { host, unmount } = mount(<LabelsForm deployment="d1" model={{ sendLabels }} idHint="" trans={trans} />);
    act(() => type(byLabel(host, 'Labels as CSV or JSON'), 'id,label\na,1\nb,0\nc,dog'));
    await act(async () => button(host, 'Send labels').click());
    expect(sendLabels).toHaveBeenCalledWith('d1', 'id,label\na,1\nb,0\nc,dog\n');
    expect(host.querySelector('.a4m-LabelsResult div')?.textContent).toBe(
      '2 labels stored · 0 already known · 2 joined to their prediction · 1 refused'
    );
    expect(host.querySelector('.a4m-Refused li')?.textContent).toBe("line 4 · label: label 'dog' is not a number");
    unmount();
  });

  it('shows why a whole upload was refused, and a JSON mistake before sending', async () => {
    const sendLabels = jest.fn().mockRejectedValue(
      new ApiError(422, {
        error: 'bad_labels',
        detail: 'The CSV has no id or label column.',
        hint: '',
        field: 'body'
      })
    );
    const { host, unmount } = mount(<LabelsForm deployment="d1" model={{ sendLabels }} idHint="" trans={trans} />);
    const box = byLabel<HTMLTextAreaElement>(host, 'Labels as CSV or JSON');
    act(() => type(box, '[{"id": 1'));
    await act(async () => button(host, 'Send labels').click());
    expect(sendLabels).not.toHaveBeenCalled();
    expect(host.querySelector('[role="alert"]')?.textContent).toMatch(/^The labels are not JSON/);
    expect(box.getAttribute('aria-invalid')).toBe('true');
    act(() => type(box, 'x,y\n1,2'));
    await act(async () => button(host, 'Send labels').click());
    expect(host.querySelector('[role="alert"]')?.textContent).toBe('The CSV has no id or label column.');
    unmount();
  });
});

describe('PerformancePolicyForm', () => {
  it("saves a change and shows the server's refusal at its field", async () => {
    const report = performanceReport([]);
    const updatePolicy = jest
      .fn()
      .mockRejectedValueOnce(
        new ApiError(422, {
          error: 'bad_policy',
          detail: "The performance policy's min_labels is 0.",
          hint: 'Use a whole number from 1.',
          field: 'min_labels'
        })
      )
      .mockResolvedValueOnce(report.policy);
    const { host, unmount } = mount(<PerformancePolicyForm report={report} model={{ updatePolicy }} trans={trans} />);
    expect(byLabel(host, 'Performance policy of d1')).not.toBeNull();
    const minLabels = byLabel<HTMLInputElement>(host, 'Min. labels per window');
    expect(minLabels.value).toBe('30');
    act(() => type(minLabels, '0'));
    await act(async () => button(host, 'Save').click());
    expect(updatePolicy).toHaveBeenCalledWith('d1', { min_labels: 0 });
    expect(minLabels.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(minLabels.getAttribute('aria-describedby')!)?.textContent).toBe(
      "The performance policy's min_labels is 0. Use a whole number from 1."
    );
    // The id field shows only for ids read from a request field.
    expect(byLabel(host, 'Request field holding the ids')).toBeNull();
    act(() => type(minLabels, '5'));
    await act(async () => button(host, 'Save').click());
    expect(updatePolicy).toHaveBeenLastCalledWith('d1', { min_labels: 5 });
    unmount();
  });
});
