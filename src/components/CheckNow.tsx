/** *Check now*: asks the server to read a watched deployment's newest data, disabled while it does. */
import React, { useState } from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IProgressMessages, withProgress } from './progress';

export function CheckNow<T>({
  check,
  messages,
  title,
  disabled = false,
  trans
}: {
  check: () => Promise<T>;
  messages: IProgressMessages<T>;
  /** What the check does, in words (the button's tooltip). */
  title: string;
  disabled?: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const [checking, setChecking] = useState(false);
  const run = async () => {
    setChecking(true);
    await withProgress(check(), messages);
    setChecking(false);
  };
  return (
    <div className="a4m-Buttons">
      <button className="jp-mod-styled" disabled={checking || disabled} title={title} onClick={() => void run()}>
        {trans.__('Check now')}
      </button>
    </div>
  );
}
