/** How schedules read to a person: a trigger in words, fire times in the schedule's zone, what became of a fire. */
import { TranslationBundle } from '@jupyterlab/translation';

import { IScheduleFire, ScheduleTrigger } from '../api';

/** What describing a trigger needs. */
export interface ITriggerSpec {
  trigger: ScheduleTrigger;
  expression: string;
  time_zone: string;
}

const UNITS: [RegExp, number][] = [
  [/^(s|secs?|seconds?)$/, 1],
  [/^(m|mins?|minutes?)$/, 60],
  [/^(h|hrs?|hours?)$/, 3600],
  [/^(d|days?)$/, 86400]
];

/** Seconds of an interval as the server reads it ('90', '90s', '1h30m', 'every 15 minutes'); null if unreadable. */
export function intervalSeconds(expression: string): number | null {
  const text = expression
    .trim()
    .toLowerCase()
    .replace(/^(@every|every)\s*/, '');
  if (/^\d+$/.test(text)) {
    return Number(text) || null;
  }
  const parts = [...text.matchAll(/(\d+)\s*([a-z]+)\s*/g)];
  if (parts.length === 0 || parts.map(p => p[0]).join('') !== text) {
    return null;
  }
  let total = 0;
  for (const [, count, unit] of parts) {
    const seconds = UNITS.find(([pattern]) => pattern.test(unit))?.[1];
    if (seconds === undefined) {
      return null;
    }
    total += Number(count) * seconds;
  }
  return total || null;
}

/** A duration in words: "30 seconds", "1 hour 30 minutes", "2 days". */
export function durationWords(seconds: number, trans: TranslationBundle): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, one, many] of [
    [86400, '%1 day', '%1 days'],
    [3600, '%1 hour', '%1 hours'],
    [60, '%1 minute', '%1 minutes'],
    [1, '%1 second', '%1 seconds']
  ] as const) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) {
      parts.push(trans._n(one, many, count));
    }
  }
  return parts.join(' ');
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MACROS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *'
};

const pad = (n: number) => String(n).padStart(2, '0');
const whole = (field: string) => (/^\d{1,2}$/.test(field) ? Number(field) : null);

function dayOfWeek(field: string): number | null {
  const named = DAY_NAMES.indexOf(field.toLowerCase());
  const n = named >= 0 ? named : whole(field);
  return n !== null && n <= 7 ? n % 7 : null;
}

/** The common shapes of a cron expression in words; null for any other (the expression itself is shown). */
export function cronWords(expression: string, trans: TranslationBundle): string | null {
  const text = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    return null;
  }
  const [minute, hour, day, month, weekday] = fields;
  if (month !== '*') {
    return null;
  }
  const m = whole(minute);
  const h = whole(hour);
  const step = /^\*\/(\d+)$/.exec(minute);
  const everyDay = day === '*' && weekday === '*';
  if (minute === '*' && hour === '*' && everyDay) {
    return trans.__('Every minute');
  }
  if (step && hour === '*' && everyDay) {
    return trans._n('Every minute', 'Every %1 minutes', Number(step[1]));
  }
  if (m !== null && hour === '*' && everyDay) {
    return trans.__('Hourly at :%1', pad(m));
  }
  if (m === null || h === null) {
    return null;
  }
  const at = `${pad(h)}:${pad(m)}`;
  if (everyDay) {
    return trans.__('Daily at %1', at);
  }
  if (day === '*' && /^(1-5|mon-fri)$/i.test(weekday)) {
    return trans.__('Weekdays at %1', at);
  }
  const d = dayOfWeek(weekday);
  if (day === '*' && d !== null) {
    return trans.__('Weekly on %1 at %2', trans.__(DAYS[d]), at);
  }
  const date = whole(day);
  if (weekday === '*' && date !== null) {
    return trans.__('Monthly on day %1 at %2', date, at);
  }
  return null;
}

/** A trigger in words: "Daily at 03:00", "Every 30 seconds"; an unusual cron expression as itself. */
export function triggerWords(spec: ITriggerSpec, trans: TranslationBundle): string {
  if (spec.trigger === 'interval') {
    const seconds = intervalSeconds(spec.expression);
    return seconds === null
      ? trans.__('Every %1', spec.expression)
      : trans.__('Every %1', durationWords(seconds, trans));
  }
  return cronWords(spec.expression, trans) ?? trans.__('Cron %1', spec.expression);
}

/** The exact trigger, for a tooltip or a second line: "cron 0 3 * * * (Europe/Madrid)", "interval 30s". */
export function triggerCode(spec: ITriggerSpec): string {
  return spec.trigger === 'interval' ? `interval ${spec.expression}` : `cron ${spec.expression} (${spec.time_zone})`;
}

/**
 * Fire times as a person reads them in the schedule's zone: "Mon 7 Dec, 03:00"; with seconds when any of them has
 * some (a 30-second interval).
 */
export function fireTimes(isos: string[], timeZone: string, locale?: string): string[] {
  const dates = isos.map(iso => new Date(iso));
  const seconds = dates.some(date => date.getUTCSeconds() !== 0);
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat(locale, {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: seconds ? '2-digit' : undefined,
      hourCycle: 'h23',
      timeZone
    });
  } catch {
    return isos; // a zone this browser does not know: the server's ISO text
  }
  return dates.map(date => format.format(date));
}

/** The outcome of a fire in words, with its reason. */
export function fireWords(fire: IScheduleFire, trans: TranslationBundle): string {
  const outcome = {
    claimed: trans.__('starting'),
    started: trans.__('started'),
    skipped: trans.__('skipped'),
    failed: trans.__('failed')
  }[fire.outcome];
  return fire.reason ? `${outcome}: ${fire.reason}` : outcome;
}
