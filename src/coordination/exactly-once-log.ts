/**
 * ExactlyOnceLog: a log of opaque records that a versioned head consumes, each
 * record exactly once, whatever crashes, races or session losses happen.
 * It knows nothing of what the records mean (the learn path of the pipeline
 * is its first user; docs/design.md, "Learning from the mailbox it guards").
 *
 *   <path>/head               the head (opaque bytes), znode version >= 1
 *   <path>/log/<name>         one pending record (opaque bytes)
 *   <path>/cursors/<name>     a producer's position (opaque bytes), znode version >= 1
 *
 * Two transactions, one named function each:
 *  - `appendWithCursor`: setData(cursor, v) + create(log/<name>)...: a record
 *    enters the log only together with the producer's position that covers
 *    it, so a producer that crashed before the multi finds it again, and one
 *    that raced another finds the position moved and rescans.
 *  - `advanceHeadConsuming`: setData(head, v) + remove(log/<name>)...: a
 *    record leaves the log only in the one multi that advances the head over
 *    it. Exactly one of several consumers wins a given head version, and a
 *    multi fails as a whole if any record it removes is already gone: so each
 *    record is consumed by exactly one head version, and the log only ever
 *    holds pending records (its compaction is this same multi).
 *
 * node-zookeeper-client sends version 0 inside a multi as -1 ("any"): the head
 * and every cursor are rewritten in the multi that creates them (version 1).
 */
import zookeeper, { type Stat } from 'node-zookeeper-client';
import { CoordinationError, InvalidIdError, isAmbiguous, isZkError } from './errors.js';
import type { ZkSession } from './session.js';

const { CreateMode, Exception } = zookeeper;
const ANY = -1;
const NAME_RE = /^[A-Za-z0-9._-]+$/;
/** Records a single multi may create or remove: keeps a request far below jute.maxbuffer (1 MB). */
export const MAX_RECORDS_PER_MULTI = 500;

export interface Versioned {
  readonly data: Buffer;
  /** The znode's version, for the next compare-and-set. */
  readonly version: number;
}

export interface LogRecord {
  readonly name: string;
  readonly data: Buffer;
}

export interface PendingRecord extends LogRecord {
  /** The zxid of the record's creation: ZooKeeper's total order of the appends (one per multi). */
  readonly czxid: bigint;
}

export type AppendOutcome =
  /** The cursor moved and these records entered the log (those already pending were left out). */
  | { readonly appended: true; readonly names: readonly string[] }
  /** Another producer moved the cursor first: read it again and rescan. Nothing was written. */
  | { readonly appended: false };

/** A record name or a cursor name that cannot be a znode name of this recipe. */
export class ExactlyOnceLogError extends CoordinationError {
  constructor(message: string) {
    super('EXACTLY_ONCE_LOG', message);
  }
}

export class ExactlyOnceLog {
  constructor(
    private readonly session: ZkSession,
    readonly path: string,
  ) {}

  get headPath(): string { return `${this.path}/head`; }
  get logPath(): string { return `${this.path}/log`; }
  cursorPath(name: string): string { return `${this.path}/cursors/${checkName(name)}`; }
  recordPath(name: string): string { return `${this.logPath}/${checkName(name)}`; }

  /** Creates the folders, and the head with `initialHead` unless it exists. Idempotent. */
  async ensure(initialHead: Buffer): Promise<void> {
    const s = this.session;
    await s.mkdirp(this.logPath);
    await s.mkdirp(`${this.path}/cursors`);
    if (await s.exists(this.headPath)) return;
    try {
      await s.multi(`create head ${this.headPath}`, (tx) => {
        tx.create(this.headPath, initialHead, s.acl, CreateMode.PERSISTENT);
        tx.setData(this.headPath, initialHead, ANY); // version 0 -> 1 (see header)
      });
    } catch (err) {
      if (!isZkError(err, Exception.NODE_EXISTS)) throw err;
    }
  }

  async readHead(watcher?: () => void): Promise<Versioned> {
    const { data, stat } = await this.session.getData(this.headPath, watcher ? () => watcher() : undefined);
    return { data, version: stat.version };
  }

  async readCursor(name: string): Promise<Versioned | undefined> {
    try {
      const { data, stat } = await this.session.getData(this.cursorPath(name));
      return { data, version: stat.version };
    } catch (err) {
      if (isZkError(err, Exception.NO_NODE)) return undefined;
      throw err;
    }
  }

