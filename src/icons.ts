/** The extension's icons. */
import { LabIcon } from '@jupyterlab/ui-components';

import pipelineSvg from '../style/icons/pipeline.svg';
import monitorSvg from '../style/icons/monitor.svg';
import stepSvg from '../style/icons/step.svg';
import deploySvg from '../style/icons/deploy.svg';

export const pipelineIcon = new LabIcon({ name: 'ai4mlops-lab:pipeline', svgstr: pipelineSvg });
export const monitorIcon = new LabIcon({ name: 'ai4mlops-lab:monitor', svgstr: monitorSvg });
export const stepIcon = new LabIcon({ name: 'ai4mlops-lab:step', svgstr: stepSvg });
export const deployIcon = new LabIcon({ name: 'ai4mlops-lab:deploy', svgstr: deploySvg });
