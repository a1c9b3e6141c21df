/**
 * A data trigger in the Schedules list: its row (when it runs in words, its switch, its last handled file and that
 * file's run, why its source cannot be listed) and its detail (source, pattern, parameter, settle time, batch mode,
 * the files it handled with their runs, the files waiting; Runs, Edit, Delete).
 */
import React from 'react';

import { IDataTrigger, ISeenFile } from '../api';
import { When } from '../components/When';
import { AutomationDetail, AutomationRow, IAutomationLinks, RunButton } from '../schedules/parts';
import { ITriggersModel } from '../tokens';
import { triggerDraftOf } from './form';
import { TriggerForm } from './TriggerForm';
import { seenWords, settleWords, sourceWords, waitingWords, whenWords } from './words';

/** What became of a handled file, as a status pill with its reason. */
function SeenState({ seen, links }: { seen: ISeenFile; links: IAutomationLinks }) {
  return (
    <span className="a4m-Status" data-status={seen.state} title={seen.reason ?? ''}>
      {seenWords(seen, links.trans)}
    </span>
  );
}

/** A handled file: its path, when, what became of it, its run. */
function SeenLine({ seen, links }: { seen: ISeenFile; links: IAutomationLinks }) {
  return (
    <>
      <code className="a4m-SeenPath" title={seen.content_hash}>
        {seen.path}
      </code>{' '}
      <When iso={seen.seen_at} /> <SeenState seen={seen} links={links} />{' '}
      {seen.run_id && <RunButton id={seen.run_id} links={links} />}
    </>
  );
}

/** Why the source cannot be listed, as a warning. */
function SourceWarning({ trigger, links }: { trigger: IDataTrigger; links: IAutomationLinks }) {
  return trigger.last_error ? (
    <p className="a4m-Message a4m-mod-warning" role="status">
      {links.trans.__('Cannot list the source: %1', trigger.last_error)}
    </p>
  ) : null;
}

export function TriggerRow({
  trigger,
  selected,
  select,
  setEnabled,
  links
}: {
  trigger: IDataTrigger;
  selected: boolean;
  /** Show this trigger's detail (null: none). */
  select: (name: string | null) => void;
  setEnabled: (enabled: boolean) => Promise<unknown>;
  links: IAutomationLinks;
}) {
  const { trans } = links;
  const last = trigger.last_seen;
  return (
    <AutomationRow
      kind="trigger"
      item={trigger}
      nameTitle={trans.__('Show data trigger %1', trigger.name)}
      selected={selected}
      select={select}
      setEnabled={setEnabled}
      trans={trans}
    >
      <span className="a4m-Automation-trigger" title={`${trigger.source} ${trigger.pattern}`}>
        {whenWords(trigger, trans)}
      </span>
      <span className="a4m-Automation-when a4m-Automation-last">
        {trans.__('Last file:')} {last ? <SeenLine seen={last} links={links} /> : trans.__('none yet')}
      </span>
      <SourceWarning trigger={trigger} links={links} />
    </AutomationRow>
  );
}

export function TriggerDetail({
  trigger,
  triggers,
  links
}: {
  trigger: IDataTrigger;
  triggers: ITriggersModel;
  links: IAutomationLinks;
}) {
  const { trans } = links;
  const files = triggers.files;
  return (
    <AutomationDetail
      kind="trigger"
      item={trigger}
      label={trans.__('Data trigger %1', trigger.name)}
      links={links}
      close={() => triggers.select(null)}
      remove={() => triggers.remove(trigger.name)}
      form={done => (
        <TriggerForm
          initial={triggerDraftOf(trigger)}
          editing
          save={change => triggers.update(trigger.name, change)}
          onSaved={done}
          onCancel={done}
          trans={trans}
        />
      )}
      notice={<SourceWarning trigger={trigger} links={links} />}
      fields={
        <>
          <dt>{trans.__('Source')}</dt>
          <dd>{sourceWords(trigger.source, trans)}</dd>
          <dt>{trans.__('Pattern')}</dt>
          <dd>{trigger.pattern}</dd>
          <dt>{trans.__('File goes to')}</dt>
          <dd>{trigger.parameter}</dd>
          <dt>{trans.__('Starts')}</dt>
          <dd>
            {trigger.batch ? trans.__('one run for each batch of files') : trans.__('one run for each file')},{' '}
            {settleWords(trigger.settle_seconds, trans)}
          </dd>
          <dt>{trans.__('Polls every')}</dt>
          <dd>{trans._n('%1 second', '%1 seconds', trigger.poll_seconds)}</dd>
        </>
      }
      tail={
        <>
          <dt>{trans.__('Runs at once')}</dt>
          <dd>
            {trigger.max_concurrent}
            {trigger.include_existing ? `, ${trans.__('files already there included')}` : ''}
          </dd>
        </>
      }
    >
      <h4 className="a4m-SectionTitle">{trans.__('Files waiting')}</h4>
      {files && files.waiting.length > 0 ? (
        <ul className="a4m-Fires" aria-label={trans.__('Files waiting for %1', trigger.name)}>
          {files.waiting.map(file => (
            <li key={file.path} data-state={file.state}>
              <code className="a4m-SeenPath">{file.path}</code>{' '}
              <span className="a4m-Status" data-status={file.state}>
                {waitingWords(file, trigger.batch, trans)}
              </span>{' '}
              <When iso={file.since} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="a4m-Panel-empty">{files ? trans.__('None.') : trans.__('Loading…')}</p>
      )}
      <h4 className="a4m-SectionTitle">{trans.__('Files handled')}</h4>
      {files && files.seen.length > 0 ? (
        <ul className="a4m-Fires" aria-label={trans.__('Files handled by %1', trigger.name)}>
          {files.seen.slice(0, 20).map(seen => (
            <li key={seen.content_hash} data-state={seen.state}>
              <SeenLine seen={seen} links={links} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="a4m-Panel-empty">
          {files
            ? trans.__('No file yet: new files matching %1 will show here.', trigger.pattern)
            : trans.__('Loading…')}
        </p>
      )}
    </AutomationDetail>
  );
}
