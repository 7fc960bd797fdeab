/** Axis arithmetic shared by the SVG charts. */

/** Round tick values (1, 2 or 5 × 10^k apart) from 0 to at least `max`. */
export function niceTicks(max: number, target = 5): number[] {
  const top = max > 0 ? max : 1;
  const rough = top / target;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let t = 0; t < top + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1]! < top) ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

/** Maps [0, domainMax] onto [rangeStart, rangeEnd] (which may run backwards, as y does in SVG). */
export function linear(domainMax: number, rangeStart: number, rangeEnd: number): (x: number) => number {
  const span = domainMax > 0 ? domainMax : 1;
  return (x) => round1(rangeStart + ((rangeEnd - rangeStart) * x) / span);
}

export function tickLabel(value: number): string {
  if (value >= 1_000_000) return `${trim(value / 1_000_000)}M`;
  if (value >= 10_000) return `${trim(value / 1000)}k`;
  return trim(value);
}

function trim(x: number): string {
  return Number(x.toFixed(2)).toString();
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
