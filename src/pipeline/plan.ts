/**
 * Cutting a mailbox into batches: consecutive runs of `batchSize` keys. A
 * batch is the key range from its first to its last key, so the gaps between
 * UIDs cost nothing and a batch can be fetched with one UID range.
 */
import type { Batch, PlanFrom } from '../coordination/index.js';

/** The batches of a plan that starts at `from` (after the batches a planner that died already wrote). */
export function planBatchesFrom(keys: readonly number[], batchSize: number, from: PlanFrom): Batch[] {
  const afterKey = from.afterKey;
  return planBatches(afterKey === undefined ? keys : keys.filter((k) => k > afterKey), batchSize, from.firstIndex);
}

/** Batches over ascending `keys`, numbered from `firstIndex`. */
export function planBatches(keys: readonly number[], batchSize: number, firstIndex = 0): Batch[] {
  const batches: Batch[] = [];
  for (let i = 0; i < keys.length; i += batchSize) {
    const chunk = keys.slice(i, i + batchSize);
    batches.push({ index: firstIndex + batches.length, first: chunk[0]!, last: chunk[chunk.length - 1]!, count: chunk.length });
  }
  return batches;
}
