/** IMAP sequence sets of UIDs (RFC 3501 §9 `sequence-set`), both ways. */

/** "1:3,7" → [1, 2, 3, 7], ascending and without duplicates. */
export function parseUidSet(set: string): number[] {
  const out = new Set<number>();
  for (const part of set.split(',')) {
    if (part === '') continue;
    const [a, b] = part.split(':');
    const first = Number(a);
    const last = b === undefined ? first : Number(b);
    if (!Number.isInteger(first) || !Number.isInteger(last)) throw new Error(`bad UID set from the server: ${JSON.stringify(set)}`);
    for (let uid = Math.min(first, last); uid <= Math.max(first, last); uid++) out.add(uid);
  }
  return [...out].sort((x, y) => x - y);
}

/** [1, 2, 3, 7] → "1:3,7" (the shortest command line for a STORE or MOVE). */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
