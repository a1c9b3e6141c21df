/** Render a React element into the test document (inside `act`), and take it down again. */
import { act } from 'react';

const { createRoot } = jest.requireActual('react-dom/client');
(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

export function mount(element: JSX.Element): { host: HTMLElement; unmount: () => void } {
  const host = document.createElement('div');
  document.body.appendChild(host);
  const root = createRoot(host);
  act(() => root.render(element));
  return { host, unmount: () => act(() => root.unmount()) };
}
