/** Where cluster steps get their packages: the notebook's step image (`ai4mlops image`), or pip at each start. */
import React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IPipelineInfo } from '../api';

/** The recorded step image, how many steps run in it, and how many packages it holds; null when none is recorded. */
export function stepImageSummary(
  pipeline: IPipelineInfo
): { image: string; steps: number; others: number; packages: number } | null {
  const recorded = pipeline.settings.step_image;
  if (!recorded) {
    return null;
  }
  const steps = pipeline.steps.filter(step => step.image === recorded.image).length;
  return { image: recorded.image, steps, others: pipeline.steps.length - steps, packages: recorded.packages.length };
}

export function StepImageNote({
  pipeline,
  trans
}: {
  pipeline: IPipelineInfo;
  trans: TranslationBundle;
}): JSX.Element | null {
  if (pipeline.steps.length === 0) {
    return null;
  }
  const summary = stepImageSummary(pipeline);
  if (!summary) {
    return (
      <p className="a4m-StepImage">
        {trans.__(
          'On a cluster, each step installs its packages when it starts; `ai4mlops image NOTEBOOK` builds an image with them.'
        )}
      </p>
    );
  }
  return (
    <p className="a4m-StepImage" title={trans.__('Recorded by `ai4mlops image` in the notebook metadata')}>
      {trans.__('Step image')} <code>{summary.image}</code>{' '}
      {trans._n('(%1 package)', '(%1 packages)', summary.packages)}
      {': '}
      {trans._n('%1 step runs in it', '%1 steps run in it', summary.steps)}
      {summary.others > 0 && trans._n(', %1 step uses its own image', ', %1 steps use their own image', summary.others)}
    </p>
  );
}
