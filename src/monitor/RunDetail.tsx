/** One run: steps with status and duration, a step's log, artifacts, and re-run with other parameters. */
import React, { useEffect, useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { fetchRun, fetchStepLog, IArtifact, IRun, IStepError, IStepLog } from '../api';
import { errorMessage } from '../errors';
import { runTime } from '../runs/labels';
import { isActive } from '../runs/model';
import { RegisterModel } from '../models/RegisterModel';
import { IModelsModel, IRunsModel } from '../tokens';
import { ParameterFields, typedParameters, useParameterTexts } from '../components/ParameterFields';
import { formatDuration } from './table';

export interface IRunDetailProps {
  run: IRun;
  runs: IRunsModel;
  trans: TranslationBundle;
  onClose: () => void;
  /** Opens a notebook at a cell (0-based), e.g. where a step's error happened. */
  showCell?: (path: string, cell: number) => void;
  /** The model registry, to register the run's model in. */
  models?: IModelsModel;
}

/** Where a frame of a step's error is, as people count cells: "cell 4, line 2" (", in f" inside a function). */
function frameWhere(frame: IStepError['frames'][number], trans: TranslationBundle): string {
  return frame.function
    ? trans.__('cell %1, line %2, in %3', frame.cell + 1, frame.line, frame.function)
    : trans.__('cell %1, line %2', frame.cell + 1, frame.line);
}

function StepError({
  error,
  trans,
  onShowCell
}: {
  error: IStepError;
  trans: TranslationBundle;
  onShowCell?: (cell: number) => void;
}) {
  return (
    <div className="a4m-StepError" role="alert" aria-label={trans.__('Error')}>
      <div className="a4m-StepError-message">
        <strong>{error.type}</strong>
        {error.message && `: ${error.message}`}
      </div>
      {error.frames.length > 0 && (
        <ol className="a4m-StepError-frames" aria-label={trans.__('Where in the notebook')}>
          {error.frames.map((frame, index) => (
            <li key={index}>
              {onShowCell ? (
                <button
                  className="a4m-LinkButton a4m-StepError-where"
                  title={trans.__('Show cell %1 in the notebook', frame.cell + 1)}
                  onClick={() => onShowCell(frame.cell)}
                >
                  {frameWhere(frame, trans)}
                </button>
              ) : (
                <span className="a4m-StepError-where">{frameWhere(frame, trans)}</span>
              )}
              {frame.code && <code>{frame.code}</code>}
            </li>
          ))}
        </ol>
      )}
      {error.hidden_frames > 0 && (
        <div className="a4m-Muted">
          {trans._n(
            '%1 frame of Python, kfp and ai4mlops-lab code hidden',
            '%1 frames of Python, kfp and ai4mlops-lab code hidden',
            error.hidden_frames
          )}
        </div>
      )}
    </div>
  );
}

/** A step's log: what the user's code printed, then its error located in the notebook; the whole log on demand. */
function StepLog({
  run,
  step,
  trans,
  showCell
}: {
  run: IRun;
  step: string;
  trans: TranslationBundle;
  showCell?: IRunDetailProps['showCell'];
}) {
  const [log, setLog] = useState<IStepLog | null>(null);
  const [failure, setFailure] = useState('');
  const [full, setFull] = useState(false);
  const status = run.steps.find(s => s.name === step)?.status;
  useEffect(() => {
    let live = true;
    fetchStepLog(run.id, step)
      .then(reply => {
        if (live) {
          setLog(reply);
          setFailure('');
        }
      })
      .catch(e => live && setFailure(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [run.id, step, status]);
  return (
    <section className="a4m-StepLog" aria-label={trans.__('Log of step %1', step)}>
      <h4 className="a4m-Section-title">{trans.__('Output of %1', step)}</h4>
      {failure && <p className="a4m-Message a4m-mod-error">{failure}</p>}
      {log && (
        <>
          <pre className="a4m-Log a4m-StepLog-output" tabIndex={0} aria-label={trans.__('Output of step %1', step)}>
            {log.output || trans.__('(no output)')}
          </pre>
          {log.error && (
            <StepError
              error={log.error}
              trans={trans}
              onShowCell={showCell && (cell => showCell(run.notebook_path, cell))}
            />
          )}
          <button className="jp-mod-styled a4m-StepLog-toggle" aria-expanded={full} onClick={() => setFull(!full)}>
            {full ? trans.__('Hide full log') : trans.__('Show full log')}
          </button>
          {full && (
            <pre className="a4m-Log a4m-StepLog-full" tabIndex={0} aria-label={trans.__('Full log of step %1', step)}>
              {log.text}
            </pre>
          )}
        </>
      )}
    </section>
  );
}

function Rerun({ run, runs, trans }: { run: IRun; runs: IRunsModel; trans: TranslationBundle }) {
  const { texts, setTexts } = useParameterTexts(run.parameters);
  const [error, setError] = useState('');
  const submit = async () => {
    setError('');
    try {
      const parameters = typedParameters(run.parameters, texts);
      await runs.submit({ path: run.notebook_path, target: run.target, parameters, experiment: run.experiment });
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <section className="a4m-Section" aria-label={trans.__('Re-run')}>
      <h4 className="a4m-Section-title">{trans.__('Re-run with parameters')}</h4>
      <ParameterFields texts={texts} onChange={setTexts} label={name => trans.__('Re-run parameter %1', name)} />
      <button className="jp-mod-styled jp-mod-accept" onClick={() => void submit()}>
        {trans.__('Re-run')}
      </button>
      {error && (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** The artifacts of a run: the runs list does not carry them, the run's own route does. */
function useArtifacts(run: IRun): IArtifact[] {
  const [artifacts, setArtifacts] = useState<IArtifact[]>([]);
  useEffect(() => {
    let live = true;
    fetchRun(run.id)
      .then(detail => live && setArtifacts(detail.artifacts ?? []))
      .catch(() => live && setArtifacts([]));
    return () => {
      live = false;
    };
  }, [run.id, run.status]);
  return artifacts;
}

export function RunDetail({ run, runs, trans, onClose, showCell, models }: IRunDetailProps): JSX.Element {
  const [logStep, setLogStep] = useState<string | null>(run.steps.find(s => s.status === 'failed')?.name ?? null);
  const artifacts = useArtifacts(run);
  return (
    <div className="a4m-RunDetail" aria-label={trans.__('Run %1', run.id)}>
      <div className="a4m-RunDetail-header">
        <strong>{trans.__('Run of %1', runTime(run.created_at))}</strong>
        <span className="a4m-Status" data-status={run.status}>
          {run.status}
        </span>
        <button className="a4m-LinkButton" aria-label={trans.__('Close run details')} onClick={onClose}>
          ×
        </button>
      </div>
      <div className="a4m-Muted">
        {run.experiment} / {run.pipeline} · {run.target} · {run.notebook_path} · {trans.__('id %1', run.id)}
      </div>
      {/* Its first line: the step log below locates the error in the notebook. */}
      {run.error && <p className="a4m-Message a4m-mod-error">{run.error.split('\n')[0]}</p>}
      <table className="a4m-Table">
        <thead>
          <tr>
            <th>{trans.__('Step')}</th>
            <th>{trans.__('Status')}</th>
            <th>{trans.__('Duration')}</th>
          </tr>
        </thead>
        <tbody>
          {run.steps.map(step => (
            <tr
              key={step.name}
              className={logStep === step.name ? 'a4m-mod-selected' : ''}
              onClick={() => setLogStep(step.name)}
              title={trans.__('Show the log of %1', step.name)}
            >
              <td>{step.name}</td>
              <td>
                <span className="a4m-Status" data-status={step.status}>
                  {step.status}
                </span>
              </td>
              <td>{formatDuration(step.duration)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {logStep && <StepLog run={run} step={logStep} trans={trans} showCell={showCell} />}
      {artifacts.length > 0 && (
        <section className="a4m-Section" aria-label={trans.__('Artifacts')}>
          <h4 className="a4m-Section-title">{trans.__('Artifacts')}</h4>
          <ul className="a4m-Artifacts">
            {artifacts.map(a => (
              <li key={`${a.step}/${a.name}`} title={a.uri}>
                <code>{a.name}</code> ({a.type.replace('system.', '')}
                {a.size !== null ? `, ${a.size} B` : ''}) · {a.step}
              </li>
            ))}
          </ul>
        </section>
      )}
      {models && <RegisterModel run={run} artifacts={artifacts} models={models} trans={trans} />}
      {!isActive(run) && Object.keys(run.parameters).length > 0 && <Rerun run={run} runs={runs} trans={trans} />}
    </div>
  );
}
