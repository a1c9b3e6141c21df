/** The DAG's Mermaid source. */
import { IEdgeInfo, IStepInfo } from '../api';
import { dagSource, nodeId } from '../pipeline/dag';
import { stepColour } from '../tags/model';

function step(name: string): IStepInfo {
  return {
    name,
    cells: [],
    after: [],
    inputs: [],
    outputs: [],
    parameters: [],
    metrics: [],
    packages: [],
    settings: {}
  };
}

const steps = [step('load'), step('end'), step('train')];
const edges: IEdgeInfo[] = [
  { source: 'load', target: 'train', variables: ['x', 'y'], kind: 'data' },
  { source: 'load', target: 'train', variables: [], kind: 'prev' },
  { source: 'load', target: 'end', variables: [], kind: 'prev' }
];

describe('dagSource', () => {
  const source = dagSource(steps, edges);

  it('declares every step with a safe id', () => {
    expect(source).toContain(`${nodeId('end')}["end"]`);
    expect(source.startsWith('flowchart TD')).toBe(true);
  });

  it('labels data edges with the variables and draws prev edges dotted', () => {
    expect(source).toContain('s_load -->|"x, y"| s_train');
    expect(source).toContain('s_load -.-> s_end');
    expect(source).not.toContain('s_load -.-> s_train');
  });

  it('colours nodes like their cells, in hex', () => {
    expect(stepColour('load')).toMatch(/^#[0-9a-f]{6}$/);
    expect(source).toContain(`style s_load fill:${stepColour('load')}`);
  });

  it('marks run statuses on the nodes', () => {
    const running = dagSource(steps, edges, { load: 'succeeded', train: 'failed' });
    expect(running).toContain('s_load["✓ load"]');
    expect(running).toContain('stroke:#d32f2f');
  });
});
