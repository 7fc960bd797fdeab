/**
 * The three charts of report.html as inline SVG strings: verdict counts, the
 * score histogram and throughput over time. Hand-made so the report needs no
 * script, font or CDN; every label goes through the escaping template.
 */
import { linear, linearScale, logScale, niceTicks, tickLabel } from './chart-scale.js';
import { html, trusted, type SafeHtml } from './html-template.js';

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
}

export interface Series {
  readonly name: string;
  readonly color: string;
  /** SVG stroke-dasharray; lets more series than colours stay apart. */
  readonly dash?: string;
  readonly values: readonly number[];
}

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

const TEXT = trusted('font-size="12" fill="#333"');
const LEGEND_ITEM_WIDTH = 150;
const LOG_SCALE_RATIO = 50;

export function barChart(title: string, bars: readonly Bar[]): SafeHtml {
  const f = frame(480, 300, 34);
  const scale = linearScale(Math.max(0, ...bars.map((b) => b.value)), f.bottom, f.top);
  const y = scale.toY;
  const slot = (f.right - f.left) / Math.max(1, bars.length);
  const body = bars.map((b, i) => {
    const x = f.left + slot * i + slot * 0.2;
    const w = slot * 0.6;
    const cx = x + w / 2;
    return html`<rect x="${x}" y="${y(b.value)}" width="${w}" height="${f.bottom - y(b.value)}" fill="${b.color}"><title>${b.label}: ${b.value}</title></rect>
<text x="${cx}" y="${y(b.value) - 5}" text-anchor="middle" ${TEXT}>${b.value.toLocaleString('en-US')}</text>
<text x="${cx}" y="${f.bottom + 18}" text-anchor="middle" ${TEXT}>${b.label}</text>`;
  });
  return svg(f, title, [yAxis(f, scale.ticks, y), body]);
}

/**
 * Equal-width bins over [0, 1], the series side by side in each bin. The y
 * axis turns logarithmic when the bins differ by more than LOG_SCALE_RATIO, so
 * the few messages between the two peaks (the interesting ones) stay visible.
 */
export interface Marker {
  /** Where on the x axis, in [0, 1]. */
  readonly at: number;
  readonly label: string;
}

export function histogramChart(title: string, series: readonly Series[], markers: readonly Marker[] = []): SafeHtml {
  const bins = series[0]?.values.length ?? 0;
  const f = frame(560, 300, 52);
  const all = series.flatMap((s) => s.values);
  const max = Math.max(0, ...all);
  const smallest = Math.min(Infinity, ...all.filter((v) => v > 0));
  const scale = max / smallest > LOG_SCALE_RATIO ? logScale(max, f.bottom, f.top) : linearScale(max, f.bottom, f.top);
  const y = scale.toY;
  const x = linear(1, f.left, f.right);
  const binWidth = (f.right - f.left) / Math.max(1, bins);
  const barWidth = (binWidth - 2) / Math.max(1, series.length);
  const rects: SafeHtml[] = [];
  for (let i = 0; i < bins; i++) {
    const range = `${(i / bins).toFixed(2)}–${((i + 1) / bins).toFixed(2)}`;
    series.forEach((s, k) => {
      const v = s.values[i] ?? 0;
      if (v === 0) return;
      rects.push(html`<rect x="${f.left + binWidth * i + 1 + barWidth * k}" y="${y(v)}" width="${barWidth}" height="${f.bottom - y(v)}" fill="${s.color}"><title>${s.name}, score ${range}: ${v}</title></rect>`);
    });
  }
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((t) =>
    html`<line x1="${x(t)}" x2="${x(t)}" y1="${f.bottom}" y2="${f.bottom + 4}" stroke="#666"/><text x="${x(t)}" y="${f.bottom + 17}" text-anchor="middle" ${TEXT}>${t}</text>`);
  const axisTitles = html`<text x="${(f.left + f.right) / 2}" y="${f.bottom + 32}" text-anchor="middle" ${TEXT}>spam score</text>
<text transform="translate(14 ${(f.top + f.bottom) / 2}) rotate(-90)" text-anchor="middle" ${TEXT}>${scale.logarithmic ? 'messages (log scale)' : 'messages'}</text>`;
  const lines = markers.map((m, i) =>
    html`<line class="cutoff" x1="${x(m.at)}" x2="${x(m.at)}" y1="${f.top}" y2="${f.bottom}" stroke="#222" stroke-width="1.5" stroke-dasharray="5 3"><title>${m.label}</title></line><text x="${x(m.at) - 4}" y="${f.top + 12 + 14 * i}" text-anchor="end" ${TEXT}>${m.label}</text>`);
  return svg(f, title, [yAxis(f, scale.ticks, y), rects, lines, xTicks, axisTitles, legend(f, series)]);
}

