/**
 * The unique-keys check without a set of every key of the job. A batch is a
 * key range, so two groups of outcomes (done markers) can share a key only if
 * their key spans overlap: each group's span and its own repeats are noted as
 * it is folded, and only groups whose spans overlap are walked again,
 * together, for the keys they share. On a healthy job no spans overlap and
 * nothing is walked again; a set is built only over an overlapping cluster.
 */
import type { MessageOutcome, OutcomeGroups } from './types.js';

/** Key → the batch of each of its outcomes, for keys seen more than once. */
export type Repeats = Map<number, number[]>;

export class KeySpans {
  private readonly lowest: number[] = [];
  private readonly highest: number[] = [];
  /** Repeats inside one group (rare: a group's keys are normally ascending). */
  private readonly inGroup = new Map<number, Repeats>();

  /** Each group's lowest key, Infinity when empty (what `inKeyOrder` merges by). */
  get lowestKeys(): readonly number[] {
    return this.lowest;
  }

  addGroup(index: number, outcomes: readonly MessageOutcome[]): void {
    let low = Infinity;
    let high = -Infinity;
    let ascending = true;
    for (const o of outcomes) {
      if (o.key <= high) ascending = false;
      if (o.key < low) low = o.key;
      if (o.key > high) high = o.key;
    }
    this.lowest[index] = low;
    this.highest[index] = high;
    if (ascending) return;
    const repeats = repeatsIn([outcomes]);
    if (repeats.size > 0) this.inGroup.set(index, repeats);
  }

  /** Every repeated key of the job: a group's own, and those shared by groups whose spans overlap. */
  repeats(groups: OutcomeGroups): Repeats {
    const all: Repeats = new Map();
    for (const cluster of this.overlappingClusters()) {
      const found = cluster.length === 1 ? this.inGroup.get(cluster[0]!) : repeatsIn(walk(groups, cluster));
      for (const [key, batches] of found ?? []) all.set(key, batches);
    }
    return all;
  }

  /** Groups in order of their lowest key, cut wherever a group starts above every span before it. */
  private overlappingClusters(): number[][] {
    const order = this.lowest.map((_, g) => g).filter((g) => this.lowest[g] !== Infinity);
    order.sort((a, b) => this.lowest[a]! - this.lowest[b]! || a - b);
    const clusters: number[][] = [];
    let reach = -Infinity;
    for (const g of order) {
      if (this.lowest[g]! > reach) clusters.push([g]);
      else clusters[clusters.length - 1]!.push(g);
      reach = Math.max(reach, this.highest[g]!);
    }
    return clusters;
  }
}

function* walk(groups: OutcomeGroups, indices: readonly number[]): Generator<readonly MessageOutcome[]> {
  for (const g of indices) yield groups.group(g);
}

function repeatsIn(lists: Iterable<readonly MessageOutcome[]>): Repeats {
  const batchesOf: Repeats = new Map();
  for (const list of lists) {
    for (const o of list) {
      const batches = batchesOf.get(o.key);
      if (batches) batches.push(o.batch);
      else batchesOf.set(o.key, [o.batch]);
    }
  }
  for (const [key, batches] of batchesOf) if (batches.length < 2) batchesOf.delete(key);
  return batchesOf;
}
