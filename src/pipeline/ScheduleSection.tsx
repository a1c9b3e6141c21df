/** Schedule the notebook: "Schedule…" opens the schedule form prefilled from the notebook; once created, a link. */
import React, { useState } from 'react';
import { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';

import { IPipelineInfo, IRun, IScheduleDetail } from '../api';
import { newDraft } from '../schedules/form';
import { ScheduleForm } from '../schedules/ScheduleForm';
import { fireTimes, triggerWords } from '../schedules/words';
import { ISchedulesModel } from '../tokens';

export interface IScheduleSectionProps {
  panel: NotebookPanel;
  pipeline: IPipelineInfo;
  /** The notebook's latest run, whose experiment a schedule starts with. */
  run: IRun | null;
  schedules: ISchedulesModel;
  /** Show a schedule in the monitor. */
  showSchedule: (name: string) => void;
  trans: TranslationBundle;
}

export function ScheduleSection({ panel, pipeline, run, schedules, showSchedule, trans }: IScheduleSectionProps) {
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<IScheduleDetail | null>(null);
  const path = panel.context.path;
  const defaults = Object.fromEntries(pipeline.parameters.map(p => [p.name, p.default]));
  const save = async (fields: Parameters<ISchedulesModel['create']>[0]) => {
    await panel.context.save(); // each run compiles the notebook as saved
    return schedules.create(fields);
  };
  return (
    <section className="a4m-Section" aria-label={trans.__('Schedule')}>
      {open ? (
        <>
          <h3 className="a4m-Section-title">{trans.__('Schedule')}</h3>
          <ScheduleForm
            key={path}
            initial={newDraft(path, defaults, run?.experiment ?? '')}
            save={save}
            onSaved={schedule => (setCreated(schedule), setOpen(false))}
            onCancel={() => setOpen(false)}
            trans={trans}
          />
        </>
      ) : (
        <div className="a4m-Buttons">
          <button
            className="jp-mod-styled a4m-ScheduleButton"
            disabled={!pipeline.ok}
            title={
              pipeline.ok
                ? trans.__('Run this notebook on a timetable (cron) or every so often')
                : trans.__('Fix the errors above first.')
            }
            onClick={() => (setCreated(null), setOpen(true))}
          >
            {trans.__('Schedule…')}
          </button>
        </div>
      )}
      {created && !open && (
        <p className="a4m-ScheduleCreated" role="status">
          {trans.__('Schedule “%1” created: %2.', created.name, triggerWords(created, trans))}{' '}
          {created.next_times.length > 0 &&
            trans.__('Next run %1.', fireTimes(created.next_times.slice(0, 1), created.time_zone)[0])}{' '}
          <button className="a4m-LinkButton a4m-RunLink" onClick={() => showSchedule(created.name)}>
            {trans.__('Show in the monitor')}
          </button>
        </p>
      )}
    </section>
  );
}
