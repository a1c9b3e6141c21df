/**
 * What the rows and details of the Schedules list share, whatever the kind of automation (a schedule, a data
 * trigger): its kind icon, its on/off switch, links to its runs.
 */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';
import { fileUploadIcon, historyIcon, LabIcon } from '@jupyterlab/ui-components';

import { errorMessage } from '../errors';
import { IRunOrigin } from '../tokens';

/** The kinds of automation the list shows. */
export type AutomationKind = IRunOrigin['kind'];

const KIND_ICONS: Record<AutomationKind, LabIcon> = { schedule: historyIcon, trigger: fileUploadIcon };

/** Where a row or a detail links to. */
export interface IAutomationLinks {
  trans: TranslationBundle;
  /** List the runs a schedule or a trigger started in Experiments. */
  showRuns: (origin: IRunOrigin) => void;
  /** Open a run's detail in Experiments. */
  showRun: (id: string) => void;
  /** A run's name, as Experiments shows it ("run 3"). */
  runName: (id: string) => string;
  /** Open a notebook. */
  openNotebook?: (path: string) => void;
}

/** The kind's icon, named for assistive technology. */
export function KindBadge({ kind, trans }: { kind: AutomationKind; trans: TranslationBundle }) {
  const name = { schedule: trans.__('Schedule'), trigger: trans.__('Data trigger') }[kind];
  const Icon = KIND_ICONS[kind].react;
  return (
    <span className="a4m-Kind" data-kind={kind} title={name}>
      <Icon tag="span" elementSize="small" aria-hidden="true" />
      <span className="a4m-VisuallyHidden">{name}</span>
    </span>
  );
}

export function RunButton({ id, links }: { id: string; links: IAutomationLinks }) {
  return (
    <button
      className="a4m-LinkButton a4m-RunLink"
      title={links.trans.__('Show run %1', id)}
      onClick={() => links.showRun(id)}
    >
      {links.runName(id)}
    </button>
  );
}

/** An action's busy flag and its failure, for a control that runs it. */
export function useAction() {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError('');
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run };
}

/** An automation's on/off switch. */
export function EnableSwitch({
  name,
  enabled,
  busy,
  onToggle,
  trans
}: {
  name: string;
  enabled: boolean;
  busy: boolean;
  onToggle: () => void;
  trans: TranslationBundle;
}) {
  return (
    <label className="a4m-Switch" title={enabled ? trans.__('Enabled') : trans.__('Disabled')}>
      <input
        type="checkbox"
        role="switch"
        aria-label={trans.__('Enable %1', name)}
        checked={enabled}
        disabled={busy}
        onChange={onToggle}
      />
      <span aria-hidden="true">{enabled ? trans.__('on') : trans.__('off')}</span>
    </label>
  );
}

/** The row's name, which shows or hides its detail. */
export function NameButton({
  name,
  title,
  selected,
  onClick
}: {
  name: string;
  title: string;
  selected: boolean;
  onClick: () => void;
}) {
  return (
    <button className="a4m-Automation-name" aria-expanded={selected} title={title} onClick={onClick}>
      {name}
    </button>
  );
}

/** A failure as an alert. */
export function ErrorLine({ error }: { error: string }) {
  return error ? (
    <p className="a4m-Message a4m-mod-error" role="alert">
      {error}
    </p>
  ) : null;
}

/**
 * A row of the list: the kind's icon, the name (showing or hiding the detail), the on/off switch and the notebook,
 * then what the kind shows (`children`), then the switch's failure.
 */