  /**
   * Moves the cursor from `expected` (undefined = the cursor does not exist
   * yet) to `next` and creates the records, all or nothing. Records already
   * pending under the same name are left out (the same record found twice),
   * so the cursor still moves. A lost reply is resolved by reading the cursor
   * back: only its producer writes these bytes at the next version.
   */
  async appendWithCursor(cursor: string, expected: Versioned | undefined, next: Buffer, records: readonly LogRecord[]): Promise<AppendOutcome> {
    if (records.length > MAX_RECORDS_PER_MULTI) {
      throw new ExactlyOnceLogError(`append of ${records.length} records: at most ${MAX_RECORDS_PER_MULTI} per cursor move`);
    }
    let toCreate = [...records];
    for (;;) {
      try {
        await this.appendMulti(cursor, expected, next, toCreate);
        return { appended: true, names: toCreate.map((r) => r.name) };
      } catch (err) {
        if (isAmbiguous(err)) {
          const now = await this.readCursor(cursor);
          if (now && now.data.equals(next) && now.version === (expected ? expected.version + 1 : 1)) return { appended: true, names: toCreate.map((r) => r.name) };
          if (!sameVersion(now, expected)) return { appended: false };
          continue; // not applied, cursor unchanged: try again
        }
        if (isZkError(err, Exception.BAD_VERSION) || isZkError(err, Exception.NO_NODE)) return { appended: false };
        if (!isZkError(err, Exception.NODE_EXISTS)) throw err;
        // The cursor was created by another producer, or some records are pending already.
        if (!sameVersion(await this.readCursor(cursor), expected)) return { appended: false };
        const pending = await this.existing(toCreate.map((r) => r.name));
        if (pending.size === 0) return { appended: false };
        toCreate = toCreate.filter((r) => !pending.has(r.name));
      }
    }
  }

  /** Every pending record, oldest append first (at most `limit`). */
  async pending(limit = Number.POSITIVE_INFINITY): Promise<PendingRecord[]> {
    const names = await this.session.getChildren(this.logPath);
    const read = await Promise.all(names.map((name) => this.readRecord(name)));
    return read
      .filter((r): r is PendingRecord => r !== undefined)
      .sort(byAppendOrder)
      .slice(0, limit);
  }

  /**
   * Advances the head from `expected` to `next` and removes the consumed
   * records, all or nothing. 'lost-race': another consumer advanced the head
   * first, or one of the records was already consumed; nothing was written.
   * A lost reply is resolved by reading the head back.
   */
  async advanceHeadConsuming(expected: Versioned, next: Buffer, consumed: readonly string[]): Promise<'advanced' | 'lost-race'> {
    if (consumed.length > MAX_RECORDS_PER_MULTI) {
      throw new ExactlyOnceLogError(`a head advance may consume at most ${MAX_RECORDS_PER_MULTI} records, not ${consumed.length}`);
    }
    if (expected.version < 1) throw new ExactlyOnceLogError(`head ${this.headPath} at version ${expected.version}: expected >= 1 (see header)`);
    const s = this.session;
    try {
      await s.multi(`advance head ${this.headPath}`, (tx) => {
        tx.setData(this.headPath, next, expected.version);
        for (const name of consumed) tx.remove(this.recordPath(name), ANY);
      });
      return 'advanced';
    } catch (err) {
      if (isAmbiguous(err)) {
        const now = await this.readHead();
        if (now.version === expected.version + 1 && now.data.equals(next)) return 'advanced';
        if (now.version !== expected.version) return 'lost-race';
        throw err; // not applied and the head unchanged: the caller may try again
      }
      if (isZkError(err, Exception.BAD_VERSION) || isZkError(err, Exception.NO_NODE)) return 'lost-race';
      throw err;
    }
  }

  private async appendMulti(cursor: string, expected: Versioned | undefined, next: Buffer, records: readonly LogRecord[]): Promise<void> {
    const s = this.session;
    const path = this.cursorPath(cursor);
    await s.multi(`append ${records.length} to ${this.logPath}`, (tx) => {
      if (expected) {
        tx.setData(path, next, expected.version);
      } else {
        tx.create(path, next, s.acl, CreateMode.PERSISTENT);
        tx.setData(path, next, ANY); // version 0 -> 1 (see header)
      }
      for (const r of records) tx.create(this.recordPath(r.name), r.data, s.acl, CreateMode.PERSISTENT);
    });
  }

  private async existing(names: readonly string[]): Promise<Set<string>> {
    const stats = await Promise.all(names.map((n) => this.session.exists(this.recordPath(n))));
    return new Set(names.filter((_, i) => stats[i] !== undefined));
  }

  private async readRecord(name: string): Promise<PendingRecord | undefined> {
    try {
      const { data, stat } = await this.session.getData(this.recordPath(name));
      return { name, data, czxid: zxidOf(stat) };
    } catch (err) {
      if (isZkError(err, Exception.NO_NODE)) return undefined; // consumed since the listing
      throw err;
    }
  }
}

/** Records of one multi share its zxid: among them, the name decides (any fixed order will do). */
function byAppendOrder(a: PendingRecord, b: PendingRecord): number {
  if (a.czxid !== b.czxid) return a.czxid < b.czxid ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function sameVersion(now: Versioned | undefined, expected: Versioned | undefined): boolean {
  return (now?.version ?? -1) === (expected?.version ?? -1);
}

function checkName(name: string): string {
  if (!NAME_RE.test(name)) throw new InvalidIdError('log record or cursor name', name, NAME_RE);
  return name;
}

/** node-zookeeper-client gives zxids as 8-byte big-endian buffers. */
export function zxidOf(stat: Stat): bigint {
  return (stat.czxid as unknown as Buffer).readBigUInt64BE(0);
}
