/** Deployments: status, endpoints (copyable), model, run and what serves it, traffic, a test-predict box, batch
 * predict, stop/restart, and for KServe ones whether drift is monitored by a job of the cluster. */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IDeployment, predict } from '../api';
import { BatchPredict, IBatchFiles } from '../components/BatchPredict';
import { CallExamples, CopyButton, RunChoice, Signature } from '../deploy/usage';
import { errorMessage } from '../errors';
import { IDeploymentsModel, IRunsModel } from '../tokens';
import { MonitorJob } from './MonitorJob';

/** The request the test box starts with: the model's example rows, else zeros of the right width. */
export function exampleRequest(deployment: IDeployment): string {
  const example = deployment.config?.metadata?.model?.example;
  if (Array.isArray(example) && example.length) {
    return JSON.stringify({ instances: example.slice(0, 2) });
  }
  const width = deployment.signature?.inputs?.[0]?.shape?.slice(-1)[0];
  return JSON.stringify({ instances: [Array(width && width > 0 ? width : 1).fill(0)] });
}

/** Where JSON text first breaks: the offset a strict reader stops at (text.length when it ends too early). */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) {
      i++;
    }
  };
  const literal = (word: string) => {
    for (const char of word) {
      if (text[i] !== char) {
        fail();
      }
      i++;
    }
  };
  const string = () => {
    literal('"');
    while (text[i] !== '"') {
      if (i >= text.length || text.charCodeAt(i) < 0x20) {
        fail();
      }
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) {
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) {
          fail();
        }
      }
      i++;
    }
    i++;
  };
  const value = (): void => {
    space();
    const char = text[i];
    if (char === '{' || char === '[') {
      const close = char === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (char === '{') {
          space();
          string();
          space();
          literal(':');
        }
        value();
        space();
        if (text[i] === ',') {
          i++;
        } else if (text[i] === close) {
          i++;
          return;
        } else {
          fail();
        }
      }
    } else if (char === '"') {
      string();
    } else if (char === 't' || char === 'f' || char === 'n') {
      literal(char === 't' ? 'true' : char === 'f' ? 'false' : 'null');
    } else {
      const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      if (!number) {
        fail();
      }
      i += number![0].length;
    }
  };
  try {
    value();
    space();
    if (i < text.length) {
      fail();
    }
  } catch (offset) {
    return offset as number;
  }
  return -1;
}

/** A test-box request that cannot be sent, in plain words. */
export class RequestProblem extends Error {}

/** The test box's request, parsed; a plain error naming where JSON is broken, or what a model server takes. */
export function parseRequest(text: string, deployment: IDeployment, trans: TranslationBundle): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    if (!text.trim()) {
      throw new RequestProblem(trans.__('The request is empty: write a JSON object.'));
    }
    const offset = Math.max(0, jsonErrorOffset(text));
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    const near = text.slice(offset, offset + 12);
    throw new RequestProblem(
      near
        ? trans.__('The request is not valid JSON: line %1, column %2, at “%3”.', line, column, near)
        : trans.__('The request is not valid JSON: it ends too early (line %1, column %2).', line, column)
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RequestProblem(
      trans.__(
        'A model server takes a JSON object, not a bare %1: a V1 body {"instances": [row, …]} or a V2 body {"inputs": [{"name", "shape", "datatype", "data"}]}. For this deployment, e.g. %2',
        Array.isArray(value) ? trans.__('list') : trans.__('value'),
        exampleRequest(deployment)
      )
    );
  }
  return value;
}

function TestBox({ deployment, trans }: { deployment: IDeployment; trans: TranslationBundle }) {
  const [request, setRequest] = useState(() => exampleRequest(deployment));
  const [answer, setAnswer] = useState('');
  const [failed, setFailed] = useState(false);
  const send = async () => {
    try {
      setAnswer(JSON.stringify(await predict(deployment.name, parseRequest(request, deployment, trans)), null, 1));
      setFailed(false);
    } catch (e) {
      setFailed(true);
      setAnswer(e instanceof RequestProblem ? e.message : errorMessage(e));
    }
  };
  return (
    <div className="a4m-TestBox">
      <textarea
        className="jp-mod-styled"
        aria-label={trans.__('Prediction request for %1', deployment.name)}
        value={request}
        rows={3}
        onChange={e => setRequest(e.target.value)}
      />
      <button className="jp-mod-styled jp-mod-accept" onClick={() => void send()}>
        {trans.__('Predict')}
      </button>
      {answer && (
        <pre
          className={`a4m-Answer${failed ? ' a4m-mod-error' : ''}`}
          tabIndex={0}
          aria-label={trans.__('Prediction answer')}
        >
          {answer}
        </pre>
      )}
    </div>
  );
}

interface ICardProps {
  deployment: IDeployment;
  model: IDeploymentsModel;
  runs: IRunsModel;
  files?: IBatchFiles;
  trans: TranslationBundle;
}

