/**
 * The tag language on the frontend: read a cell's tags into a step description and write it back.
 * The server's parser is the authority (it reports diagnostics); this is for editing and colouring.
 */

/** What a cell is in the pipeline. */
export type CellKind = 'imports' | 'functions' | 'pipeline-parameters' | 'pipeline-metrics' | 'step' | 'skip' | 'none';

/** Kinds set by a single tag, with no name. */
export const RESERVED_KINDS: CellKind[] = ['imports', 'functions', 'pipeline-parameters', 'pipeline-metrics', 'skip'];

/** Prefixes of per-step setting tags, e.g. `limit:cpu:2`. */
export const SETTING_PREFIXES = [
  'image',
  'limit',
  'request',
  'annotation',
  'label',
  'secret',
  'cache',
  'retry',
  'timeout'
] as const;

const STEP_NAME = /^[_a-z][_a-z0-9]*$/;

/** A cell's pipeline role, as its tags say. */
export interface ICellStep {
  kind: CellKind;
  /** The step name for `step:NAME` (empty for a `step:` that continues the previous step). */
  name: string;
  /** Explicit upstream steps (`prev:NAME`). */
  prev: string[];
  /** Per-step setting tags, verbatim (`limit:cpu:2`). */
  settings: string[];
  /** Tags that are not ours, kept untouched. */
  other: string[];
}

function isSetting(tag: string): boolean {
  const prefix = tag.split(':', 1)[0];
  return tag.includes(':') && (SETTING_PREFIXES as readonly string[]).includes(prefix);
}

/** Read a cell's tags. Legacy `block:NAME` is read as `step:NAME`. */
export function parseTags(tags: readonly string[] | undefined): ICellStep {
  const step: ICellStep = { kind: 'none', name: '', prev: [], settings: [], other: [] };
  for (const tag of tags ?? []) {
    if ((RESERVED_KINDS as string[]).includes(tag)) {
      step.kind = tag as CellKind;
    } else if (tag.startsWith('step:') || tag.startsWith('block:')) {
      step.kind = 'step';
      step.name = tag.slice(tag.indexOf(':') + 1);
    } else if (tag.startsWith('prev:')) {
      step.prev.push(tag.slice(5));
    } else if (isSetting(tag)) {
      step.settings.push(tag);
    } else {
      step.other.push(tag);
    }
  }
  return step;
}

/** Write a cell step back to tags (ours in a stable order, foreign tags kept). */
export function formatTags(step: ICellStep): string[] {
  const tags: string[] = [];
  if (step.kind === 'step') {
    tags.push(`step:${step.name}`);
    tags.push(...step.prev.map(p => `prev:${p}`));
    tags.push(...step.settings);
  } else if (step.kind !== 'none') {
    tags.push(step.kind);
  }
  return [...tags, ...step.other];
}

/** Why a step name is invalid, or '' when it is fine (empty continues the previous step). */
export function stepNameProblem(name: string): string {
  if (name === '' || STEP_NAME.test(name)) {
    return '';
  }
  return 'Use lowercase letters, digits and _, starting with a letter or _ (e.g. train_model).';
}

/** Why a setting tag is malformed, or '' when it reads well. */
export function settingProblem(tag: string): string {
  const [prefix, ...rest] = tag.split(':');
  const arity: Record<string, number> = {
    image: 1,
    limit: 2,
    request: 2,
    annotation: 2,
    label: 2,
    secret: 3,
    cache: 1,
    retry: 1,
    timeout: 1
  };
  const expected = arity[prefix];
  if (expected === undefined) {
    return `Unknown setting '${prefix}'.`;
  }
  if (prefix === 'image') {
    return rest.join(':') ? '' : 'image:IMAGE needs an image, e.g. image:python:3.11.';
  }
  if (rest.length !== expected || rest.some(part => part === '')) {
    const forms: Record<string, string> = {
      limit: 'limit:RESOURCE:VALUE (e.g. limit:memory:2Gi)',
      request: 'request:RESOURCE:VALUE (e.g. request:cpu:500m)',
      annotation: 'annotation:KEY:VALUE',
      label: 'label:KEY:VALUE',
      secret: 'secret:NAME:KEY:ENV_VAR',
      cache: 'cache:enabled or cache:disabled',
      retry: 'retry:N',
      timeout: 'timeout:SECONDS'
    };
    return `Write ${forms[prefix]}.`;
  }
  if (prefix === 'cache' && !['enabled', 'disabled'].includes(rest[0])) {
    return 'Write cache:enabled or cache:disabled.';
  }
  if ((prefix === 'retry' || prefix === 'timeout') && !/^\d+$/.test(rest[0])) {
    return `${prefix}: needs a whole number.`;
  }
  return '';
}

/** Fixed colours of the reserved kinds (Kale's palette, so Kale users recognise them). */
const KIND_COLOURS: Partial<Record<CellKind, string>> = {
  imports: '#a32e2e',
  functions: '#a32e2e',
  'pipeline-parameters': '#e08a00',
  'pipeline-metrics': '#795548',
  skip: '#9e9e9e'
};

/** A step's colour (hex): stable for its name, distinct hues for different names. */
export function stepColour(name: string): string {
  let hash = 0;
  for (const char of name) {
    hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  }
  return hslToHex(hash % 360, 0.6, 0.42);
}

function hslToHex(hue: number, saturation: number, lightness: number): string {
  const a = saturation * Math.min(lightness, 1 - lightness);
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12;
    const value = lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** The colour of a cell's marker: its kind's colour, or its step's. */
export function cellColour(kind: CellKind, stepName: string): string | null {
  if (kind === 'step') {
    return stepColour(stepName);
  }
  return KIND_COLOURS[kind] ?? null;
}
