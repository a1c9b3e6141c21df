/** How data triggers read to a person: when one runs, how long a file settles, what became of a file. */
import { TranslationBundle } from '@jupyterlab/translation';

import { IDataTrigger, ISeenFile, IWaitingFile } from '../api';
import { durationWords } from '../schedules/words';

/** What describing a trigger needs. */
export type IWhenSpec = Pick<IDataTrigger, 'source' | 'pattern' | 'batch'>;

/** A source as a person reads it: a folder, "the Jupyter root" for '.', an s3:// prefix as it is. */
export function sourceWords(source: string, trans: TranslationBundle): string {
  return source === '.' || source === '' ? trans.__('the Jupyter root') : source;
}

/**
 * When a trigger runs its notebook: "When a file matching *.csv lands in data/incoming"; an object in an S3 prefix;
 * with batch, files that land together make one run.
 */
export function whenWords(spec: IWhenSpec, trans: TranslationBundle): string {
  const where = sourceWords(spec.source, trans);
  const s3 = spec.source.startsWith('s3://');
  if (spec.batch) {
    return s3
      ? trans.__('When objects matching %1 land in %2 (one run for each batch)', spec.pattern, where)
      : trans.__('When files matching %1 land in %2 (one run for each batch)', spec.pattern, where);
  }
  return s3
    ? trans.__('When an object matching %1 lands in %2', spec.pattern, where)
    : trans.__('When a file matching %1 lands in %2', spec.pattern, where);
}

/** How long a file must hold still before it runs: "once unchanged for 10 seconds", "at once". */
export function settleWords(seconds: number, trans: TranslationBundle): string {
  return seconds > 0 ? trans.__('once unchanged for %1', durationWords(seconds, trans)) : trans.__('at once');
}

/** What became of a handled content, with its reason: "run started", "not run: notebook missing". */
export function seenWords(seen: Pick<ISeenFile, 'state' | 'reason'>, trans: TranslationBundle): string {
  const state = {
    claimed: trans.__('starting'),
    started: trans.__('run started'),
    failed: trans.__('not run')
  }[seen.state];
  return seen.reason ? `${state}: ${seen.reason}` : state;
}

/** Why a file waits: still being written (settling) or ready for a run slot or the rest of its batch. */
export function waitingWords(file: Pick<IWaitingFile, 'state'>, batch: boolean, trans: TranslationBundle): string {
  if (file.state === 'settling') {
    return trans.__('settling');
  }
  return batch ? trans.__('ready, waiting for its batch') : trans.__('ready, waiting for a run slot');
}
