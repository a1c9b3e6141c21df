/** How runs read to a person, everywhere in the UI: when they started, the values that tell them apart. */

/** What telling runs apart needs of a run: its parameters. */
export interface IParameterised {
  parameters: Record<string, unknown>;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time "14:02" of a run started today, else "2024-05-03 14:02". */
export function runTime(iso: string, now: Date = new Date()): string {
  const at = new Date(iso);
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  return at.toDateString() === now.toDateString()
    ? time
    : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`;
}

/** A metric or parameter value as short text: numbers to 4 significant digits (0.9312, 1235, 8). */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
  if (value === undefined || value === null) {
    return '–';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The parameter names of `runs`, sorted. */
export function parameterNames(runs: IParameterised[]): string[] {
  return [...new Set(runs.flatMap(run => Object.keys(run.parameters ?? {})))].sort();
}

/** Whether parameter `name` has different values among `runs`. */
export function differs(runs: IParameterised[], name: string): boolean {
  return new Set(runs.map(run => JSON.stringify(run.parameters?.[name] ?? null))).size > 1;
}

/** The parameters whose values differ among `runs` (what tells them apart), or all of them when none differ. */
export function varyingParameters(runs: IParameterised[]): string[] {
  const names = parameterNames(runs);
  const differing = names.filter(name => differs(runs, name));
  return differing.length > 0 ? differing : names;
}
