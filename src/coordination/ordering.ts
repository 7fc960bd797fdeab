/**
 * Which batches a processor tries first. Each open batch has an affinity
 * processor: the live processor with the highest hash(processor, batch)
 * (rendezvous hashing), so processors start on disjoint batches and rarely
 * race. A processor first works through its own batches in an order seeded by
 * its id; when it runs out, it steals from the back half of the others' lists
 * (their owners work from the front), which keeps collisions rare until the
 * very last batches.
 */

export interface VisitOrder {
  mine: number[];
  steal: number[];
}

export function visitOrder(open: readonly number[], liveProcessors: readonly string[], me: string): VisitOrder {
  const procs = liveProcessors.includes(me) ? [...liveProcessors] : [...liveProcessors, me];
  const byOwner = new Map<string, number[]>(procs.map((p) => [p, []]));
  for (const b of open) {
    let best = procs[0]!;
    let bestScore = -1;
    for (const p of procs) {
      const score = hash32(p, b);
      if (score > bestScore) {
        bestScore = score;
        best = p;
      }
    }
    byOwner.get(best)!.push(b);
  }
  const ordered = (owner: string) => byOwner.get(owner)!.sort((a, b) => hash32(owner, a ^ 0x5bd1e995) - hash32(owner, b ^ 0x5bd1e995));
  const mine = ordered(me);
  // Stealers take the back half of each owner's list first (the owner reaches
  // it last), each in its own seeded order so that stealers spread out too.
  const back: number[] = [];
  const front: number[] = [];
  for (const p of procs) {
    if (p === me) continue;
    const list = ordered(p);
    const half = Math.floor(list.length / 2);
    front.push(...list.slice(0, half));
    back.push(...list.slice(half));
  }
  const mySeeded = (xs: number[]) => xs.sort((a, b) => hash32(me, a) - hash32(me, b));
  const steal = [...mySeeded(back), ...mySeeded(front)];
  return { mine, steal };
}

/** FNV-1a over the id, mixed with the batch number: fast, well spread, not cryptographic. */
export function hash32(id: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= n;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
