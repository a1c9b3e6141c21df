/** Data triggers in words, and their form's model: drafts, the browser's checks, the REST body, field errors. */
import { ApiError } from '../api';
import {
  checkTriggerDraft,
  locationParameter,
  newTriggerDraft,
  otherParameters,
  triggerBody,
  triggerDraftOf,
  triggerErrors
} from '../triggers/form';
import { seenWords, settleWords, sourceWords, waitingWords, whenWords } from '../triggers/words';
import { trans } from './drift-fixtures';
import { triggerRecord } from './trigger-fixtures';

const message = (error: unknown) => String(error);

describe('a trigger in words', () => {
  it('says when it runs, for a folder, the root, an S3 prefix and a batch', () => {
    expect(whenWords(triggerRecord(), trans)).toBe('When a file matching *.csv lands in data/incoming');
    expect(whenWords(triggerRecord({ source: '.', pattern: '*' }), trans)).toBe(
      'When a file matching * lands in the Jupyter root'
    );
    expect(whenWords(triggerRecord({ source: 's3://bucket/daily/' }), trans)).toBe(
      'When an object matching *.csv lands in s3://bucket/daily/'
    );
    expect(whenWords(triggerRecord({ batch: true }), trans)).toBe(
      'When files matching *.csv land in data/incoming (one run for each batch)'
    );
    expect(sourceWords('', trans)).toBe('the Jupyter root');
  });

  it('says how long a file settles', () => {
    expect(settleWords(10, trans)).toBe('once unchanged for 10 seconds');
    expect(settleWords(90, trans)).toBe('once unchanged for 1 minute 30 seconds');
    expect(settleWords(0, trans)).toBe('at once');
  });

  it('says what became of a file, with its reason, and why one waits', () => {
    expect(seenWords({ state: 'started', reason: null }, trans)).toBe('run started');
    expect(seenWords({ state: 'claimed', reason: null }, trans)).toBe('starting');
    expect(seenWords({ state: 'failed', reason: 'notebook missing' }, trans)).toBe('not run: notebook missing');
    expect(waitingWords({ state: 'settling' }, false, trans)).toBe('settling');
    expect(waitingWords({ state: 'ready' }, false, trans)).toBe('ready, waiting for a run slot');
    expect(waitingWords({ state: 'ready' }, true, trans)).toBe('ready, waiting for its batch');
  });
});

describe('a new trigger', () => {
  it('picks the parameter named like a location, else a text one, else the first', () => {
    expect(locationParameter({ epochs: 5, data_path: 'x.csv' })).toBe('data_path');
    expect(locationParameter({ epochs: 5, where: 'x.csv' })).toBe('where');
    expect(locationParameter({ epochs: 5 })).toBe('epochs');
    expect(locationParameter({})).toBe('');
  });

  it('starts from the notebook, the file browser’s folder and the parameters’ defaults', () => {
    const draft = newTriggerDraft('pipelines/Count lines.ipynb', { data_path: 'a.csv', k: 1 }, 'data/incoming', 'exp');
    expect(draft).toMatchObject({
      name: 'count-lines-data',
      source: 'data/incoming',
      pattern: '*.csv',
      parameter: 'data_path',
      experiment: 'exp',
      settle_seconds: '10',
      poll_seconds: '5',
      batch: false
    });
    expect(otherParameters(draft)).toEqual({ k: '1' });
    expect(newTriggerDraft('a.ipynb', {}, '').source).toBe('.');
  });

  it('becomes the REST body: the file’s parameter left out of the values, the others typed', () => {
    const draft = {
      ...newTriggerDraft('count.ipynb', { data_path: 'a.csv', k: 1, loud: false }, 'in'),
      parameters: { data_path: 'a.csv', k: '3', loud: 'true' },
      settle_seconds: '1',
      poll_seconds: '1',
      pattern: ' '
    };
    expect(triggerBody(draft)).toEqual({
      name: 'count-data',
      notebook_path: 'count.ipynb',
      source: 'in',
      pattern: '*',
      parameter: 'data_path',
      parameters: { k: 3, loud: true },
      experiment: null,
      settle_seconds: 1,
      poll_seconds: 1,
      batch: false,
      include_existing: false,
      max_concurrent: 1
    });
    expect(triggerBody(draft, true)).not.toHaveProperty('name');
  });

  it('is checked in the browser for what needs no server', () => {
    const draft = {
      ...newTriggerDraft('count.ipynb', { k: 1 }, 'in'),
      name: '-bad',
      source: ' ',
      parameter: '',
      settle_seconds: '-1',
      poll_seconds: '0',
      max_concurrent: '1.5',
      parameters: { k: 'x' }
    };
    expect(Object.keys(checkTriggerDraft(draft, trans)).sort()).toEqual([
      'max_concurrent',
      'name',
      'parameter',
      'parameters',
      'poll_seconds',
      'settle_seconds',
      'source'
    ]);
    expect(checkTriggerDraft(newTriggerDraft('count.ipynb', { data_path: '' }, 'in'), trans)).toEqual({});
  });

  it('edits an existing trigger with its parameter among the choices', () => {
    const draft = triggerDraftOf(triggerRecord());
    expect(draft.parameter).toBe('data_path');
    expect(Object.keys(draft.parameters)).toEqual(['k', 'data_path']);
    expect(triggerBody(draft, true).parameters).toEqual({ k: 1 });
  });

  it('puts a server FieldError at its field, a taken name at the name, anything else on the form', () => {
    const error = (status: number, field?: string) =>
      new ApiError(status, { error: 'e', detail: 'Bad.', hint: 'Fix it.', ...(field ? { field } : {}) });
    expect(triggerErrors(error(422, 'source'), message)).toEqual({ source: 'Bad. Fix it.' });
    expect(triggerErrors(error(409), message)).toEqual({ name: 'Bad. Fix it.' });
    expect(triggerErrors(error(422, 'color'), message)).toEqual({ form: expect.stringContaining('Bad.') });
  });
});
