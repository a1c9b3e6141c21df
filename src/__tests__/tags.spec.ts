/** The frontend's reading and writing of Kale's tag language. */
import { cellColour, formatTags, parseTags, settingProblem, stepColour, stepNameProblem } from '../tags/model';

describe('parseTags', () => {
  it('reads a step with upstreams, settings and foreign tags', () => {
    const step = parseTags(['step:train', 'prev:load', 'limit:cpu:2', 'mine']);
    expect(step).toEqual({
      kind: 'step',
      name: 'train',
      prev: ['load'],
      settings: ['limit:cpu:2'],
      other: ['mine']
    });
  });

  it('reads the legacy block: tag as a step', () => {
    expect(parseTags(['block:load'])).toMatchObject({ kind: 'step', name: 'load' });
  });

  it('reads reserved kinds and untagged cells', () => {
    expect(parseTags(['pipeline-parameters']).kind).toBe('pipeline-parameters');
    expect(parseTags([]).kind).toBe('none');
    expect(parseTags(undefined).kind).toBe('none');
  });

  it('round-trips through formatTags', () => {
    const tags = ['step:train', 'prev:load', 'limit:memory:2Gi', 'other'];
    expect(formatTags(parseTags(tags))).toEqual(tags);
    expect(formatTags(parseTags(['skip', 'x']))).toEqual(['skip', 'x']);
  });
});

describe('validation', () => {
  it('accepts Kale step names and the empty continuation', () => {
    expect(stepNameProblem('train_model2')).toBe('');
    expect(stepNameProblem('')).toBe('');
    expect(stepNameProblem('Train')).not.toBe('');
    expect(stepNameProblem('2train')).not.toBe('');
  });

  it('explains malformed settings', () => {
    expect(settingProblem('limit:cpu:2')).toBe('');
    expect(settingProblem('image:python:3.11')).toBe('');
    expect(settingProblem('limit:cpu')).toContain('limit:RESOURCE:VALUE');
    expect(settingProblem('cache:maybe')).toContain('cache:enabled');
    expect(settingProblem('retry:x')).toContain('whole number');
    expect(settingProblem('secret:a:b:C')).toBe('');
  });
});

describe('colours', () => {
  it('gives a step a stable colour and reserved kinds fixed ones', () => {
    expect(stepColour('train')).toBe(stepColour('train'));
    expect(stepColour('train')).not.toBe(stepColour('evaluate'));
    expect(cellColour('step', 'train')).toBe(stepColour('train'));
    expect(cellColour('skip', '')).toBe('#9e9e9e');
    expect(cellColour('none', '')).toBeNull();
  });
});