/** One line per series; value i is plotted at the middle of bucket i. */
export function lineChart(title: string, series: readonly Series[], bucketSeconds: number, yTitle: string): SafeHtml {
  const buckets = Math.max(0, ...series.map((s) => s.values.length));
  const legendRows = Math.ceil(series.length / legendItemsPerRow(frame(1100, 0, 0)));
  const f = frame(1100, 320 + 18 * legendRows, 52 + 18 * legendRows);
  if (buckets === 0) {
    return svg(f, title, html`<text x="${f.width / 2}" y="${f.height / 2}" text-anchor="middle" ${TEXT}>no batch committed yet</text>`);
  }
  const scale = linearScale(Math.max(0, ...series.flatMap((s) => s.values)), f.bottom, f.top);
  const y = scale.toY;
  const span = buckets * bucketSeconds;
  const xTicks = niceTicks(span, 8).filter((t) => t <= span);
  const x = linear(span, f.left, f.right);
  const lines = series.map((s) => {
    const points = s.values.map((v, i) => `${x((i + 0.5) * bucketSeconds)},${y(v)}`);
    const dots = buckets <= 60 ? s.values.map((v, i) => html`<circle cx="${x((i + 0.5) * bucketSeconds)}" cy="${y(v)}" r="2.5" fill="${s.color}"/>`) : [];
    return html`<polyline points="${points.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash ?? 'none'}"><title>${s.name}</title></polyline>${dots}`;
  });
  const xAxis = xTicks.map((t) =>
    html`<line x1="${x(t)}" x2="${x(t)}" y1="${f.bottom}" y2="${f.bottom + 4}" stroke="#666"/><text x="${x(t)}" y="${f.bottom + 17}" text-anchor="middle" ${TEXT}>${elapsedLabel(t, span)}</text>`);
  const titles = html`<text x="${(f.left + f.right) / 2}" y="${f.bottom + 32}" text-anchor="middle" ${TEXT}>time since the first claim</text>
<text transform="translate(14 ${(f.top + f.bottom) / 2}) rotate(-90)" text-anchor="middle" ${TEXT}>${yTitle}</text>`;
  return svg(f, title, [yAxis(f, scale.ticks, y), lines, xAxis, titles, legend(f, series)]);
}

function frame(width: number, height: number, bottomMargin: number): Frame {
  return { width, height, left: 56, right: width - 16, top: 34, bottom: height - bottomMargin };
}

function svg(f: Frame, title: string, body: SafeHtml | readonly SafeHtml[] | readonly (SafeHtml | readonly SafeHtml[])[]): SafeHtml {
  return html`<svg viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" font-family="system-ui, sans-serif"><title>${title}</title>
<text x="${f.left}" y="18" font-size="14" font-weight="600" fill="#222">${title}</text>
${body}
<line x1="${f.left}" x2="${f.right}" y1="${f.bottom}" y2="${f.bottom}" stroke="#666"/></svg>`;
}

function yAxis(f: Frame, ticks: readonly number[], y: (v: number) => number): SafeHtml[] {
  return ticks.map((t) =>
    html`<line x1="${f.left}" x2="${f.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e3e3e3"/><text x="${f.left - 6}" y="${y(t) + 4}" text-anchor="end" ${TEXT}>${tickLabel(t)}</text>`);
}

/** Under the x-axis title, in rows of fixed-width items. */
function legend(f: Frame, series: readonly Series[]): SafeHtml[] {
  const perRow = legendItemsPerRow(f);
  return series.map((s, i) => {
    const lx = f.left + (i % perRow) * LEGEND_ITEM_WIDTH;
    const ly = f.bottom + 48 + Math.floor(i / perRow) * 18;
    return html`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="6" stroke-dasharray="${s.dash ?? 'none'}"/><text x="${lx + 28}" y="${ly}" ${TEXT}>${s.name}</text>`;
  });
}

function legendItemsPerRow(f: Frame): number {
  return Math.max(1, Math.floor((f.right - f.left) / LEGEND_ITEM_WIDTH));
}

function elapsedLabel(seconds: number, span: number): string {
  if (span < 120) return `${tickLabel(seconds)} s`;
  if (span < 7200) return `${tickLabel(seconds / 60)} min`;
  return `${tickLabel(seconds / 3600)} h`;
}
