/**
 * Messages in arrival order, as the TREC immediate-feedback protocol feeds a
 * filter: by the Date header, ties (and messages without a usable Date) by
 * name. A Date that Date.parse cannot read ("+-0500", "Eastern Daylight
 * Time": 28 of the SpamAssassin corpus's spam) falls back to the time stamp of
 * the topmost Received header, which the receiving server wrote; a message with
 * neither sorts as if it arrived at time 0. Nothing is dropped, and the rule is
 * the same on every run.
 */

/** When a raw message arrived, as ms since the epoch; NaN when neither Date nor Received tells. */
export function dateOf(raw: Buffer): number {
  // Only the header block: up to the first blank line, at most 64 KiB.
  const head = raw.toString('latin1', 0, Math.min(raw.length, 65536));
  const end = head.search(/\r?\n\r?\n/);
  const block = end < 0 ? head : head.slice(0, end);
  const date = parseDate(fieldValue(block, 'date'));
  if (!Number.isNaN(date)) return date;
  const received = fieldValue(block, 'received');
  const semi = received.lastIndexOf(';');
  return semi < 0 ? Number.NaN : parseDate(received.slice(semi + 1));
}

function fieldValue(block: string, name: string): string {
  const m = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(block);
  return m ? m[1]!.replace(/\r?\n[ \t]+/g, ' ') : '';
}

function parseDate(text: string): number {
  // A trailing comment such as "(EST)" after a zone makes Date.parse fail.
  const t = text.replace(/\([^)]*\)\s*$/, '').trim();
  return t === '' ? Number.NaN : Date.parse(t);
}

export interface Arriving {
  readonly name: string;
  readonly raw: Buffer;
}

/** A copy of `messages` sorted by Date, then by name; unreadable dates count as 0. */
export function inArrivalOrder<T extends Arriving>(messages: readonly T[]): T[] {
  const keyed = messages.map((m) => {
    const t = dateOf(m.raw);
    return { m, t: Number.isNaN(t) ? 0 : t };
  });
  keyed.sort((a, b) => a.t - b.t || (a.m.name < b.m.name ? -1 : a.m.name > b.m.name ? 1 : 0));
  return keyed.map((k) => k.m);
}
