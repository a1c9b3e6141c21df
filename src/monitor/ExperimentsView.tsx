/**
 * Experiments and their runs: filter (also to the runs of one schedule or data trigger), sort, a card per run,
 * select runs to compare, open a run.
 */
import React, { useState } from 'react';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';

import { IRun } from '../api';
import { When } from '../components/When';
import { IModelsModel, IRunsModel } from '../tokens';
import { formatValue, varyingParameters } from '../runs/labels';
import { runLabel, runNumbers } from './compare';
import { CompareView } from './CompareView';
import { RunDetail } from './RunDetail';
import { formatDuration, metricNames, runMetrics, SortKey, visibleRuns } from './table';

export interface IExperimentsViewProps {
  runs: IRunsModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  /** Opens a notebook at a cell (0-based). */
  showCell?: (path: string, cell: number) => void;
  /** The model registry, to register a run's model in. */
  models?: IModelsModel;
}

/** Metrics and parameters a run card shows at most (one metric and two parameters in a narrow panel). */
const CARD_VALUES = 3;

export function ExperimentsView({ runs, rendermime, trans, showCell, models }: IExperimentsViewProps): JSX.Element {
  const [experiment, setExperiment] = useState('');
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<SortKey>('created_at');
  const [descending, setDescending] = useState(true);
  const [selected, setSelected] = useState<string[]>([]);
  const openRun = runs.selected;
  const setOpenRun = (id: string | null) => runs.select(id);

  const origin = runs.origin;
  const all = origin ? runs.originRuns : runs.runs;
  const originChip = origin && (
    <div className="a4m-FilterChips">
      <span className="a4m-FilterChip">
        {origin.kind === 'schedule'
          ? trans.__('From schedule %1', origin.name)
          : trans.__('From trigger %1', origin.name)}
        <button
          className="a4m-LinkButton"
          aria-label={trans.__('Show every run again')}
          title={trans.__('Clear the filter')}
          onClick={() => runs.filterByOrigin(null)}
        >
          ✕
        </button>
      </span>
    </div>
  );
  if (all.length === 0) {
    return origin ? (
      <>
        {originChip}
        <p className="a4m-Panel-empty">
          {origin.kind === 'schedule'
            ? trans.__('The schedule has started no run yet.')
            : trans.__('The trigger has started no run yet.')}
        </p>
      </>
    ) : (
      <p className="a4m-Panel-empty">{trans.__('No runs yet. Run a notebook from the Pipeline panel.')}</p>
    );
  }
  // Numbered among every run, so that a run has the same name with and without the filter.
  const numbers = runNumbers(runs.runs);
  const experiments = [...new Set(all.map(run => run.experiment))].sort();
  // Runs are numbered within their experiment: with several experiments listed, the name says which.
  const name = (run: IRun) =>
    experiments.length > 1 && experiment === ''
      ? trans.__('%1 · run %2', run.experiment, numbers.get(run.id) ?? '?')
      : trans.__('run %1', numbers.get(run.id) ?? '?');
  const names = new Map(all.map(run => [run.id, name(run)]));
  const labels = new Map(all.map(run => [run.id, runLabel(names.get(run.id)!, run)]));
  const shown = visibleRuns(all, { experiment, filter, sort, descending, labels });
  // The sorted-by metric leads the cards' values.
  const metrics = metricNames(shown).sort((a, b) => Number(`metric:${b}` === sort) - Number(`metric:${a}` === sort));
  const parameters = varyingParameters(shown).slice(0, CARD_VALUES);
  const compared = all.filter(run => selected.includes(run.id));
  const detail = runs.runs.find(run => run.id === openRun) ?? all.find(run => run.id === openRun);
  const sortLabels: [SortKey, string][] = [
    ['created_at', trans.__('Time')],
    ['status', trans.__('Status')],
    ['duration', trans.__('Duration')],
    ...metrics.map((name): [SortKey, string] => [`metric:${name}`, name])
  ];
  const sortLabel = sortLabels.find(([key]) => key === sort)?.[1] ?? sort;
  const toggle = (run: IRun) =>
    setSelected(selected.includes(run.id) ? selected.filter(id => id !== run.id) : [...selected, run.id]);

  return (
    <div className="a4m-Experiments">
      {originChip}
      <div className="a4m-RunsToolbar">
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
          className="jp-mod-styled a4m-RunsFilter"
          type="search"
          aria-label={trans.__('Filter runs')}
          placeholder={trans.__('Filter: name, notebook, status, parameter…')}
          value={filter}
          onChange={e => setFilter(e.target.value)}
        />
        <div className="a4m-RunsSort">
          <select
            className="jp-mod-styled"
            aria-label={trans.__('Sort runs by')}
            value={sort}
            onChange={e => setSort(e.target.value as SortKey)}
          >
            {sortLabels.map(([key, label]) => (
              <option key={key} value={key}>
                {trans.__('Sort: %1', label)}
              </option>
            ))}
          </select>
          <button
            className="jp-mod-styled a4m-SortDirection"
            aria-label={descending ? trans.__('Descending; sort ascending') : trans.__('Ascending; sort descending')}
            title={descending ? trans.__('Descending; sort ascending') : trans.__('Ascending; sort descending')}
            onClick={() => setDescending(!descending)}
          >
            {descending ? '↓' : '↑'}
          </button>
        </div>
      </div>
      <ul
        className="a4m-RunList"
        aria-label={
          descending
            ? trans.__('Runs, sorted by %1, descending', sortLabel)
            : trans.__('Runs, sorted by %1, ascending', sortLabel)
        }
      >
        {shown.map(run => (
          <li
            key={run.id}
            className={openRun === run.id ? 'a4m-RunCard a4m-mod-selected' : 'a4m-RunCard'}
            data-run={run.id}
          >
            <input
              type="checkbox"
              className="a4m-RunCard-check"
              aria-label={trans.__('Compare %1', labels.get(run.id))}
              checked={selected.includes(run.id)}
              onChange={() => toggle(run)}
            />
            <button
              className="a4m-RunCard-name"
              title={trans.__('Open %1 (%2)', labels.get(run.id), run.id)}
              onClick={() => setOpenRun(run.id)}
            >
              {names.get(run.id)}
            </button>
            <span className="a4m-RunCard-status a4m-Status" data-status={run.status}>
              {run.status}
            </span>
            <span className="a4m-RunCard-time">
              <When iso={run.created_at} />
              {run.duration !== null && ` · ${formatDuration(run.duration)}`}
            </span>
            <dl className="a4m-RunCard-values">
              {metrics.slice(0, CARD_VALUES).map((name, i) => (
                <div key={name} className={i === 0 ? 'a4m-RunCard-metric' : 'a4m-RunCard-metric a4m-mod-wide'}>
                  <dt>{name}</dt>
                  <dd>{formatValue(runMetrics(run)[name])}</dd>
                </div>
              ))}
              {parameters.map((name, i) => (
                <div key={name} className={i < 2 ? 'a4m-RunCard-parameter' : 'a4m-RunCard-parameter a4m-mod-wide'}>
                  <dt>{name}</dt>
                  <dd>{formatValue(run.parameters?.[name])}</dd>
                </div>
              ))}
            </dl>
          </li>
        ))}
      </ul>
      {shown.length === 0 && <p className="a4m-Panel-empty">{trans.__('No run matches the filter.')}</p>}
      {runs.hasMore && (
        <button className="jp-mod-styled a4m-LoadMore" onClick={() => void runs.loadMore()}>
          {trans.__('Load older runs')}
        </button>
      )}
      {compared.length > 0 ? (
        <CompareView items={compared} names={names} rendermime={rendermime} trans={trans} />
      ) : (
        <p className="a4m-Panel-empty">{trans.__('Tick runs to compare their metrics and parameters.')}</p>
      )}
      {detail && (
        <RunDetail
          run={detail}
          runs={runs}
          trans={trans}
          onClose={() => setOpenRun(null)}
          showCell={showCell}
          models={models}
        />
      )}
    </div>
  );
}
