/** The pipeline DAG as a Mermaid flowchart: nodes coloured like their cells, data edges labelled. */
import { IEdgeInfo, IStepInfo } from '../api';
import { stepColour } from '../tags/model';

/** A step's status during a run, shown on its node. */
export type StepStatus =
  'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cached' | 'cancelled' | 'interrupted';

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

/** Mermaid source of the DAG; statuses (when running) add a marker to the node labels. */
export function dagSource(steps: IStepInfo[], edges: IEdgeInfo[], statuses: Record<string, StepStatus> = {}): string {
  const marks: Record<StepStatus, string> = {
    pending: '○',
    running: '◐',
    succeeded: '✓',
    failed: '✗',
    skipped: '–',
    cached: '↺',
    cancelled: '■',
    interrupted: '!'
  };
  const lines = ['flowchart TD'];
  for (const step of steps) {
    const status = statuses[step.name];
    const label = status ? `${marks[status]} ${step.name}` : step.name;
    lines.push(`  ${nodeId(step.name)}["${label}"]`);
  }
  // Data edges win over an explicit prev: between the same two steps (one arrow, labelled).
  const dataPairs = new Set(edges.filter(e => e.kind === 'data').map(e => `${e.source}>${e.target}`));
  for (const edge of edges) {
    if (edge.kind === 'prev' && dataPairs.has(`${edge.source}>${edge.target}`)) {
      continue;
    }
    lines.push(edgeLine(edge));
  }
  for (const step of steps) {
    const colour = stepColour(step.name);
    const border = statuses[step.name] === 'failed' ? '#d32f2f' : colour;
    lines.push(`  style ${nodeId(step.name)} fill:${colour},stroke:${border},color:#ffffff`);
  }
  return lines.join('\n');
}
