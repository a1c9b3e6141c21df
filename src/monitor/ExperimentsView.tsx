/** Experiments and their runs: filter, sort, select to compare a metric, open a run. */
import React, { useState } from 'react';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';

import { IRun } from '../api';
import { MimeView } from '../components/MimeView';
import { IRunsModel } from '../tokens';
import { RunDetail } from './RunDetail';
import { compareSpec, formatDuration, metricNames, runMetrics, SortKey, visibleRuns } from './table';

const VEGA_LITE = ['application/vnd.vegalite.v5+json', 'application/vnd.vegalite.v4+json'];

export interface IExperimentsViewProps {
  runs: IRunsModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}

export function ExperimentsView({ runs, rendermime, trans }: IExperimentsViewProps): JSX.Element {
  const [experiment, setExperiment] = useState('');
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<SortKey>('created_at');
  const [descending, setDescending] = useState(true);
  const [selected, setSelected] = useState<string[]>([]);
  const openRun = runs.selected;
  const setOpenRun = (id: string | null) => runs.select(id);
  const [metric, setMetric] = useState('');

  const all = runs.runs;
  if (all.length === 0) {
    return <p className="a4m-Panel-empty">{trans.__('No runs yet. Run a notebook from the Pipeline panel.')}</p>;
  }
  const experiments = [...new Set(all.map(run => run.experiment))].sort();
  const shown = visibleRuns(all, { experiment, filter, sort, descending });
  const metrics = metricNames(all);
  const chosenMetric = metric || metrics[0] || '';
  const compared = all.filter(run => selected.includes(run.id));
  const detail = all.find(run => run.id === openRun);

  const header = (key: SortKey, label: string) => (
    <th
      aria-sort={sort === key ? (descending ? 'descending' : 'ascending') : 'none'}
      onClick={() => (sort === key ? setDescending(!descending) : (setSort(key), setDescending(true)))}
      className="a4m-Sortable"
    >
      {label}
    </th>
  );
  const toggle = (run: IRun) =>
    setSelected(selected.includes(run.id) ? selected.filter(id => id !== run.id) : [...selected, run.id]);

  return (
    <div className="a4m-Experiments">
      <div className="a4m-Toolbar">
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Experiment')}
          value={experiment}
          onChange={e => setExperiment(e.target.value)}
        >
          <option value="">{trans.__('All experiments')}</option>
          {experiments.map(name => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <input
          className="jp-mod-styled"
          aria-label={trans.__('Filter runs')}
          placeholder={trans.__('Filter: status, id, parameter…')}
          value={filter}
          onChange={e => setFilter(e.target.value)}
        />
      </div>
      <table className="a4m-Table a4m-RunsTable">
        <thead>
          <tr>
            <th aria-label={trans.__('Compare')} />
            {header('created_at', trans.__('Run'))}
            {header('status', trans.__('Status'))}
            {header('duration', trans.__('Time'))}
            {metrics.slice(0, 2).map(name => (
              <React.Fragment key={name}>{header(`metric:${name}`, name)}</React.Fragment>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map(run => (
            <tr key={run.id} className={openRun === run.id ? 'a4m-mod-selected' : ''} data-run={run.id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={trans.__('Compare run %1', run.id)}
                  checked={selected.includes(run.id)}
                  onChange={() => toggle(run)}
                />
              </td>
              <td>
                <a
                  href="#"
                  title={JSON.stringify(run.parameters)}
                  onClick={event => (event.preventDefault(), setOpenRun(run.id))}
                >
                  {run.id}
                </a>
              </td>
              <td>
                <span className="a4m-Status" data-status={run.status}>
                  {run.status}
                </span>
              </td>
              <td>{formatDuration(run.duration)}</td>
              {metrics.slice(0, 2).map(name => (
                <td key={name}>{runMetrics(run)[name]?.toPrecision(4) ?? '–'}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {compared.length > 0 && metrics.length > 0 && (
        <section className="a4m-Section" aria-label={trans.__('Compare runs')}>
          <div className="a4m-Toolbar">
            <span>{trans.__('Compare %1 runs by', compared.length)}</span>
            <select
              className="jp-mod-styled"
              aria-label={trans.__('Metric to compare')}
              value={chosenMetric}
              onChange={e => setMetric(e.target.value)}
            >
              {metrics.map(name => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <MimeView
            rendermime={rendermime}
            mimeTypes={VEGA_LITE}
            data={compareSpec(compared, chosenMetric) as any}
            className="a4m-Chart"
            label={trans.__('%1 of runs %2', chosenMetric, compared.map(r => r.id).join(', '))}
            fallback={compared.map(r => `${r.id}: ${runMetrics(r)[chosenMetric] ?? '–'}`).join('\n')}
          />
        </section>
      )}
      {detail && <RunDetail run={detail} runs={runs} trans={trans} onClose={() => setOpenRun(null)} />}
    </div>
  );
}