function DeploymentCard({ deployment, model, runs, files, trans }: ICardProps) {
  const [busy, setBusy] = useState(false);
  const [batching, setBatching] = useState(false);
  const [failure, setFailure] = useState('');
  /** Stop, restart or remove: one at a time; a failure stays shown until the next action. */
  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setFailure('');
    try {
      await action();
    } catch (e) {
      setFailure(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const stats = deployment.stats ?? {};
  return (
    <li
      className="a4m-Deployment"
      data-deployment={deployment.name}
      aria-label={trans.__('Deployment %1', deployment.name)}
    >
      <div className="a4m-RunDetail-header">
        <strong>{deployment.name}</strong>
        <span className="a4m-Status" data-status={deployment.status === 'running' ? 'succeeded' : deployment.status}>
          {deployment.status}
        </span>
      </div>
      <div className="a4m-Muted">
        {trans.__('model')}{' '}
        {deployment.run_id ? (
          <a
            href="#"
            title={trans.__('Show run %1 and its artifacts', deployment.run_id)}
            onClick={event => (event.preventDefault(), runs.select(deployment.run_id))}
          >
            {deployment.model_name}
          </a>
        ) : (
          deployment.model_name
        )}{' '}
        · {deployment.target}
      </div>
      {deployment.runtime && <div className="a4m-Muted">{trans.__('served by the %1', deployment.runtime.label)}</div>}
      {deployment.runtime?.fallback && (
        <p className="a4m-Message a4m-mod-warning" role="note">
          {deployment.runtime.fallback}
        </p>
      )}
      {deployment.config?.run ? (
        <RunChoice choice={deployment.config.run} onSelect={() => runs.select(deployment.run_id)} trans={trans} />
      ) : (
        deployment.run_id && (
          <div className="a4m-Muted">
            {trans.__('of run')}{' '}
            <a
              href="#"
              className="a4m-RunLink"
              onClick={event => (event.preventDefault(), runs.select(deployment.run_id))}
            >
              {deployment.run_id}
            </a>
          </div>
        )
      )}
      {deployment.endpoints && (
        <ul className="a4m-Endpoints">
          {(['v1', 'v2'] as const)
            .filter(protocol => deployment.endpoints![protocol])
            .map(protocol => (
              <li key={protocol}>
                <code title={deployment.endpoints![protocol]}>{protocol.toUpperCase()}</code>{' '}
                <span className="a4m-Url">{deployment.endpoints![protocol]}</span>
                <CopyButton
                  text={deployment.endpoints![protocol]}
                  label={trans.__('Copy the %1 URL', protocol.toUpperCase())}
                  trans={trans}
                />
              </li>
            ))}
        </ul>
      )}
      <div className="a4m-Muted">
        {trans._n('%1 request', '%1 requests', stats.requests ?? 0)}
        {', '}
        {trans._n('%1 error', '%1 errors', stats.errors ?? 0)}
        {model.rate(deployment.name) !== null && trans.__(' · %1 req/s', model.rate(deployment.name)!.toFixed(1))}
        {typeof stats.latency_ms?.p50 === 'number' && trans.__(' · p50 %1 ms', stats.latency_ms.p50.toFixed(1))}
      </div>
      {/* A long error (a log tail) scrolls: it takes the focus, so a keyboard can scroll it. */}
      {deployment.error && (
        <pre
          className="a4m-Answer a4m-mod-error"
          tabIndex={0}
          aria-label={trans.__('Error of deployment %1', deployment.name)}
        >
          {deployment.error}
        </pre>
      )}
      {failure && (
        <pre className="a4m-Answer a4m-mod-error" role="alert" tabIndex={0}>
          {failure}
        </pre>
      )}
      {deployment.refresh_error && (
        <p className="a4m-Message a4m-mod-warning" role="note">
          {trans.__(
            'Its status could not be read from the cluster (what is shown is what the cluster said before): %1',
            deployment.refresh_error
          )}
        </p>
      )}
      {deployment.target === 'kserve' && <MonitorJob deployment={deployment} model={model} trans={trans} />}
      <Signature deployment={deployment} trans={trans} />
      <CallExamples deployment={deployment} trans={trans} />
      {deployment.status === 'running' && <TestBox deployment={deployment} trans={trans} />}
      {batching && (
        <BatchPredict
          model={deployment.name}
          label={trans.__('deployment %1', deployment.name)}
          canLog={true}
          files={files}
          trans={trans}
          onClose={() => setBatching(false)}
        />
      )}
      <div className="a4m-Buttons">
        {!batching && (
          <button
            className="jp-mod-styled"
            title={trans.__("Predict every row of a file with this deployment's model, in a server worker")}
            onClick={() => setBatching(true)}
          >
            {trans.__('Batch predict…')}
          </button>
        )}
        {deployment.status === 'running' ? (
          <button className="jp-mod-styled" disabled={busy} onClick={() => void act(() => model.stop(deployment.name))}>
            {trans.__('Stop')}
          </button>
        ) : (
          <button
            className="jp-mod-styled"
            disabled={busy}
            onClick={() => void act(() => model.restart(deployment.name))}
          >
            {trans.__('Restart')}
          </button>
        )}
        <button
          className="jp-mod-styled jp-mod-warn"
          disabled={busy}
          onClick={() => void act(() => model.remove(deployment.name))}
        >
          {trans.__('Remove')}
        </button>
      </div>
    </li>
  );
}

export function DeploymentsView({
  model,
  runs,
  files,
  trans
}: {
  model: IDeploymentsModel;
  runs: IRunsModel;
  files?: IBatchFiles;
  trans: TranslationBundle;
}) {
  if (!model.deployments.length) {
    return (
      <p className="a4m-Panel-empty">
        {trans.__('No deployments yet. Run a notebook, then use Deploy in its toolbar.')}
      </p>
    );
  }
  return (
    <ul className="a4m-Deployments">
      {model.deployments.map(d => (
        <DeploymentCard key={d.name} deployment={d} model={model} runs={runs} files={files} trans={trans} />
      ))}
    </ul>
  );
}
