/** Data drift of a deployment's inputs: verdict, counts, charts over time, per feature, alerts, policy. */
import React from 'react';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';

import { IDriftReport, IDriftWindow } from '../api';
import { CheckNow } from '../components/CheckNow';
import { WatchedReport } from '../components/DeploymentPicker';
import { MimeView } from '../components/MimeView';
import { documentTheme, IChartTheme } from '../components/theme';
import { VEGA_LITE } from '../components/vegalite';
import { When } from '../components/When';
import { IDriftModel, IRunsModel } from '../tokens';
import { AlertsList, pagedAlerts, servedRunParameters } from './AlertsList';
import { distributionSpec, heatSpec, scoreSpec } from './charts';
import { featureNames, pValueText, Verdict, verdictOf } from './model';
import { PolicyForm } from './PolicyForm';

export interface IDriftViewProps {
  model: IDriftModel;
  runs: IRunsModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}

function verdictLabel(verdict: Verdict, trans: TranslationBundle): string {
  return { drift: trans.__('Drift'), 'no-drift': trans.__('No drift'), insufficient: trans.__('Not enough data') }[
    verdict
  ];
}

/** The model was replaced (e.g. retrained) and has no window yet: the old verdict is history, said as such. */
function ModelReplaced({
  report,
  previous,
  trans
}: {
  report: IDriftReport;
  previous: IDriftWindow;
  trans: TranslationBundle;
}) {
  return (
    <>
      <span className="a4m-Verdict" data-verdict="insufficient">
        {trans.__('New model')}
      </span>{' '}
      {trans.__('serving since')} <When iso={report.model.since} />
      {'; '}
      {trans.__('no window of it tested yet.')}
      <div className="a4m-Muted">
        {trans.__(
          'The model it replaced: %1, %2 (window #%3).',
          verdictLabel(verdictOf(previous), trans),
          pValueText(previous.p_value),
          previous.id
        )}
      </div>
    </>
  );
}

/** The newest verdict, what waits for the next window, what arrived, and the reference. */
function Summary({ report, trans }: { report: IDriftReport; trans: TranslationBundle }) {
  const { latest, policy, pending, counts, reference } = report;
  const rejected = Object.entries(counts.rejected);
  const rejectedTotal = rejected.reduce((sum, [, n]) => sum + n, 0);
  const unattributed = Object.values(counts.unattributed ?? {}).reduce((sum, n) => sum + n, 0);
  return (
    <div className="a4m-DriftSummary">
      <div>
        {latest ? (
          <>
            <span className="a4m-Verdict" data-verdict={verdictOf(latest)}>
              {verdictLabel(verdictOf(latest), trans)}
            </span>{' '}
            {policy.window === 'count' && latest.n === policy.window_size
              ? trans.__('%1 · window #%2', pValueText(latest.p_value), latest.id)
              : trans._n(
                  '%2 · window #%3 of %1 row',
                  '%2 · window #%3 of %1 rows',
                  latest.n,
                  pValueText(latest.p_value),
                  latest.id
                )}
          </>
        ) : report.previous ? (
          <ModelReplaced report={report} previous={report.previous} trans={trans} />
        ) : (
          trans.__('No window tested yet.')
        )}
      </div>
      <div className="a4m-Muted">
        {policy.window === 'count'
          ? trans.__('Next window: %1 of %2 rows', pending.rows, policy.window_size)
          : trans._n(
              'Next window (every %2 s): %1 row so far',
              'Next window (every %2 s): %1 rows so far',
              pending.rows,
              policy.window_seconds
            )}
      </div>
      <div className="a4m-Muted" aria-label={trans.__('Request events')}>
        {trans._n('%1 request', '%1 requests', counts.requests)}
        {' · '}
        {trans._n('%1 window', '%1 windows', counts.windows)}
        {', '}
        {trans.__('%1 drifted', counts.drifted)}
        {' · '}
        <span title={counts.undecodable_reason ?? undefined}>{trans.__('%1 undecodable', counts.undecodable)}</span>
        {' · '}
        <span title={rejected.map(([why, n]) => `${why}: ${n}`).join('\n') || undefined}>
          {trans._n('%1 event rejected by ingest', '%1 events rejected by ingest', rejectedTotal)}
        </span>
        {unattributed > 0 && ` ${trans.__('(and %1 naming no deployment)', unattributed)}`}
      </div>
      {counts.undecodable_reason && (
        <div className="a4m-Muted">{trans.__('Last undecodable request: %1', counts.undecodable_reason)}</div>
      )}
      {reference.available ? (
        <div className="a4m-Muted">
          {trans._n('Reference: %2 (%1 row)', 'Reference: %2 (%1 rows)', reference.n_rows, reference.source)}
        </div>
      ) : (
        <p className="a4m-Message a4m-mod-error" role="alert">
          {reference.detail || reference.error} {reference.hint}
        </p>
      )}
    </div>
  );
}

