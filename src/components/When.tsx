/** A time as people say it ("3 minutes ago"), kept current while it is shown. */
import React, { useEffect, useState } from 'react';
import { Time } from '@jupyterlab/coreutils';

/** Render again every `ms` while shown, for what depends on the time (a relative time, a warning that a time is
 * too long ago). */
export function useTick(ms: number = WHEN_REFRESH_MS): void {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => tick(n => n + 1), ms);
    return () => window.clearInterval(timer);
  }, [ms]);
}

/** A relative time ("3 minutes ago") that advances while shown; the absolute time is its tooltip. */
export function When({ iso }: { iso: string }) {
  useTick();
  return (
    <time dateTime={iso} title={Time.format(iso)}>
      {Time.formatHuman(iso)}
    </time>
  );
}

const WHEN_REFRESH_MS = 10_000;
