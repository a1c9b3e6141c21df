/**
 * Theme colours for what we draw (Vega-Lite charts, the Mermaid DAG): read from the JupyterLab theme's CSS
 * variables when drawn, so light and dark themes both work; anything the theme does not set is left to the
 * renderer's defaults.
 */

type Spec = Record<string, unknown>;

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

/** Colours and Vega-Lite `config` taken from the theme. */
export interface IChartTheme {
  config: Spec;
  colors: {
    drift?: string;
    ok?: string;
    threshold?: string;
    alert?: string;
    reference?: string;
    current?: string;
    /** An estimate (a line with its band) beside measured values. */
    estimate?: string;
    text?: string;
  };
}

/** Drop the entries the theme left unset, so Vega-Lite's defaults apply to them. */
export function defined<T extends Record<string, unknown>>(entries: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(entries).filter(([, value]) => value !== undefined && value !== '')
  ) as Partial<T>;
}

/**
 * The chart theme from CSS variables.
 *
 * @param css reads a CSS custom property ('' when unset)
 */
export function chartTheme(css: (name: string) => string): IChartTheme {
  const v = (name: string) => css(name).trim() || undefined;
  const font1 = v('--jp-ui-font-color1');
  const font2 = v('--jp-ui-font-color2');
  const border = v('--jp-border-color2');
  const font = v('--jp-ui-font-family');
  const axis = defined({
    domainColor: border,
    tickColor: border,
    gridColor: border,
    labelColor: font2,
    titleColor: font1
  });
  const legend = defined({ labelColor: font2, titleColor: font1 });
  return {
    config: defined({
      background: 'transparent',
      font,
      axis,
      legend,
      view: defined({ stroke: border }),
      title: defined({ color: font1 })
    }),
    colors: defined({
      drift: v('--jp-error-color1'),
      ok: v('--jp-brand-color1'),
      threshold: v('--jp-warn-color1'),
      alert: v('--jp-error-color0'),
      reference: v('--jp-brand-color1'),
      current: v('--jp-warn-color1'),
      estimate: v('--jp-accent-color1'),
      text: font1
    })
  };
}

/** The chart theme of the page as it is now. */
export function documentTheme(): IChartTheme {
  const style = window.getComputedStyle(document.body);
  return chartTheme(name => style.getPropertyValue(name));
}
