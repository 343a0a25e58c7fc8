import { importEsm } from './load-esm';

// The few members of vega, vega-lite and resvg used here (their own typings are ESM-only or heavy).
interface VegaLiteModule {
  compile(spec: unknown): { spec: unknown };
}
interface VegaView {
  toSVG(): Promise<string>;
  finalize(): void;
}
interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => VegaView;
}

/** A rendered chart. */
export interface RenderedChart {
  /** The chart as SVG text. */
  svg: string;
  /** The chart as a PNG image. */
  png: Buffer;
}

let modules: Promise<[VegaLiteModule, VegaModule]> | undefined;

/** vega-lite and vega, loaded once per process (about 0.3 s the first time). */
function loadVega(): Promise<[VegaLiteModule, VegaModule]> {
  modules ??= Promise.all([importEsm<VegaLiteModule>('vega-lite'), importEsm<VegaModule>('vega')]);
  return modules;
}

/** Compiles a vega-lite spec to vega, renders it headless to SVG, and rasterises that to PNG (2× scale). */
export async function renderChart(spec: Record<string, unknown>): Promise<RenderedChart> {
  const [vl, vega] = await loadVega();
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const { Resvg } = await import('@resvg/resvg-js');
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
  return { svg, png };
}
