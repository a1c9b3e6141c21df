/**
 * Run the notebook on its own: "Schedule…" opens the schedule form, "Run on new data…" the data trigger form, both
 * prefilled from the notebook; once one is created, a line that links to it in the monitor.
 */
import React, { useState } from 'react';
import { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';

import { IPipelineInfo, IRun } from '../api';
import { newDraft } from '../schedules/form';
import { AutomationKind } from '../schedules/parts';
import { ScheduleForm } from '../schedules/ScheduleForm';
import { fireTimes, triggerWords } from '../schedules/words';
import { newTriggerDraft } from '../triggers/form';
import { TriggerForm } from '../triggers/TriggerForm';
import { whenWords } from '../triggers/words';
import { ISchedulesModel, ITriggersModel } from '../tokens';

export interface IScheduleSectionProps {
  panel: NotebookPanel;
  pipeline: IPipelineInfo;
  /** The notebook's latest run, whose experiment a schedule or trigger starts with. */
  run: IRun | null;
  schedules: ISchedulesModel;
  triggers: ITriggersModel;
  /** Show a schedule or a trigger in the monitor. */
  showAutomation: (kind: AutomationKind, name: string) => void;
  /** The file browser's folder, which a new trigger watches unless changed. */
  currentFolder: () => string;
  trans: TranslationBundle;
}

export function ScheduleSection(props: IScheduleSectionProps) {
  const { panel, pipeline, run, schedules, triggers, showAutomation, currentFolder, trans } = props;
  const [open, setOpen] = useState<AutomationKind | null>(null);
  const [created, setCreated] = useState<{ kind: AutomationKind; name: string; words: string } | null>(null);
  const path = panel.context.path;
  const defaults = Object.fromEntries(pipeline.parameters.map(p => [p.name, p.default]));
  const experiment = run?.experiment ?? '';
  /** Save the notebook (each run compiles it as saved), then send. */
  const saved =
    <A, R>(send: (fields: A) => Promise<R>) =>
    async (fields: A) => {
      await panel.context.save();
      return send(fields);
    };
  const done = (kind: AutomationKind, name: string, words: string) => {
    setCreated({ kind, name, words });
    setOpen(null);
  };
  const opener = (kind: AutomationKind) => () => {
    setCreated(null);
    setOpen(kind);
  };
  const blocked = !pipeline.ok && trans.__('Fix the errors above first.');
  return (
    <section className="a4m-Section" aria-label={trans.__('Schedule')}>
      {open === 'schedule' && (
        <>
          <h3 className="a4m-Section-title">{trans.__('Schedule')}</h3>
          <ScheduleForm
            key={path}
            initial={newDraft(path, defaults, experiment)}
            save={saved(fields => schedules.create(fields))}
            onSaved={schedule =>
              done(
                'schedule',
                schedule.name,
                [
                  triggerWords(schedule, trans),
                  schedule.next_times.length > 0 &&
                    trans.__('next run %1', fireTimes(schedule.next_times.slice(0, 1), schedule.time_zone)[0])
                ]
                  .filter(Boolean)
                  .join(', ')
              )
            }
            onCancel={() => setOpen(null)}
            trans={trans}
          />
        </>
      )}
      {open === 'trigger' && (
        <>
          <h3 className="a4m-Section-title">{trans.__('Run on new data')}</h3>
          <TriggerForm
            key={path}
            initial={newTriggerDraft(path, defaults, currentFolder(), experiment)}
            save={saved(fields => triggers.create(fields))}
            onSaved={trigger => done('trigger', trigger.name, whenWords(trigger, trans))}
            onCancel={() => setOpen(null)}
            trans={trans}
          />
        </>
      )}
      {open === null && (
        <div className="a4m-Buttons">
          <button
            className="jp-mod-styled a4m-ScheduleButton"
            disabled={!pipeline.ok}
            title={blocked || trans.__('Run this notebook on a timetable (cron) or every so often')}
            onClick={opener('schedule')}
          >
            {trans.__('Schedule…')}
          </button>
          <button
            className="jp-mod-styled a4m-TriggerButton"
            disabled={!pipeline.ok}
            title={blocked || trans.__('Run this notebook on each new file that lands in a folder or an S3 prefix')}
            onClick={opener('trigger')}
          >
            {trans.__('Run on new data…')}
          </button>
        </div>
      )}
      {created && open === null && (
        <p className="a4m-ScheduleCreated" role="status">
          {created.kind === 'schedule'
            ? trans.__('Schedule “%1” created: %2.', created.name, created.words)
            : trans.__('Trigger “%1” created: %2.', created.name, created.words)}{' '}
          <button className="a4m-LinkButton a4m-RunLink" onClick={() => showAutomation(created.kind, created.name)}>
            {trans.__('Show in the monitor')}
          </button>
        </p>
      )}
    </section>
  );
}
