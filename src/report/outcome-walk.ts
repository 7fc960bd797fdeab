/**
 * Walks a job's outcomes without holding them all: group by group in the
 * input's order (for tallies), or in report.json's order (by key, then batch,
 * then processor) by merging the groups, each sorted on its own, and opening
 * a group only when the walk reaches its lowest key. Batches are disjoint key
 * ranges, so on a healthy job one group is open at a time; groups whose keys
 * overlap (a batch committed twice, a key outside its batch) are open
 * together only while the walk is inside their overlap.
 */
import { byKey } from './ordering.js';
import type { MessageOutcome, OutcomeGroups, Outcomes } from './types.js';

export function outcomeGroups(outcomes: Outcomes): OutcomeGroups {
  if (!isArray(outcomes)) return outcomes;
  return { groupCount: 1, group: () => outcomes };
}

/** Every outcome, group after group; each iteration walks (and builds) the groups again. */
export function allOutcomes(outcomes: Outcomes): Iterable<MessageOutcome> {
  const groups = outcomeGroups(outcomes);
  return {
    *[Symbol.iterator]() {
      for (let g = 0; g < groups.groupCount; g++) yield* groups.group(g);
    },
  };
}

interface Cursor {
  readonly items: readonly MessageOutcome[];
  readonly group: number;
  at: number;
}

/**
 * The outcomes sorted as a stable sort of the concatenated groups by `byKey`
 * would order them (ties keep group order, then position), given each
 * group's lowest key (Infinity for an empty group).
 */
export function* inKeyOrder(groups: OutcomeGroups, lowestKeys: readonly number[]): Generator<MessageOutcome> {
  const order = lowestKeys.map((_, g) => g).filter((g) => lowestKeys[g] !== Infinity);
  order.sort((a, b) => lowestKeys[a]! - lowestKeys[b]! || a - b);
  const heap = new CursorHeap();
  let next = 0;
  for (;;) {
    // A group whose lowest key is not above the walk's next key may hold an earlier outcome: open it.
    while (next < order.length && (heap.size === 0 || heap.top().items[heap.top().at]!.key >= lowestKeys[order[next]!]!)) {
      const g = order[next++]!;
      const items = [...groups.group(g)].sort(byKey);
      if (items.length > 0) heap.push({ items, group: g, at: 0 });
    }
    if (heap.size === 0) return;
    const cursor = heap.top();
    yield cursor.items[cursor.at]!;
    cursor.at++;
    if (cursor.at < cursor.items.length) heap.siftDownTop();
    else heap.popTop();
  }
}

function cursorOrder(a: Cursor, b: Cursor): number {
  return byKey(a.items[a.at]!, b.items[b.at]!) || a.group - b.group;
}

/** A binary min-heap of cursors by their current outcome. */
class CursorHeap {
  private readonly items: Cursor[] = [];

  get size(): number {
    return this.items.length;
  }

  top(): Cursor {
    return this.items[0]!;
  }

  push(cursor: Cursor): void {
    const h = this.items;
    h.push(cursor);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (cursorOrder(h[i]!, h[parent]!) >= 0) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  popTop(): void {
    const last = this.items.pop()!;
    if (this.items.length === 0) return;
    this.items[0] = last;
    this.siftDownTop();
  }

  siftDownTop(): void {
    const h = this.items;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < h.length && cursorOrder(h[left]!, h[least]!) < 0) least = left;
      if (right < h.length && cursorOrder(h[right]!, h[least]!) < 0) least = right;
      if (least === i) return;
      [h[i], h[least]] = [h[least]!, h[i]!];
      i = least;
    }
  }
}

function isArray(outcomes: Outcomes): outcomes is readonly MessageOutcome[] {
  return Array.isArray(outcomes);
}
