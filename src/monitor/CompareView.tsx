/** The runs (or model versions) chosen to compare: a table of their metrics (bars, best marked) and parameters, and a chart. */
import React, { RefObject, useEffect, useId, useRef, useState } from 'react';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';

import { MimeView } from '../components/MimeView';
import { documentTheme } from '../components/theme';
import { formatValue, runTime, varyingParameters } from '../runs/labels';
import { compareChartSpec, ComparedKind, comparisonRows, IComparable, numericParameters, runLabel } from './compare';
import { betterIsLower } from './metrics';
import { metricNames } from './table';

const VEGA_LITE = ['application/vnd.vegalite.v5+json', 'application/vnd.vegalite.v4+json'];

export interface ICompareViewProps {
  /** The runs, or the versions, to compare. */
  items: IComparable[];
  /** Each one's name by id, e.g. "run 3". */
  names: Map<string, string>;
  /** What is compared (default: runs). */
  kind?: ComparedKind;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}

/** Width the chart leaves to the Vega renderer's left padding and its actions menu at the right. */
const CHART_INSET = 48;

/** An element's width, kept up to date while it resizes (0 until measured; kept while hidden). */
function useWidth<T extends HTMLElement>(): [RefObject<T>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const node = ref.current;
    if (!node || typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(([entry]) => {
      const measured = Math.round(entry.contentRect.width);
      if (measured > 0) {
        setWidth(measured);
      }
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/** The words the view uses for what it compares. */
function words(kind: ComparedKind, trans: TranslationBundle, count: number) {
  return kind === 'run'
    ? {
        region: trans.__('Compare runs'),
        title: trans.__('Comparing %1 runs', count),
        column: trans.__('Run'),
        best: trans.__('best of the compared runs'),
        each: trans.__('each run')
      }
    : {
        region: trans.__('Compare versions'),
        title: trans.__('Comparing %1 versions', count),
        column: trans.__('Version'),
        best: trans.__('best of the compared versions'),
        each: trans.__('each version')
      };
}

export function CompareView({ items: runs, names, kind = 'run', rendermime, trans }: ICompareViewProps): JSX.Element {
  const metrics = metricNames(runs);
  const parameters = varyingParameters(runs);
  const numeric = numericParameters(runs);
  const [metricChoice, setMetric] = useState('');
  const id = useId();
  const [section, width] = useWidth<HTMLElement>();
  const [axisChoice, setAxis] = useState<string | null>(null);
  const metric = metrics.includes(metricChoice) ? metricChoice : (metrics[0] ?? '');
  // The x axis: the user's choice while it applies, else the first numeric parameter, else per run.
  const axis =
    axisChoice !== null && (axisChoice === '' || numeric.includes(axisChoice)) ? axisChoice : (numeric[0] ?? '');
  const rows = comparisonRows(runs, metrics, parameters);
  const labels = new Map(runs.map(run => [run.id, runLabel(names.get(run.id) ?? run.id, run)]));
  const label = (run: IComparable) => labels.get(run.id)!;
  const text = words(kind, trans, runs.length);

  return (
    <section className="a4m-Compare" aria-label={text.region} ref={section}>
      <h4 className="a4m-Compare-title">{text.title}</h4>
      <div className="a4m-Compare-scroll" role="region" tabIndex={0} aria-label={trans.__('Comparison table')}>
        <table className="a4m-CompareTable">
          <thead>
            <tr>
              <th scope="col">{text.column}</th>
              {metrics.map(m => (
                <th
                  scope="col"
                  key={m}
                  title={betterIsLower(m) ? trans.__('lower is better') : trans.__('higher is better')}
                >
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
              <tr key={row.item.id}>
                <th scope="row" title={row.item.id}>
                  {names.get(row.item.id) ?? row.item.id}
                  <time className="a4m-Compare-time" dateTime={row.item.created_at}>
                    {runTime(row.item.created_at)}
                  </time>
                </th>
                {metrics.map(m => {
                  const cell = row.metrics[m];
                  return (
                    <td key={m} className={cell.best ? 'a4m-Metric a4m-mod-best' : 'a4m-Metric'}>
                      <span className="a4m-Metric-value">
                        {formatValue(cell.value)}
                        {cell.best && (
                          <span className="a4m-Best" title={text.best}>
                            <span aria-hidden="true">★</span>
                            <span className="a4m-VisuallyHidden">{trans.__('best')}</span>
                          </span>
                        )}
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
      {metrics.length > 0 && width > 0 && (
        <>
          <div className="a4m-Compare-controls">
            <label htmlFor={`${id}-metric`}>{trans.__('Plot')}</label>
            <select
              id={`${id}-metric`}
              aria-label={trans.__('Plot metric')}
              className="jp-mod-styled"
              value={metric}
              onChange={e => setMetric(e.target.value)}
            >
              {metrics.map(m => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
            <label htmlFor={`${id}-axis`}>{trans.__('against')}</label>
            <select
              id={`${id}-axis`}
              aria-label={trans.__('against parameter')}
              className="jp-mod-styled"
              value={axis}
              onChange={e => setAxis(e.target.value)}
            >
              <option value="">{text.each}</option>
              {numeric.map(p => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
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
                trans,
                width: width - CHART_INSET,
                kind
              }) as any
            }
            className="a4m-Chart a4m-CompareChart"
            label={trans.__(
              '%1 of %2',
              metric,
              runs.map(run => `${label(run)}: ${formatValue(run.metrics?.[metric])}`).join(', ')
            )}
            fallback={runs.map(run => `${label(run)}: ${formatValue(run.metrics?.[metric])}`).join('\n')}
          />
        </>
      )}
    </section>
  );
}
