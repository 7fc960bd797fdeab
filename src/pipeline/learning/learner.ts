/**
 * One learn step: the pending corrections are learned on top of the head's
 * model and the head is advanced over them by CAS (ExactlyOnceLog
 * .advanceHeadConsuming), which removes them from the log in the same multi.
 * Any member may run it at any time; no lock is needed: of several learners
 * on one head version, one advances and the others advance nothing, and a
 * learner that dies (or whose session expires) before its advance leaves
 * only an unreferenced file in the store. So each correction is in exactly
 * one version's `applied` (or `skipped`) list (docs/design.md).
 */
import type { SpamModel } from '../../classifier/index.js';
import { MAX_RECORDS_PER_MULTI, type ExactlyOnceLog, type PendingRecord } from '../../coordination/index.js';
import { decodeCorrection, type Correction } from './correction.js';
import { decodeHead, encodeHead, type ModelHead } from './head.js';
import type { ModelStore } from './model-store.js';

/** Fetches the raw messages of `uids` (BODY.PEEK); a UID no longer there is absent from the map. */
export type MessageFetcher = (mailbox: string, uidValidity: number, uids: readonly number[]) => Promise<Map<number, Buffer>>;

export interface LearnInput {
  readonly log: ExactlyOnceLog;
  readonly store: ModelStore;
  readonly fetch: MessageFetcher;
  /** The base model (version 0), loaded fresh: learning changes the instance it is given. */
  readonly loadBase: () => SpamModel;
  /** Corrections one version learns at most (and one multi removes). */
  readonly maxPerVersion?: number;
  /** Called after the new version is in the store, before the head's CAS (tests stop or kill the learner there). */
  readonly beforeAdvance?: () => Promise<void>;
}

export interface LearnStep {
  readonly outcome: 'advanced' | 'lost-race' | 'nothing';
  /** The head after the step (ours when advanced). */
  readonly head: ModelHead;
  readonly learned: readonly Correction[];
  readonly skipped: readonly Correction[];
}

export async function learnPending(input: LearnInput): Promise<LearnStep> {
  const read = await input.log.readHead();
  const head = decodeHead(read);
  const pending = await input.log.pending(input.maxPerVersion ?? MAX_RECORDS_PER_MULTI);
  if (pending.length === 0) return { outcome: 'nothing', head, learned: [], skipped: [] };
  const corrections = pending.map((r) => decodeCorrection(r.data, `${input.log.logPath}/${r.name}`));
  const model = head.modelHash === '' ? input.loadBase() : input.store.load(head.modelHash);
  const { learned, skipped } = await learnAll(model, corrections, input.fetch);
  const next: ModelHead = {
    version: head.version + 1,
    modelHash: '',
    baseModelId: head.baseModelId,
    appliedThrough: newestZxid(pending),
    learned: {
      spam: head.learned.spam + learned.filter((c) => c.direction === 'spam').length,
      ham: head.learned.ham + learned.filter((c) => c.direction === 'ham').length,
    },
  };
  const modelHash = input.store.put(model, {
    version: next.version,
    parent: head.modelHash,
    baseModelId: head.baseModelId,
    applied: learned.map((c) => c.id),
    skipped: skipped.map((c) => c.id),
  });
  const advanced = { ...next, modelHash };
  await input.beforeAdvance?.();
  const outcome = await input.log.advanceHeadConsuming(read, encodeHead(advanced), pending.map((r) => r.name));
  if (outcome === 'advanced') return { outcome, head: advanced, learned, skipped };
  return { outcome, head: decodeHead(await input.log.readHead()), learned: [], skipped: [] };
}

/** In log order; messages are fetched per mailbox, one FETCH each. */
async function learnAll(model: SpamModel, corrections: readonly Correction[], fetch: MessageFetcher): Promise<{ learned: Correction[]; skipped: Correction[] }> {
  const bodies = new Map<string, Buffer>();
  const groups = new Map<string, Correction[]>();
  for (const c of corrections) {
    const key = JSON.stringify([c.mailbox, c.uidValidity]);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    const got = await fetch(first.mailbox, first.uidValidity, group.map((c) => c.uid));
    for (const c of group) {
      const raw = got.get(c.uid);
      if (raw) bodies.set(c.id, raw);
    }
  }
  const learned: Correction[] = [];
  const skipped: Correction[] = [];
  for (const c of corrections) {
    const raw = bodies.get(c.id);
    if (!raw) {
      skipped.push(c); // expunged or moved on since: recorded, never silently dropped
      continue;
    }
    model.learn(raw, c.direction);
    learned.push(c);
  }
  return { learned, skipped };
}

function newestZxid(pending: readonly PendingRecord[]): string {
  return pending.reduce((max, r) => (r.czxid > max ? r.czxid : max), 0n).toString();
}
