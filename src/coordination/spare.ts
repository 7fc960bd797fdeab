/**
 * Sparing: an attempt cut short because its processor lost its session to a
 * fault of the fleet (ZooKeeper or the network went silent while this process
 * ran smoothly) is marked as not counting against its batch, once a new
 * session is up. Crashes and stalls of the process itself are never spared,
 * so a poison batch still reaches quarantine (docs/design.md).
 */
import zookeeper from 'node-zookeeper-client';
import { isZkError } from './errors.js';
import type { JobPaths } from './paths.js';
import { decodeJson, type StoredAttempt } from './records.js';
import type { ZkSession } from './session.js';
import { spareAttemptIfUnchanged } from './transactions.js';
import type { AttemptToSpare } from './worker.js';

/** Marks the attempt spared if it is still ours and nothing was recorded on it; true if it was marked. */
export async function spareAttempt(s: ZkSession, p: JobPaths, processorId: string, a: AttemptToSpare): Promise<boolean> {
  const path = p.attempt(a.batch, a.attempt);
  try {
    const { data, stat } = await s.getData(path);
    const rec = decodeJson<StoredAttempt>(data, path);
    // A failure or reclaim recorded meanwhile counts; someone else's attempt is not ours to spare.
    if (rec.processorId !== processorId || rec.nonce !== a.nonce || rec.error !== undefined || rec.spared !== undefined) return false;
    await spareAttemptIfUnchanged(s, p, a.batch, a.attempt, stat.version, { ...rec, spared: a.reason });
    return true;
  } catch (err) {
    // NO_NODE: the batch was closed meanwhile (its attempt nodes went with the close). BAD_VERSION: recorded meanwhile.
    if (isZkError(err, zookeeper.Exception.NO_NODE) || isZkError(err, zookeeper.Exception.BAD_VERSION)) return false;
    throw err;
  }
}
