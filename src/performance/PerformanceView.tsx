/**
 * The performance of a deployment's model: status against its validation value and alert level, the metric over
 * windows (realized on labels, estimated before them), label coverage and delay, outputs against the reference
 * period, performance and concept-drift alerts, labels upload, policy.
 */
import React from 'react';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';

import { IPerformanceReport } from '../api';
import { CheckNow } from '../components/CheckNow';
import { WatchedReport } from '../components/DeploymentPicker';
import { MimeView } from '../components/MimeView';
import { documentTheme, IChartTheme } from '../components/theme';
import { VEGA_LITE } from '../components/vegalite';
import { AlertsList, pagedAlerts, servedRunParameters } from '../drift/AlertsList';
import { IPerformanceModel, IRunsModel } from '../tokens';
import { metricSpec, outputSpec, realizedPoints } from './charts';
import { LabelsForm } from './LabelsForm';
import { PerformancePolicyForm } from './PolicyForm';
import {
  coverageText,
  formatMetric,
  metricLabel,
  noLabelsHint,
  predictionIdHint,
  statusLabel,
  statusText
} from './words';

export interface IPerformanceViewProps {
  model: IPerformanceModel;
  runs: IRunsModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}

/** The status word, the latest value in words, the open window and what the server could not read. */
function Summary({ report, trans }: { report: IPerformanceReport; trans: TranslationBundle }) {
  const { open_window: open, unreadable, duplicate_ids: duplicates, refused_labels: refused } = report;
  const problems = [
    ...(unreadable.count ? [trans._n('%1 answer unreadable', '%1 answers unreadable', unreadable.count)] : []),
    ...(duplicates ? [trans._n('%1 repeated prediction id', '%1 repeated prediction ids', duplicates)] : []),
    ...(refused.count ? [trans._n('%1 label refused', '%1 labels refused', refused.count)] : [])
  ];
  return (
    <div className="a4m-DriftSummary a4m-PerformanceSummary">
      <div>
        <span className="a4m-Verdict" data-verdict={report.status}>
          {statusLabel(report.status, trans)}
        </span>{' '}
        <span className="a4m-PerformanceStatus">{statusText(report, trans)}</span>
      </div>
      {report.windows.length > 0 && (
        <div className="a4m-Muted">{trans.__('Next window: %1 of %2 predictions', open.predictions, open.size)}</div>
      )}
      <div className="a4m-Muted a4m-Coverage" aria-label={trans.__('Label coverage')}>
        {coverageText(report, trans)}
      </div>
      {problems.length > 0 && (
        <div className="a4m-Muted" title={[unreadable.last_reason, refused.last_reason].filter(Boolean).join('\n')}>
          {problems.join(' · ')}
        </div>
      )}
    </div>
  );
}

function Charts({
  report,
  rendermime,
  theme,
  trans
}: {
  report: IPerformanceReport;
  rendermime: IRenderMimeRegistry;
  theme: IChartTheme;
  trans: TranslationBundle;
}) {
  const metric = metricSpec(report, theme, trans);
  const outputs = outputSpec(report, theme, trans);
  const realized = realizedPoints(report);
  return (
    <>
      {metric ? (
        <MimeView
          rendermime={rendermime}
          mimeTypes={VEGA_LITE}
          data={metric as any}
          className="a4m-Chart a4m-PerformanceChart"
          label={metric.description as string}
          fallback={realized.map(p => `#${p.window} ${p.at}: ${formatMetric(p.value)}`).join('\n')}
        />
      ) : (
        <p className="a4m-Panel-empty">
          {trans.__(
            'The chart of %1 appears once a window has labels or an estimate.',
            metricLabel(report.metric, trans)
          )}
        </p>
      )}
      {outputs && (
        <>
          <h4 className="a4m-Section-title">{trans.__('Outputs')}</h4>
          <MimeView
            rendermime={rendermime}
            mimeTypes={VEGA_LITE}
            data={outputs as any}
            className="a4m-Chart a4m-OutputChart"
            label={outputs.description as string}
            fallback={outputs.description as string}
          />
        </>
      )}
    </>
  );
}

export function PerformanceView({ model, runs, rendermime, trans }: IPerformanceViewProps): JSX.Element {
  if (!model.deployments.length || model.deployment === null) {
    return <p className="a4m-Panel-empty">{trans.__('Deploy a model, then send labels to see how it performs.')}</p>;
  }
  const name = model.deployment;
  const runParameters = servedRunParameters(model.deployments, runs, name);

  return (
    <WatchedReport
      model={model}
      className="a4m-Performance"
      label={trans.__('Deployment to watch for performance')}
      loading={trans.__('Loading the performance report…')}
      trans={trans}
    >
      {report => (
        <>
          <Summary report={report} trans={trans} />
          <CheckNow
            check={() => model.check(name)}
            messages={{
              pending: trans.__('Reading the new predictions and labels of %1…', name),
              success: r => `${statusLabel(r.status, trans)}: ${statusText(r, trans)}`,
              failure: reason => trans.__('Performance check failed: %1', reason)
            }}
            title={trans.__('Read the new predictions and labels now (the server does it every few seconds)')}
            trans={trans}
          />
          <Charts report={report} rendermime={rendermime} theme={documentTheme()} trans={trans} />
          <h4 className="a4m-Section-title">{trans.__('Alerts')}</h4>
          <AlertsList
            {...pagedAlerts(model)}
            runParameters={runParameters}
            model={model}
            runs={runs}
            trans={trans}
            label={trans.__('Performance and concept-drift alerts')}
            showKind
          />
          <h4 className="a4m-Section-title">{trans.__('Labels')}</h4>
          {report.coverage.labelled === 0 && <p className="a4m-Panel-empty">{noLabelsHint(report, trans)}</p>}
          <LabelsForm
            key={`labels-${name}`}
            deployment={name}
            model={model}
            idHint={predictionIdHint(report, trans)}
            trans={trans}
          />
          <h4 className="a4m-Section-title">{trans.__('Policy')}</h4>
          <PerformancePolicyForm key={`policy-${name}`} report={report} model={model} trans={trans} />
        </>
      )}
    </WatchedReport>
  );
}
