/** How runs read to a person: their time, short values, the parameters that tell them apart. */
import { formatValue, runTime, varyingParameters } from '../runs/labels';

const at = (hours: number, minutes: number) => {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate(), hours, minutes).toISOString();
};

describe('run labels', () => {
  it('say the local time of a run of today, else its date too', () => {
    expect(runTime(at(14, 2))).toBe('14:02');
    expect(runTime(new Date(2024, 4, 3, 9, 5).toISOString())).toBe('2024-05-03 09:05');
  });

  it('format values briefly: numbers to four significant digits', () => {
    expect(formatValue(0.93)).toBe('0.93');
    expect(formatValue(0.931249)).toBe('0.9312');
    expect(formatValue(1234.56)).toBe('1235');
    expect(formatValue(8)).toBe('8');
    expect(formatValue('adam')).toBe('adam');
    expect(formatValue(undefined)).toBe('–');
    expect(formatValue([1, 2])).toBe('[1,2]');
  });

  it('name the parameters that tell runs apart, or all of them when none do', () => {
    const a = { parameters: { epochs: 5, lr: 0.1 } };
    const b = { parameters: { epochs: 1, lr: 0.1 } };
    expect(varyingParameters([a, b])).toEqual(['epochs']);
    expect(varyingParameters([a])).toEqual(['epochs', 'lr']);
    expect(varyingParameters([a, a])).toEqual(['epochs', 'lr']);
  });
});
