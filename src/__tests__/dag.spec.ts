/** The DAG's Mermaid source. */
import { IEdgeInfo } from '../api';
import { dagSource, dagTheme, legendStates, nodeId, opaqueHex, STATE_LOOKS } from '../pipeline/dag';
import { stepColour } from '../tags/model';
import { stepInfo } from './step-fixtures';

const steps = [stepInfo('load'), stepInfo('end'), stepInfo('train')];
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

  it('shows run states by badge and fill, not by the step colour', () => {
    const running = dagSource(steps, edges, { load: 'succeeded', train: 'failed', end: 'pending' }, theme);
    expect(running).toContain('s_load["✓ load"]');
    expect(running).toContain(`style s_load fill:${STATE_LOOKS.succeeded.fill},`);
    expect(running).toContain(`style s_train fill:${STATE_LOOKS.failed.fill},`);
    expect(running).not.toContain(stepColour('load'));
    // a step that has not run yet is outlined in the theme's colours, dashed
    expect(running).toContain(
      'style s_end fill:#1e1e1e,stroke:#989898,stroke-width:2px,color:#ffffff,stroke-dasharray'
    );
  });

  it('draws edges in the theme line colour, so they show on a dark background', () => {
    expect(dagSource(steps, edges, {}, theme)).toContain('linkStyle default stroke:#989898');
  });

  it('lists the states present, in the legend order', () => {
    expect(legendStates({ a: 'failed', b: 'succeeded', c: 'succeeded' })).toEqual(['succeeded', 'failed']);
    expect(legendStates({})).toEqual([]);
  });
});

const theme = dagTheme(
  name =>
    ({
      '--jp-layout-color1': 'rgb(30, 30, 30)',
      '--jp-ui-font-color1': 'rgba(255, 255, 255, 1)',
      '--jp-ui-font-color2': 'rgba(255, 255, 255, 0.54)'
    })[name] ?? ''
);

describe('dagTheme', () => {
  it('resolves translucent theme colours to opaque hex over the background', () => {
    expect(theme).toEqual({ background: '#1e1e1e', line: '#989898', text: '#ffffff' });
    expect(opaqueHex('#336699')).toBe('#336699');
  });
});
