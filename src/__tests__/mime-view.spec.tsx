/** MimeView keeps the chart on screen until the next one is drawn, and drops a drawing superseded before it was
 * shown (a poll that brought new data while a chart was still drawing, e.g. on a theme change). */
import React from 'react';
import { act } from 'react';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { MimeView } from '../components/MimeView';
import { mount } from './mount';

jest.mock('@jupyterlab/rendermime', () => ({ MimeModel: class {} }));

/** A registry whose renderers finish drawing only when the test says so. */
function registry(): { rendermime: IRenderMimeRegistry; finish: (index: number) => Promise<void> } {
  const pending: Array<() => void> = [];
  const rendermime = {
    mimeTypes: ['application/x-test'],
    createRenderer: () => {
      const node = document.createElement('div');
      node.dataset.drawing = String(pending.length);
      return {
        node,
        renderModel: () => new Promise<void>(resolve => pending.push(resolve)),
        dispose: jest.fn()
      };
    }
  } as unknown as IRenderMimeRegistry;
  const finish = async (index: number) => act(async () => pending[index]());
  return { rendermime, finish };
}

function view(rendermime: IRenderMimeRegistry, data: number): JSX.Element {
  return (
    <MimeView
      rendermime={rendermime}
      mimeTypes={['application/x-test']}
      data={{ data }}
      label="a chart"
      className="a4m-Test"
      fallback="no renderer"
    />
  );
}

const drawings = (host: HTMLElement) =>
  Array.from(host.querySelectorAll<HTMLElement>('[data-drawing]')).map(node => [
    node.dataset.drawing,
    node.classList.contains('a4m-mod-rendering') ? 'drawing' : 'shown'
  ]);

it('shows a chart once drawn, keeps it while the next draws, and drops drawings superseded on the way', async () => {
  const { rendermime, finish } = registry();
  const { host, rerender, unmount } = mount(view(rendermime, 0));
  expect(drawings(host)).toEqual([['0', 'drawing']]);
  await finish(0);
  expect(drawings(host)).toEqual([['0', 'shown']]);

  rerender(view(rendermime, 1)); // a theme change: drawn again
  rerender(view(rendermime, 2)); // a poll with new data before that drawing was done
  expect(drawings(host)).toEqual([
    ['0', 'shown'],
    ['2', 'drawing']
  ]);
  await finish(1); // the superseded drawing finishing late changes nothing
  expect(drawings(host)).toEqual([
    ['0', 'shown'],
    ['2', 'drawing']
  ]);
  await finish(2);
  expect(drawings(host)).toEqual([['2', 'shown']]);
  unmount();
});