export function AutomationRow({
  kind,
  item,
  nameTitle,
  selected,
  select,
  setEnabled,
  trans,
  children
}: {
  kind: AutomationKind;
  item: { name: string; notebook_path: string; enabled: boolean };
  nameTitle: string;
  selected: boolean;
  /** Show this item's detail (null: none). */
  select: (name: string | null) => void;
  setEnabled: (enabled: boolean) => Promise<unknown>;
  trans: TranslationBundle;
  children: React.ReactNode;
}) {
  const { error, busy, run } = useAction();
  return (
    <li
      className={selected ? 'a4m-Automation a4m-mod-selected' : 'a4m-Automation'}
      data-kind={kind}
      data-name={item.name}
      data-enabled={item.enabled}
    >
      <KindBadge kind={kind} trans={trans} />
      <NameButton
        name={item.name}
        title={nameTitle}
        selected={selected}
        onClick={() => select(selected ? null : item.name)}
      />
      <EnableSwitch
        name={item.name}
        enabled={item.enabled}
        busy={busy}
        onToggle={() => void run(() => setEnabled(!item.enabled))}
        trans={trans}
      />
      <span className="a4m-Automation-notebook" title={item.notebook_path}>
        {item.notebook_path}
      </span>
      {children}
      <ErrorLine error={error} />
    </li>
  );
}

/** The notebook an automation runs, as a link that opens it when the host can. */
function NotebookLink({ path, links }: { path: string; links: IAutomationLinks }) {
  return links.openNotebook ? (
    <button className="a4m-LinkButton a4m-RunLink" onClick={() => links.openNotebook!(path)}>
      {path}
    </button>
  ) : (
    <>{path}</>
  );
}

/**
 * The detail of an automation: its name and Close; then either its edit form or its settings (the notebook,
 * `fields`, the experiment, the parameters, `tail`), what the kind shows (`children`), and Runs, Edit, Delete.
 */
export function AutomationDetail({
  kind,
  item,
  label,
  links,
  close,
  remove,
  form,
  notice,
  fields,
  tail,
  children
}: {
  kind: AutomationKind;
  item: { name: string; notebook_path: string; experiment?: string | null; parameters: Record<string, unknown> };
  /** The section's accessible name. */
  label: string;
  links: IAutomationLinks;
  close: () => void;
  remove: () => Promise<unknown>;
  /** The edit form; `done` ends editing. */
  form: (done: () => void) => React.ReactNode;
  /** Shown above the settings. */
  notice?: React.ReactNode;
  /** Settings rows (dt, dd) after the notebook. */
  fields: React.ReactNode;
  /** Settings rows after the parameters. */
  tail: React.ReactNode;
  children: React.ReactNode;
}) {
  const { trans, showRuns } = links;
  const [editing, setEditing] = useState(false);
  const { error, run } = useAction();
  const parameters = Object.entries(item.parameters);
  return (
    <section className="a4m-ScheduleDetail" aria-label={label}>
      <div className="a4m-RunDetail-header">
        <strong>{item.name}</strong>
        <button className="jp-mod-styled" onClick={close}>
          {trans.__('Close')}
        </button>
      </div>
      {editing ? (
        form(() => setEditing(false))
      ) : (
        <>
          {notice}
          <dl className="a4m-Parameters">
            <dt>{trans.__('Notebook')}</dt>
            <dd>
              <NotebookLink path={item.notebook_path} links={links} />
            </dd>
            {fields}
            <dt>{trans.__('Experiment')}</dt>
            <dd>{item.experiment ?? trans.__("the notebook's")}</dd>
            {parameters.length > 0 && (
              <>
                <dt>{trans.__('Parameters')}</dt>
                <dd>{parameters.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(', ')}</dd>
              </>
            )}
            {tail}
          </dl>
          {children}
          <div className="a4m-Buttons">
            <button className="jp-mod-styled" onClick={() => showRuns({ kind, name: item.name })}>
              {trans.__('Runs')}
            </button>
            <button className="jp-mod-styled" onClick={() => setEditing(true)}>
              {trans.__('Edit')}
            </button>
            <button className="jp-mod-styled jp-mod-warn" onClick={() => void run(remove)}>
              {trans.__('Delete')}
            </button>
          </div>
          <ErrorLine error={error} />
        </>
      )}
    </section>
  );
}
