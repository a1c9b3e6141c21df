/** Schedules in words: triggers, fire times in the schedule's zone, what became of a fire. */
import { IScheduleFire } from '../api';
import {
  cronWords,
  durationWords,
  fireTimes,
  fireWords,
  intervalSeconds,
  triggerCode,
  triggerWords
} from '../schedules/words';
import { trans } from './drift-fixtures';

describe('intervals', () => {
  it('reads the durations the server takes', () => {
    expect(intervalSeconds('30s')).toBe(30);
    expect(intervalSeconds('90')).toBe(90);
    expect(intervalSeconds('1h30m')).toBe(5400);
    expect(intervalSeconds('every 15 minutes')).toBe(900);
    expect(intervalSeconds('@every 2d')).toBe(172800);
    expect(intervalSeconds('soon')).toBeNull();
    expect(intervalSeconds('5 fortnights')).toBeNull();
    expect(intervalSeconds('0s')).toBeNull();
  });

  it('says a duration in units, singular and plural', () => {
    expect(durationWords(30, trans)).toBe('30 seconds');
    expect(durationWords(5400, trans)).toBe('1 hour 30 minutes');
    expect(durationWords(86401, trans)).toBe('1 day 1 second');
  });
});

describe('cron expressions', () => {
  it.each([
    ['* * * * *', 'Every minute'],
    ['*/5 * * * *', 'Every 5 minutes'],
    ['0 * * * *', 'Hourly at :00'],
    ['@hourly', 'Hourly at :00'],
    ['0 3 * * *', 'Daily at 03:00'],
    ['@daily', 'Daily at 00:00'],
    ['30 2 * * mon-fri', 'Weekdays at 02:30'],
    ['0 6 * * 1', 'Weekly on Monday at 06:00'],
    ['0 6 * * SUN', 'Weekly on Sunday at 06:00'],
    ['0 6 * * 7', 'Weekly on Sunday at 06:00'],
    ['15 4 1 * *', 'Monthly on day 1 at 04:15']
  ])('says %s as “%s”', (expression, words) => {
    expect(cronWords(expression, trans)).toBe(words);
  });

  it('leaves unusual shapes to the expression itself', () => {
    for (const expression of ['0 3 * 1 *', '0 3,15 * * *', '0 0 3 * * *', '0 3 1 * 1']) {
      expect(cronWords(expression, trans)).toBeNull();
    }
    expect(triggerWords({ trigger: 'cron', expression: '0 3,15 * * *', time_zone: 'UTC' }, trans)).toBe(
      'Cron 0 3,15 * * *'
    );
  });
});

it('describes a trigger in words and exactly', () => {
  const nightly = { trigger: 'cron' as const, expression: '0 3 * * *', time_zone: 'Europe/Madrid' };
  const often = { trigger: 'interval' as const, expression: '30s', time_zone: 'UTC' };
  expect(triggerWords(nightly, trans)).toBe('Daily at 03:00');
  expect(triggerCode(nightly)).toBe('cron 0 3 * * * (Europe/Madrid)');
  expect(triggerWords(often, trans)).toBe('Every 30 seconds');
  expect(triggerCode(often)).toBe('interval 30s');
  expect(triggerWords({ ...often, expression: 'whenever' }, trans)).toBe('Every whenever');
});

describe('fire times', () => {
  it('shows them in the schedule’s zone, whatever the offset they were written with', () => {
    const [madrid] = fireTimes(['2026-01-05T03:00:00+01:00'], 'Europe/Madrid', 'en-GB');
    expect(madrid).toMatch(/Mon.*5 Jan.*03:00$/);
    const [tokyo] = fireTimes(['2026-01-05T03:00:00+01:00'], 'Asia/Tokyo', 'en-GB');
    expect(tokyo).toMatch(/Mon.*5 Jan.*11:00$/);
  });

  it('shows seconds only when a time has some', () => {
    const times = fireTimes(['2026-01-05T03:00:00Z', '2026-01-05T03:00:30Z'], 'UTC', 'en-GB');
    expect(times[0]).toMatch(/03:00:00$/);
    expect(times[1]).toMatch(/03:00:30$/);
    expect(fireTimes(['2026-01-05T03:00:00Z'], 'UTC', 'en-GB')[0]).toMatch(/03:00$/);
  });

  it('keeps the server’s text for a zone the browser does not know', () => {
    expect(fireTimes(['2026-01-05T03:00:00+01:00'], 'Mars/Olympus')).toEqual(['2026-01-05T03:00:00+01:00']);
  });
});

it('says what became of a fire, with its reason', () => {
  const fire: IScheduleFire = {
    schedule_id: 1,
    due: 0,
    outcome: 'skipped',
    reason: '1 run still going',
    run_id: null,
    fired_at: ''
  };
  expect(fireWords(fire, trans)).toBe('skipped: 1 run still going');
  expect(fireWords({ ...fire, outcome: 'started', reason: null }, trans)).toBe('started');
});