function Charts({
  model,
  report,
  rendermime,
  theme,
  trans
}: {
  model: IDriftModel;
  report: IDriftReport;
  rendermime: IRenderMimeRegistry;
  theme: IChartTheme;
  trans: TranslationBundle;
}) {
  const tested = report.windows.filter(w => w.status === 'ok' && w.p_value !== null);
  const features = featureNames(report);
  const distribution = model.distribution;
  const hasFeatureTests = tested.some(w => w.features.some(f => f.adjusted_p_value !== null));
  const score = scoreSpec(report.windows, report.policy.alpha, theme, trans, report.model.since);
  const heat = heatSpec(report.windows, features, theme, trans);
  const histogram = distribution && distributionSpec(distribution, theme, trans);
  return (
    <>
      {tested.length > 0 ? (
        <MimeView
          rendermime={rendermime}
          mimeTypes={VEGA_LITE}
          data={score as any}
          className="a4m-Chart a4m-DriftScore"
          label={score.description as string}
          fallback={tested.map(w => `#${w.id} ${w.last_at}: ${pValueText(w.p_value)}`).join('\n')}
        />
      ) : (
        <p className="a4m-Panel-empty">{trans.__('The chart appears once a window has been tested.')}</p>
      )}
      {hasFeatureTests && (
        <MimeView
          rendermime={rendermime}
          mimeTypes={VEGA_LITE}
          data={heat as any}
          className="a4m-Chart a4m-DriftHeat"
          label={heat.description as string}
          fallback={trans.__('Per-feature adjusted p-values of the last windows.')}
        />
      )}
      {features.length > 0 && (
        <label className="a4m-Field a4m-mod-inline">
          <span>{trans.__('Feature')}</span>
          <select
            className="jp-mod-styled"
            aria-label={trans.__('Feature to compare with the reference')}
            value={model.feature ?? ''}
            onChange={e => model.selectFeature(e.target.value)}
          >
            {features.map(name => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      )}
      {distribution && (
        <MimeView
          rendermime={rendermime}
          mimeTypes={VEGA_LITE}
          data={histogram as any}
          className="a4m-Chart a4m-DriftDistribution"
          label={histogram!.description as string}
          fallback={trans.__('Distribution of %1: reference and current window.', distribution.name)}
        />
      )}
    </>
  );
}

export function DriftView({ model, runs, rendermime, trans }: IDriftViewProps): JSX.Element {
  const deployments = model.deployments;
  if (!deployments.length || model.deployment === null) {
    return <p className="a4m-Panel-empty">{trans.__('Deploy a model to watch its inputs.')}</p>;
  }
  const name = model.deployment;
  const runParameters = servedRunParameters(deployments, runs, name);

  return (
    <WatchedReport
      model={model}
      className="a4m-Drift"
      label={trans.__('Deployment to watch for drift')}
      loading={trans.__('Loading the drift report…')}
      trans={trans}
    >
      {report => (
        <>
          <Summary report={report} trans={trans} />
          <CheckNow
            check={() => model.check(name)}
            messages={{
              pending: trans.__('Testing the newest rows of %1…', name),
              success: w =>
                trans.__(
                  'Window #%1: %2 (%3, %4 rows).',
                  w.id,
                  verdictLabel(verdictOf(w), trans),
                  pValueText(w.p_value),
                  w.n
                ),
              failure: reason => trans.__('Drift check failed: %1', reason)
            }}
            title={
              report.policy.window === 'count'
                ? trans.__('Test the newest %1 rows against the reference now', report.policy.window_size)
                : trans.__('Test the open window against the reference now')
            }
            disabled={!report.reference.available}
            trans={trans}
          />
          <Charts model={model} report={report} rendermime={rendermime} theme={documentTheme()} trans={trans} />
          <h4 className="a4m-Section-title">{trans.__('Alerts')}</h4>
          <AlertsList {...pagedAlerts(model)} runParameters={runParameters} model={model} runs={runs} trans={trans} />
          <h4 className="a4m-Section-title">{trans.__('Policy')}</h4>
          <PolicyForm key={name} deployment={name} policy={report.policy} model={model} trans={trans} />
        </>
      )}
    </WatchedReport>
  );
}
