/** The pipeline DAG as a Mermaid flowchart: nodes coloured like their cells, or by their state during a run. */
import { IEdgeInfo, IStepInfo } from '../api';
import { stepColour } from '../tags/model';

/** A step's status during a run, shown on its node. */
export type StepStatus =
  'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cached' | 'cancelled' | 'interrupted';

/** How a state looks on a node and in the legend: a badge, a fill with white text (contrast >= 4.5:1 in both
 * themes, since the fill is drawn by us), and a border that is dashed for steps that did not (yet) run. */
export interface IStateLook {
  mark: string;
  fill: string;
  dashed: boolean;
}

/** Pending steps are outlined, not filled: their look comes from the theme (`IDagTheme`). */
export const STATE_LOOKS: Record<StepStatus, IStateLook> = {
  pending: { mark: '○', fill: '', dashed: true },
  running: { mark: '◐', fill: '#1565c0', dashed: false },
  succeeded: { mark: '✓', fill: '#2e7d32', dashed: false },
  cached: { mark: '↺', fill: '#2e7d32', dashed: true },
  failed: { mark: '✗', fill: '#c62828', dashed: false },
  interrupted: { mark: '!', fill: '#bf360c', dashed: false },
  cancelled: { mark: '■', fill: '#616161', dashed: false },
  skipped: { mark: '–', fill: '#616161', dashed: true }
};

/** The legend's order: how a run moves, then how it can end. */
const STATE_ORDER = Object.keys(STATE_LOOKS) as StepStatus[];

/** Colours that depend on the JupyterLab theme, resolved to opaque hex (Mermaid draws into an image, where the
 * page's CSS variables do not reach, and its style syntax splits on the commas of `rgba(...)`). */
export interface IDagTheme {
  /** Edges and pending borders. */
  line: string;
  /** Text on unfilled nodes and edge labels. */
  text: string;
  /** The panel's background: unfilled nodes and edge labels. */
  background: string;
}

/** Mermaid node ids must not collide with keywords such as `end`. */
export function nodeId(step: string): string {
  return `s_${step}`;
}

function edgeLine(edge: IEdgeInfo): string {
  const from = nodeId(edge.source);
  const to = nodeId(edge.target);
  if (edge.kind === 'prev' || edge.variables.length === 0) {
    return `  ${from} -.-> ${to}`;
  }
  const label = edge.variables.join(', ').replace(/"/g, "'");
  return `  ${from} -->|"${label}"| ${to}`;
}

function nodeStyle(step: string, status: StepStatus | undefined, theme: IDagTheme | undefined): string {
  if (!status) {
    const colour = stepColour(step);
    return `fill:${colour},stroke:${colour},color:#ffffff`;
  }
  const look = STATE_LOOKS[status];
  const dash = look.dashed ? ',stroke-dasharray:5 3' : '';
  if (!look.fill) {
    const line = theme?.line ?? '#757575';
    return `fill:${theme?.background ?? '#ffffff'},stroke:${line},stroke-width:2px,color:${theme?.text ?? '#212121'}${dash}`;
  }
  const border = look.dashed ? (theme?.line ?? look.fill) : look.fill;
  return `fill:${look.fill},stroke:${border},stroke-width:2px,color:#ffffff${dash}`;
}

/** Mermaid source of the DAG. Without statuses, nodes wear their step's colour (as their cells do); with a
 * run's statuses, each node shows its state by fill, border and badge (see `STATE_LOOKS` and the legend). */
export function dagSource(
  steps: IStepInfo[],
  edges: IEdgeInfo[],
  statuses: Record<string, StepStatus> = {},
  theme?: IDagTheme
): string {
  const lines = ['flowchart TD'];
  for (const step of steps) {
    const status = statuses[step.name];
    const label = status ? `${STATE_LOOKS[status].mark} ${step.name}` : step.name;
    lines.push(`  ${nodeId(step.name)}["${label}"]`);
  }
  // Data edges win over an explicit prev: between the same two steps (one arrow, labelled).
  const dataPairs = new Set(edges.filter(e => e.kind === 'data').map(e => `${e.source}>${e.target}`));
  const drawn = edges.filter(edge => !(edge.kind === 'prev' && dataPairs.has(`${edge.source}>${edge.target}`)));
  lines.push(...drawn.map(edgeLine));
  for (const step of steps) {
    lines.push(`  style ${nodeId(step.name)} ${nodeStyle(step.name, statuses[step.name], theme)}`);
  }
  if (theme && drawn.length > 0) {
    lines.push(`  linkStyle default stroke:${theme.line},stroke-width:1.5px,color:${theme.text}`);
  }
  return lines.join('\n');
}

/** The states present in a run, in the legend's order. */
export function legendStates(statuses: Record<string, StepStatus>): StepStatus[] {
  const present = new Set(Object.values(statuses));
  return STATE_ORDER.filter(state => present.has(state));
}

/** `rgb()`/`rgba()`/`#rrggbb` as an opaque `#rrggbb`, blended over `background` where it is translucent. */
export function opaqueHex(colour: string, background = '#ffffff'): string {
  const channels = (value: string): number[] => {
    const hex = value.trim().match(/^#([0-9a-f]{6})$/i);
    if (hex) {
      return [0, 2, 4].map(i => parseInt(hex[1].slice(i, i + 2), 16)).concat(1);
    }
    const numbers = value.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0];
    return [...numbers.slice(0, 3), numbers[3] ?? 1];
  };
  const [r, g, b, alpha] = channels(colour);
  const base = channels(background);
  return (
    '#' +
    [r, g, b]
      .map((value, i) => Math.round(value * alpha + base[i] * (1 - alpha)))
      .map(value => value.toString(16).padStart(2, '0'))
      .join('')
  );
}

/** The DAG's theme colours, from CSS colour values (`css(name)` returns e.g. `rgba(0, 0, 0, 0.54)`). */
export function dagTheme(css: (name: string) => string): IDagTheme {
  const background = opaqueHex(css('--jp-layout-color1'));
  return {
    background,
    line: opaqueHex(css('--jp-ui-font-color2'), background),
    text: opaqueHex(css('--jp-ui-font-color1'), background)
  };
}
