/** Render a React element into the test document (inside `act`), and take it down again. */
import { act } from 'react';

const { createRoot } = jest.requireActual('react-dom/client');
(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

export function mount(element: JSX.Element): {
  host: HTMLElement;
  /** Render the same root again, e.g. with what a poll brought. */
  rerender: (element: JSX.Element) => void;
  unmount: () => void;
} {
  const host = document.createElement('div');
  document.body.appendChild(host);
  const root = createRoot(host);
  act(() => root.render(element));
  return { host, rerender: next => act(() => root.render(next)), unmount: () => act(() => root.unmount()) };
}
