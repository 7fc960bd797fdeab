/** How figures read in report.md and report.html: one convention for both. */

export function percent(fraction: number | null, digits = 2): string {
  return fraction === null ? 'n/a' : `${(fraction * 100).toFixed(digits)}%`;
}

export function decimal(x: number | null, digits = 3): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

export function rate(perSecond: number | null): string {
  if (perSecond === null) return 'n/a';
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(1);
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return minutes < 120 ? `${minutes} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 3_600_000).toFixed(1)} h`;
}

/** UTC, to the second: reports are read on machines in other time zones. */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Message-derived text on one line and of bounded length, before any escaping. */
export function oneLine(text: string, max = 240): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
