/** The Pipeline panel's note on the step image (issue 18). */
import { IPipelineInfo, IStepInfo } from '../api';
import { stepImageSummary } from '../pipeline/StepImageNote';
import { stepInfo } from './step-fixtures';

const IMAGE = 'registry.example.org/team/train:0123456789ab';

function pipeline(steps: IStepInfo[], recorded: boolean): IPipelineInfo {
  return {
    ok: true,
    pipeline: 'train',
    parameters: [],
    steps,
    edges: [],
    diagnostics: [],
    files: [],
    settings: {
      base_image: 'python:3.11',
      step_image: recorded ? { image: IMAGE, packages: ['kfp==2.17.3', 'numpy==2.4.6', 'torch==2.13.0'] } : null
    }
  };
}

describe('stepImageSummary', () => {
  it('counts the steps that run in the recorded image and those with their own', () => {
    const steps = [stepInfo('load', IMAGE), stepInfo('train', null), stepInfo('report', IMAGE)];
    expect(stepImageSummary(pipeline(steps, true))).toEqual({ image: IMAGE, steps: 2, others: 1, packages: 3 });
  });

  it('is null when the notebook records no step image', () => {
    expect(stepImageSummary(pipeline([stepInfo('load', null)], false))).toBeNull();
  });
});
