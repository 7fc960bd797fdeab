/**
 * The seeded fault schedule of a chaos round. The same seed gives the same
 * kinds, order and offsets, so a failing round can be replayed; what a fault
 * hits (which processor, which node is leader) still depends on timing.
 */

export const FAULT_KINDS = ['kill', 'stop', 'zk-leader', 'dovecot', 'imap-cut', 'imap-hang'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  readonly kind: FaultKind;
  /** Offset from the start of the round's processors, ms. */
  readonly atMs: number;
}

/** mulberry32: small, fast and good enough to spread faults; deterministic per seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ScheduleOptions {
  /** Faults land in [firstMs, lastMs] after the processors start. */
  readonly firstMs: number;
  readonly lastMs: number;
  /** Extra faults of random kinds on top of one of each kind. */
  readonly maxExtra: number;
}

/**
 * One fault of every kind per round (so a short run still exercises each),
 * plus up to `maxExtra` more of random kinds, at random offsets.
 */
export function planRound(random: () => number, opts: ScheduleOptions): PlannedFault[] {
  const kinds: FaultKind[] = [...FAULT_KINDS];
  const extra = Math.floor(random() * (opts.maxExtra + 1));
  for (let i = 0; i < extra; i++) kinds.push(FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)]!);
  return kinds
    .map((kind) => ({ kind, atMs: Math.round(opts.firstMs + random() * (opts.lastMs - opts.firstMs)) }))
    .sort((a, b) => a.atMs - b.atMs);
}
