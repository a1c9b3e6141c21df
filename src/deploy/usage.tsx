/** A deployment's card sections: which run it serves, what input its model takes, and how to call it. */
import React, { useEffect, useState } from 'react';
import { Clipboard } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { checkIcon, copyIcon } from '@jupyterlab/ui-components';

import { IDeployment, IRunChoice } from '../api';
import { formatValue, runTime } from '../runs/labels';

/** How long a copy button says "Copied". */
const COPIED_MS = 1500;

/** A button that copies `text`, with JupyterLab's copy icon; it says "Copied" for a moment after a click. */
export function CopyButton({ text, label, trans }: { text: string; label: string; trans: TranslationBundle }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) {
      return;
    }
    const timer = setTimeout(() => setCopied(false), COPIED_MS);
    return () => clearTimeout(timer);
  }, [copied]);
  const Icon = copied ? checkIcon : copyIcon;
  return (
    <span className="a4m-Copy">
      <button
        className="a4m-CopyButton"
        aria-label={label}
        title={label}
        onClick={() => {
          Clipboard.copyToSystem(text);
          setCopied(true);
        }}
      >
        <Icon.react tag="span" elementSize="normal" />
      </button>
      <span className="a4m-Copied" role="status">
        {copied ? trans.__('Copied') : ''}
      </span>
    </span>
  );
}

/** "run of 14:02 · accuracy 0.93", its parameters below: the run a deployment serves. */
export function RunChoice({
  choice,
  onSelect,
  trans
}: {
  choice: IRunChoice;
  onSelect: () => void;
  trans: TranslationBundle;
}) {
  const parameters = Object.entries(choice.parameters);
  return (
    <div className="a4m-RunChoice">
      <a
        href="#"
        className="a4m-RunLink"
        title={trans.__('Show run %1 and its artifacts', choice.id)}
        onClick={event => (event.preventDefault(), onSelect())}
      >
        {trans.__('run of %1', runTime(choice.created_at))}
      </a>
      {choice.metric && (
        <span className="a4m-RunMetric">
          {' · '}
          {choice.metric.name} {formatValue(choice.metric.value)}
        </span>
      )}
      {parameters.length > 0 && (
        <div className="a4m-RunParams">
          {parameters
            .map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
            .join(', ')}
        </div>
      )}
    </div>
  );
}

/** The model's input tensors: name, shape (-1: any number of rows), dtype, and its feature names. */
export function Signature({ deployment, trans }: { deployment: IDeployment; trans: TranslationBundle }) {
  const inputs = deployment.signature?.inputs ?? [];
  return (
    <section className="a4m-Signature" aria-label={trans.__('Model input')}>
      <div className="a4m-SectionTitle">{trans.__('Input')}</div>
      {inputs.length ? (
        inputs.map(input => (
          <div key={input.name} className="a4m-Tensor">
            <code>{input.name}</code>{' '}
            <span>
              {trans.__('shape %1', `[${input.shape.map(n => (n === -1 ? trans.__('rows') : n)).join(', ')}]`)}
            </span>{' '}
            <code>{input.dtype}</code>
            {input.features?.length ? (
              <div className="a4m-Muted a4m-Features" title={input.features.join(', ')}>
                {trans.__('features %1', input.features.join(', '))}
              </div>
            ) : null}
          </div>
        ))
      ) : (
        <div className="a4m-Muted">
          {trans.__('No input signature was recorded with this model: it takes any numeric array.')}
        </div>
      )}
    </section>
  );
}

function Snippet({ title, text, trans }: { title: string; text: string; trans: TranslationBundle }) {
  return (
    <div className="a4m-Snippet">
      <div className="a4m-SnippetHeader">
        <span>{title}</span>
        <CopyButton text={text} label={trans.__('Copy the %1 example', title)} trans={trans} />
      </div>
      <pre className="a4m-Code" tabIndex={0} aria-label={trans.__('%1 example', title)}>
        {text}
      </pre>
    </div>
  );
}

/** "How to call it": a curl command and a Python program per protocol (V1 and V2 tabs; V2 alone when the
 * runtime speaks only V2). */
export function CallExamples({ deployment, trans }: { deployment: IDeployment; trans: TranslationBundle }) {
  const [chosen, setProtocol] = useState<'v1' | 'v2'>('v1');
  const usage = deployment.usage;
  if (!usage) {
    return null;
  }
  const protocols = (['v1', 'v2'] as const).filter(p => usage[p]);
  const protocol = usage[chosen] ? chosen : 'v2';
  const example = usage[protocol]!;
  return (
    <details className="a4m-CallExamples" open>
      <summary className="a4m-SectionTitle">{trans.__('How to call it')}</summary>
      <div className="a4m-Tabs" role="tablist" aria-label={trans.__('Protocol')}>
        {protocols.map(p => (
          <button
            key={p}
            role="tab"
            aria-selected={p === protocol}
            className={`a4m-Tab${p === protocol ? ' a4m-mod-selected' : ''}`}
            onClick={() => setProtocol(p)}
          >
            {p.toUpperCase()}
          </button>
        ))}
      </div>
      <Snippet title="curl" text={example.curl} trans={trans} />
      <Snippet title="Python" text={example.python} trans={trans} />
    </details>
  );
}
