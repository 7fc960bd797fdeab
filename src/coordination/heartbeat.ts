/**
 * The progress heartbeat of one claim: a versioned setData of the claim node.
 *
 * One write is in flight at a time, and the next may go out only
 * `intervalMs` after the previous one's *reply*: with the interval counted
 * from the send, a slow reply let a second write go out with the old version,
 * its BAD_VERSION was taken for a lost claim, and a healthy batch was fenced
 * and charged an attempt (issue 12; test/coordination/liveness.test.ts
 * reproduces it with ZooKeeper paused for 450 ms). Calls made while a write
 * is in flight are merged into it.
 *
 * A write whose reply is lost (connection loss, timeout) or that finds
 * another version is resolved by reading the claim back, as a lost commit is
 * resolved by reading the done marker: only the owner writes its claim and a
 * reclaim deletes it, so a claim that still exists is still ours, at the
 * version it shows.
 */
import { performance } from 'node:perf_hooks';
import zookeeper from 'node-zookeeper-client';
import { ClaimLostError, isAmbiguous, isZkError } from './errors.js';
import type { JobPaths } from './paths.js';
import type { ZkSession } from './session.js';
import { heartbeatClaim } from './transactions.js';
import type { ClaimData } from './types.js';

export interface HeartbeatTarget {
  session: ZkSession;
  paths: JobPaths;
  batch: number;
  claimName: string;
  intervalMs: number;
  /** Called once per write sent (for the run summary). */
  onWrite(): void;
}

export class ClaimHeartbeat {
  /** The claim's version as of our last write or read-back. */
  version = 0;
  /** Monotonic time of the worker's last call: a worker that calls is not stalled, even while a write waits on a slow server. */
  lastProgressAt = performance.now();
  private inFlight: Promise<void> | undefined;
  private lastReplyAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly t: HeartbeatTarget) {}

  /** Reports progress; resolves when the write it joined (if any) is settled, rejects with ClaimLostError if the claim is gone. */
  beat(data: ClaimData): Promise<void> {
    this.lastProgressAt = performance.now();
    if (this.inFlight) return this.inFlight;
    if (performance.now() - this.lastReplyAt < this.t.intervalMs) return Promise.resolve();
    this.t.onWrite();
    const write = this.write(data).finally(() => {
      this.inFlight = undefined;
      this.lastReplyAt = performance.now();
    });
    // A worker may fire-and-forget heartbeats: never let a failed one become an unhandled rejection.
    write.catch(() => undefined);
    this.inFlight = write;
    return write;
  }

  /** Waits for the write in flight, if any (before a commit, so the claim's version is known). */
  async settled(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
  }

  private async write(data: ClaimData): Promise<void> {
    const { session: s, paths: p, batch: b, claimName } = this.t;
    try {
      this.version = await heartbeatClaim(s, p, b, claimName, this.version, data);
    } catch (err) {
      if (isZkError(err, zookeeper.Exception.BAD_VERSION) || (isAmbiguous(err) && s.alive)) return this.readBack(err);
      throw new ClaimLostError(b, `heartbeat failed (${(err as Error).message})`);
    }
  }

  private async readBack(cause: unknown): Promise<void> {
    const { session: s, paths: p, batch: b, claimName } = this.t;
    let stat;
    try {
      stat = await s.exists(p.claim(b, claimName));
    } catch (err) {
      // Still unknown: the next beat tries again, and the session deadline decides whether the session is gone.
      if (isAmbiguous(err)) return;
      throw new ClaimLostError(b, `heartbeat failed (${(cause as Error).message}), then reading the claim back failed (${(err as Error).message})`);
    }
    if (!stat) throw new ClaimLostError(b, `heartbeat failed (${(cause as Error).message}) and the claim is gone`);
    this.version = stat.version;
  }
}
