/** The runs chosen to compare: a table of their metrics (bars, best marked) and parameters, and a chart. */
import React, { useState } from 'react';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';

import { IRun } from '../api';
import { MimeView } from '../components/MimeView';
import { documentTheme } from '../drift/charts';
import { compareChartSpec, comparisonRows, formatValue, keyParameters, numericParameters } from './compare';
import { betterIsLower } from './metrics';
import { metricNames } from './table';

const VEGA_LITE = ['application/vnd.vegalite.v5+json', 'application/vnd.vegalite.v4+json'];

export interface ICompareViewProps {
  runs: IRun[];
  /** Each run's name, e.g. "run 3 · 14:02". */
  labels: Map<string, string>;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}

export function CompareView({ runs, labels, rendermime, trans }: ICompareViewProps): JSX.Element {
  const metrics = metricNames(runs);
  const parameters = keyParameters(runs);
  const numeric = numericParameters(runs);
  const [metricChoice, setMetric] = useState('');
  const [axisChoice, setAxis] = useState<string | null>(null);
  const metric = metrics.includes(metricChoice) ? metricChoice : (metrics[0] ?? '');
  // The x axis: the user's choice while it applies, else the first numeric parameter, else per run.
  const axis =
    axisChoice !== null && (axisChoice === '' || numeric.includes(axisChoice)) ? axisChoice : (numeric[0] ?? '');
  const rows = comparisonRows(runs, metrics, parameters);
  const name = (run: IRun) => labels.get(run.id) ?? run.id;

  return (
    <section className="a4m-Compare" aria-label={trans.__('Compare runs')}>
      <h4 className="a4m-Compare-title">{trans.__('Comparing %1 runs', runs.length)}</h4>
      <div className="a4m-Compare-scroll" tabIndex={0} aria-label={trans.__('Comparison table')}>
        <table className="a4m-CompareTable">
          <thead>
            <tr>
              <th scope="col">{trans.__('Run')}</th>
              {metrics.map(m => (
                <th scope="col" key={m} title={betterIsLower(m) ? trans.__('lower is better') : trans.__('higher is better')}>
                  {m} {betterIsLower(m) ? '↓' : '↑'}
                </th>
              ))}
              {parameters.map(p => (
                <th scope="col" key={p} className="a4m-mod-parameter">
                  {p}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(row => (
              <tr key={row.run.id}>
                <th scope="row">{name(row.run)}</th>
                {metrics.map(m => {
                  const cell = row.metrics[m];
                  return (
                    <td key={m} className={cell.best ? 'a4m-Metric a4m-mod-best' : 'a4m-Metric'}>
                      <span className="a4m-Metric-value">
                        {formatValue(cell.value)}
                        {cell.best && <span className="a4m-Best">{trans.__('best')}</span>}
                      </span>
                      <span className="a4m-Bar" aria-hidden="true">
                        <span style={{ width: `${Math.round(cell.fraction * 100)}%` }} />
                      </span>
                    </td>
                  );
                })}
                {parameters.map(p => (
                  <td key={p} className="a4m-mod-parameter">
                    {row.parameters[p]}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {metrics.length > 0 && (
        <>
          <div className="a4m-Compare-controls">
            <label>
              <span>{trans.__('Plot')}</span>
              <select className="jp-mod-styled" value={metric} onChange={e => setMetric(e.target.value)}>
                {metrics.map(m => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </label>
            <label>
              <span>{trans.__('against')}</span>
              <select className="jp-mod-styled" value={axis} onChange={e => setAxis(e.target.value)}>
                <option value="">{trans.__('each run')}</option>
                {numeric.map(p => (
                  <option key={p} value={p}>
                    {p}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <MimeView
            rendermime={rendermime}
            mimeTypes={VEGA_LITE}
            data={
              compareChartSpec(runs, {
                metric,
                parameter: axis || null,
                labels,
                theme: documentTheme(),
                trans
              }) as any
            }
            className="a4m-Chart a4m-CompareChart"
            label={trans.__(
              '%1 of %2',
              metric,
              runs.map(run => `${name(run)}: ${formatValue(run.metrics?.[metric])}`).join(', ')
            )}
            fallback={runs.map(run => `${name(run)}: ${formatValue(run.metrics?.[metric])}`).join('\n')}
          />
        </>
      )}
    </section>
  );
}
