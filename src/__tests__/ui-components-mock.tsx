/**
 * A stand-in for `@jupyterlab/ui-components` (an ES module jest does not load): its icons render an <svg>
 * named after them. Use with `jest.mock('@jupyterlab/ui-components', () => jest.requireActual('./ui-components-mock'))`.
 */
import React from 'react';

function icon(name: string) {
  return { name, react: () => <svg data-icon={name} /> };
}

export const copyIcon = icon('copy');
export const checkIcon = icon('check');
export const historyIcon = icon('history');
export const fileUploadIcon = icon('fileUpload');
