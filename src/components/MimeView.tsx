/** Renders data of one MIME type (Mermaid, Vega-Lite, ...) through JupyterLab's rendermime registry. */
import React, { useEffect, useRef } from 'react';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { ReadonlyJSONValue } from '@lumino/coreutils';

export interface IMimeViewProps {
  rendermime: IRenderMimeRegistry;
  /** The preferred MIME type first; the first one the registry renders is used. */
  mimeTypes: string[];
  data: ReadonlyJSONValue;
  /** Accessible description of what is drawn. */
  label: string;
  className: string;
  /** Shown when no renderer is available for any of the MIME types. */
  fallback: string;
}

export function MimeView(props: IMimeViewProps): JSX.Element {
  const { rendermime, mimeTypes, data, label, className, fallback } = props;
  const host = useRef<HTMLDivElement>(null);
  const key = JSON.stringify(data);

  useEffect(() => {
    const node = host.current;
    const mimeType = mimeTypes.find(type => rendermime.mimeTypes.includes(type));
    if (!node) {
      return;
    }
    if (!mimeType) {
      node.textContent = fallback;
      return;
    }
    const renderer = rendermime.createRenderer(mimeType);
    let live = true;
    // Render in place but unseen, so sizes relative to the container ("width": "container") are
    // measured, while the previous rendering stays on screen until the new one is ready.
    const next = renderer.node;
    next.classList.add('a4m-mod-rendering');
    node.appendChild(next);
    // Vega's action menu would put controls inside an element that is one image to assistive technology.
    const metadata = { [mimeType]: { embed_options: { actions: false } } };
    void renderer.renderModel(new MimeModel({ data: { [mimeType]: data }, metadata, trusted: true })).then(() => {
      if (live) {
        // The host is the image for assistive technology (role and label): what is drawn inside is decoration.
        next.querySelectorAll('img:not([alt])').forEach(img => img.setAttribute('alt', ''));
        next.classList.remove('a4m-mod-rendering');
        node.replaceChildren(next);
      }
    });
    return () => {
      live = false;
      if (next.classList.contains('a4m-mod-rendering')) {
        next.remove(); // superseded before it was shown: the one on screen stays until the next is ready
      }
      renderer.dispose();
    };
  }, [rendermime, key]);

  return <div className={`a4m-MimeView ${className}`} ref={host} role="img" aria-label={label} />;
}
