/**
 * Small inline SVG charts drawn by hand: a line chart for rates over the last minutes and a
 * horizontal bar chart for current values. Each is an <svg role="img"> with a text summary in
 * aria-label and <title>, so a screen reader gets the numbers the picture shows.
 */
const NS = 'http://www.w3.org/2000/svg';
export const PALETTE = ['#1f5fbf', '#b3261e', '#2e7d32', '#8a4fb8', '#a15c00', '#00796b', '#5b5b5b'];

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function nice(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export interface Series {
  readonly name: string;
  readonly points: readonly number[];
}

export function lineChart(series: readonly Series[], opts: { label: string; unit: string; width?: number; height?: number; slots: number }): SVGSVGElement {
  const W = opts.width ?? 520;
  const H = opts.height ?? 190;
  const L = 44;
  const R = 10;
  const T = 10;
  const B = 24;
  const max = nice(Math.max(0, ...series.flatMap((s) => s.points)));
  const latest = series.map((s) => `${s.name} ${round(s.points[s.points.length - 1] ?? 0)}`).join(', ');
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${opts.label}: ${latest || 'no data yet'} ${opts.unit}`, class: 'chart' });
  root.appendChild(svg('title', {}, `${opts.label} (${opts.unit})`));
  for (let i = 0; i <= 4; i++) {
    const y = T + ((H - T - B) * i) / 4;
    root.appendChild(svg('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'grid' }));
    root.appendChild(svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, String(round(max - (max * i) / 4))));
  }
  root.appendChild(svg('text', { x: L, y: H - 6, class: 'axis' }, `${opts.slots} samples ago`));
  root.appendChild(svg('text', { x: W - R, y: H - 6, 'text-anchor': 'end', class: 'axis' }, 'now'));
  const dx = (W - L - R) / Math.max(1, opts.slots - 1);
  series.forEach((s, si) => {
    const off = opts.slots - s.points.length;
    const pts = s.points.map((v, i) => `${(L + (off + i) * dx).toFixed(1)},${(T + (H - T - B) * (1 - v / max)).toFixed(1)}`).join(' ');
    if (s.points.length > 0) root.appendChild(svg('polyline', { points: pts, fill: 'none', stroke: PALETTE[si % PALETTE.length]!, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
  });
  return root;
}

export function barChart(entries: readonly (readonly [string, number])[], opts: { label: string; unit: string; width?: number; empty: string }): SVGSVGElement {
  const W = opts.width ?? 520;
  const rowH = 24;
  const labelW = 190;
  const H = Math.max(1, entries.length) * rowH + 8;
  const summary = entries.map(([k, v]) => `${k} ${round(v)}`).join(', ');
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${opts.label}: ${summary || opts.empty}`, class: 'chart' });
  root.appendChild(svg('title', {}, `${opts.label} (${opts.unit})`));
  if (entries.length === 0) {
    root.appendChild(svg('text', { x: 4, y: 20, class: 'axis' }, opts.empty));
    return root;
  }
  const max = nice(Math.max(...entries.map(([, v]) => v)));
  entries.forEach(([k, v], i) => {
    const y = 4 + i * rowH;
    const w = ((W - labelW - 60) * v) / max;
    root.appendChild(svg('text', { x: labelW - 8, y: y + 16, 'text-anchor': 'end', class: 'label' }, k.length > 28 ? `${k.slice(0, 27)}…` : k));
    root.appendChild(svg('rect', { x: labelW, y: y + 3, width: Math.max(v > 0 ? 2 : 0, w), height: rowH - 8, fill: PALETTE[i % PALETTE.length]!, rx: 2 }));
    root.appendChild(svg('text', { x: labelW + w + 6, y: y + 16, class: 'value' }, String(round(v))));
  });
  return root;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
