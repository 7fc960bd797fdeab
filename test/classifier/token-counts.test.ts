import { describe, expect, it } from 'vitest';
import { TokenCounts } from '../../src/classifier/token-counts.js';
import { hashString } from '../../src/classifier/online/features.js';

describe('TokenCounts', () => {
  it('finds loaded tokens by binary search and, after many lookups, by a hash table, with the same rows', () => {
    const tokens = Array.from({ length: 1000 }, (_, i) => `t${String(i).padStart(4, '0')}`);
    const counts = new TokenCounts(tokens, tokens.map((_, i) => i), tokens.map((_, i) => 2 * i));
    const rowsOf = (): Array<number | undefined> => [...tokens, 'absent', 't', 'zzz'].map((t) => counts.rowOf(t));
    const bySearch = rowsOf();
    expect(bySearch.slice(0, 1000)).toEqual(tokens.map((_, i) => i));
    expect(bySearch.slice(1000)).toEqual([undefined, undefined, undefined]);
    for (let i = 0; i < 60; i++) rowsOf(); // past the 50,000 lookups that switch to the table
    expect(rowsOf()).toEqual(bySearch);
  });

  it('gives a new token a new row with zero counts, found afterwards, and lists every row', () => {
    const counts = new TokenCounts(['a', 'c'], [1, 2], [3, 4]);
    const row = counts.rowFor('b');
    expect(row).toBe(2);
    expect([counts.spam[row], counts.ham[row]]).toEqual([0, 0]);
    expect(counts.rowOf('b')).toBe(2);
    expect(counts.rowFor('c')).toBe(1);
    expect(counts.size).toBe(3);
    expect(new Map(counts.rows())).toEqual(new Map([['a', 0], ['c', 1], ['b', 2]]));
  });

  it('keeps tokens apart whose 32-bit hashes collide, and finds every token after the table grows', () => {
    const byHash = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const t = `k${i}`;
      const other = byHash.get(hashString(t));
      if (other !== undefined) pair = [other, t];
      else byHash.set(hashString(t), t);
    }
    const counts = new TokenCounts();
    const learned = [...Array.from({ length: 20_000 }, (_, i) => `w${i}`), ...pair];
    const rows = learned.map((t) => counts.rowFor(t));
    expect(rows).toEqual(learned.map((_, i) => i));
    expect(learned.map((t) => counts.rowOf(t))).toEqual(rows);
    expect(counts.rowOf(pair[0])).not.toBe(counts.rowOf(pair[1]));
    expect(['w20000', 'absent', ''].map((t) => counts.rowOf(t))).toEqual([undefined, undefined, undefined]);
  });
});
