/** Theme colours as the browser computes them, for drawings the page's CSS variables do not reach. */

/** The computed value (`rgb(...)` or `rgba(...)`) of a CSS colour variable such as `--jp-ui-font-color1`. */
export function computedColour(name: string): string {
  const probe = document.createElement('span');
  probe.style.display = 'none';
  probe.style.color = `var(${name})`;
  document.body.appendChild(probe);
  const value = window.getComputedStyle(probe).color;
  probe.remove();
  return value;
}
