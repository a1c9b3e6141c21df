import { IStepInfo } from '../api';

/** A step as `analyze` answers it: named, no cells, data or settings (`image`: its recorded step image). */
export function stepInfo(name: string, image: string | null = null): IStepInfo {
  return {
    name,
    cells: [],
    after: [],
    inputs: [],
    outputs: [],
    parameters: [],
    metrics: [],
    packages: [],
    settings: {},
    image
  };
}
