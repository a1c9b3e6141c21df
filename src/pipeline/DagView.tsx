/** Renders the DAG's Mermaid source through JupyterLab's rendermime registry (themes included). */
import React, { useEffect, useRef } from 'react';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';

const MERMAID = 'text/vnd.mermaid';

export interface IDagViewProps {
  rendermime: IRenderMimeRegistry;
  source: string;
  /** Accessible description, e.g. "3 steps, 2 data edges". */
  label: string;
}

export function DagView({ rendermime, source, label }: IDagViewProps): JSX.Element {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const node = host.current;
    if (!node) {
      return;
    }
    if (!rendermime.mimeTypes.includes(MERMAID)) {
      node.textContent = source;
      return;
    }
    const renderer = rendermime.createRenderer(MERMAID);
    let live = true;
    void renderer
      .renderModel(new MimeModel({ data: { [MERMAID]: source }, trusted: true }))
      .then(() => {
        if (live) {
          node.replaceChildren(renderer.node);
        }
      });
    return () => {
      live = false;
      renderer.dispose();
    };
  }, [rendermime, source]);

  return <div className="a4m-Dag" ref={host} role="img" aria-label={label} />;
}
