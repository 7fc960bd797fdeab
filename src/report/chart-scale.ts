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

export interface Scale {
  readonly ticks: readonly number[];
  readonly toY: (value: number) => number;
  readonly logarithmic: boolean;
}

/** A linear y scale from 0 to the first round tick at or above `max`. */
export function linearScale(max: number, bottom: number, top: number): Scale {
  const ticks = niceTicks(max);
  return { ticks, toY: linear(ticks[ticks.length - 1]!, bottom, top), logarithmic: false };
}

/**
 * log10(1 + v), ticks at 0, 1, 10, 100...: keeps a bin of 3 visible beside a
 * bin of 60,000, which is what a spam filter's score histogram looks like.
 */
export function logScale(max: number, bottom: number, top: number): Scale {
  const ticks = [0, 1];
  while (ticks[ticks.length - 1]! < max) ticks.push(ticks[ticks.length - 1]! * 10);
  // Over many decades the "1" tick sits on top of the "0" one.
  if (ticks.length > 5) ticks.splice(1, 1);
  const y = linear(Math.log10(1 + ticks[ticks.length - 1]!), bottom, top);
  return { ticks, toY: (v) => y(Math.log10(1 + v)), logarithmic: true };
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
