/** The schedule form's model: prefilled drafts, the browser's checks, the REST body, the server's field errors. */
import { ApiError } from '../api';
import { checkDraft, draftBody, draftOf, localTime, nameFor, newDraft, serverErrors } from '../schedules/form';
import { trans } from './drift-fixtures';
import { scheduleRecord } from './schedule-fixtures';

const message = (error: unknown) => String(error);

describe('a new schedule', () => {
  it('is named after the notebook', () => {
    expect(nameFor('pipelines/Train model.ipynb')).toBe('train-model');
    expect(nameFor('_x_.ipynb')).toBe('x_');
    expect(nameFor('é.ipynb')).toBe('schedule');
  });

  it('starts from the notebook, its parameters’ defaults, daily at 03:00 in the browser’s zone', () => {
    const draft = newDraft('train.ipynb', { epochs: 5, optimizer: 'adam' }, 'exp');
    expect(draft).toMatchObject({
      name: 'train',
      notebook_path: 'train.ipynb',
      parameters: { epochs: '5', optimizer: 'adam' },
      experiment: 'exp',
      target: 'local',
      trigger: 'cron',
      expression: '0 3 * * *',
      time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      max_concurrent: '1',
      catch_up: false
    });
  });

  it('becomes the REST body with its parameters typed as the notebook declares them', () => {
    const draft = {
      ...newDraft('train.ipynb', { epochs: 5, shuffle: true, optimizer: 'adam' }),
      parameters: { epochs: '8', shuffle: 'false', optimizer: 'sgd' },
      expression: ' 30s ',
      trigger: 'interval' as const,
      time_zone: 'UTC',
      end_at: '2026-02-01T00:00'
    };
    expect(draftBody(draft)).toEqual({
      name: 'train',
      notebook_path: 'train.ipynb',
      parameters: { epochs: 8, shuffle: false, optimizer: 'sgd' },
      target: 'local',
      experiment: null,
      trigger: 'interval',
      expression: '30s',
      time_zone: 'UTC',
      start_at: null,
      end_at: '2026-02-01T00:00',
      max_concurrent: 1,
      catch_up: false
    });
  });
});

describe('editing a schedule', () => {
  it('starts from its fields, its times in its own zone', () => {
    const draft = draftOf(scheduleRecord({ end_at: 1769904000, experiment: 'nightly-exp' }));
    expect(draft).toMatchObject({
      name: 'nightly',
      parameters: { epochs: '5', lr: '0.01', shuffle: 'true' },
      experiment: 'nightly-exp',
      start_at: '2026-01-01T01:00', // midnight UTC is 01:00 in Madrid
      end_at: '2026-02-01T01:00',
      max_concurrent: '1'
    });
    expect(localTime(null, 'UTC')).toBe('');
  });

  it('sends every field but the name and target, which cannot change', () => {
    const body = draftBody(draftOf(scheduleRecord()), true);
    expect(body).not.toHaveProperty('name');
    expect(body).not.toHaveProperty('target');
    expect(body.parameters).toEqual({ epochs: 5, lr: 0.01, shuffle: true });
    expect(body.start_at).toBe('2026-01-01T01:00');
  });
});

describe('pinning', () => {
  const fresh = newDraft('train.ipynb', {});
  const pinned = draftOf(scheduleRecord({ pin: 'ab12'.repeat(16) }));

  it('is asked for only to pin or unpin: true again would compile the notebook again', () => {
    expect(draftBody(fresh)).not.toHaveProperty('pin');
    expect(draftBody({ ...fresh, pin: true }).pin).toBe(true);
    expect(pinned.pin).toBe(true);
    expect(draftBody(pinned, true)).not.toHaveProperty('pin');
    expect(draftBody({ ...pinned, pin: false }, true).pin).toBe(false);
  });

  it('is left to the server on KFP, where a schedule is always pinned', () => {
    expect(draftBody({ ...fresh, target: 'kfp', pin: false })).not.toHaveProperty('pin');
    expect(draftBody({ ...fresh, target: 'kfp' }).target).toBe('kfp');
  });
});

describe('checks in the browser', () => {
  const good = newDraft('train.ipynb', { epochs: 5 });

  it('pass a good draft', () => {
    expect(checkDraft(good, trans)).toEqual({});
  });

  it('name each field that is wrong and say what to write', () => {
    const errors = checkDraft(
      {
        ...good,
        name: '-bad',
        expression: ' ',
        max_concurrent: '0',
        start_at: '2026-02-01T00:00',
        end_at: '2026-01-01T00:00',
        parameters: { epochs: 'five' }
      },
      trans
    );
    expect(errors).toEqual({
      name: expect.stringMatching(/starting with a letter or digit/),
      expression: expect.stringMatching(/cron expression/),
      max_concurrent: 'A whole number from 1 to 100.',
      end_at: 'The end must come after the start.',
      parameters: 'epochs must be a number.'
    });
    expect(checkDraft({ ...good, name: '' }, trans).name).toBe('Give the schedule a name.');
    expect(checkDraft({ ...good, trigger: 'interval', expression: '' }, trans).expression).toMatch(/interval/);
  });
});

describe('the server’s refusals', () => {
  it('show at the field a FieldError names', () => {
    const refused = new ApiError(422, {
      error: 'invalid_value',
      detail: "Schedules on target 'kfp' are not supported yet.",
      hint: "Use target 'local'.",
      field: 'target'
    });
    expect(serverErrors(refused, message)).toEqual({
      target: "Schedules on target 'kfp' are not supported yet. Use target 'local'."
    });
  });

  it('show a taken name at the name, anything else above the buttons', () => {
    const taken = new ApiError(409, { error: 'conflict', detail: 'Taken.', hint: '' });
    expect(serverErrors(taken, message)).toEqual({ name: 'Taken.' });
    const unknown = new ApiError(422, { error: 'invalid_value', detail: 'No colours.', hint: '', field: 'color' });
    expect(serverErrors(unknown, message)).toEqual({ form: expect.stringContaining('No colours.') });
    expect(serverErrors(new Error('offline'), message)).toEqual({ form: 'Error: offline' });
  });
});
