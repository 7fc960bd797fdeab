/**
 * Dynamic configuration of a job, in the manner of Curator's NodeCache: one
 * versioned znode per job, `<job>/control`, holding what the operators want
 * of the fleet right now:
 *
 *   { state: running | paused | draining, settings: {...}, changedAt, by }
 *
 * Every change is a compare-and-set (setData at the version read, or a create
 * when there is no node yet), so two operators never overwrite each other
 * unseen; the znode's version numbers the changes (`status` shows it). No
 * node means "running, no settings" (a job planned before the control existed,
 * or never steered).
 *
 * Members follow it with a one-shot watch re-armed on every event and on every
 * new session (a member on a new session re-reads: events missed while it had
 * none are not lost, because the watch is on the state, not on the changes).
 *
 * Settings are an opaque record of strings: the layer that uses them (the
 * pipeline for IMAP limits) owns their names and validation.
 */
import zookeeper from 'node-zookeeper-client';
import { delay } from './delay.js';
import { CoordinationError, CorruptRecordError, isZkError, JobNotFoundError } from './errors.js';
import type { JobPaths } from './paths.js';
import { decodeJson, encodeJson, statMs } from './records.js';
import type { ZkSession } from './session.js';
import { TypedEmitter } from './typed-emitter.js';

export type ControlState = 'running' | 'paused' | 'draining';
export const CONTROL_STATES: readonly ControlState[] = ['running', 'paused', 'draining'];

/** What the control znode holds. */
export interface JobControl {
  state: ControlState;
  /** Live settings, by name; validated by the layer that applies them. */
  settings: Record<string, string>;
  /** Writer's clock, ms since the epoch. */
  changedAt: number;
  /** Who wrote it (user@host). */
  by: string;
}

/** The control as read, with the znode's version (-1: no node yet, i.e. the defaults). */
export interface ControlSnapshot extends JobControl {
  version: number;
  /** Server time of the write (the znode's mtime); 0 when there is no node. */
  mtime: number;
}

export const DEFAULT_CONTROL: ControlSnapshot = { state: 'running', settings: {}, changedAt: 0, by: '', version: -1, mtime: 0 };

const { CreateMode, Exception } = zookeeper;

/** The control could not be changed: it kept changing under us (another operator). */
export class ControlConflictError extends CoordinationError {
  constructor(path: string, tries: number) {
    super('CONTROL_CONFLICT', `${path} changed under ${tries} successive writes; another operator is steering this job: retry`);
  }
}

/** Reads the control node (the defaults when there is none). `watcher` is armed either way. */
export async function readControl(s: ZkSession, p: JobPaths, watcher?: () => void): Promise<ControlSnapshot> {
  try {
    const { data, stat } = await s.getData(p.control, watcher);
    return { ...decodeControl(data, p.control), version: stat.version, mtime: statMs(stat.mtime) };
  } catch (err) {
    if (!isZkError(err, Exception.NO_NODE)) throw err;
  }
  // No node: watch for its creation. It may have been created between the two reads: then read it.
  const stat = await s.exists(p.control, watcher);
  return stat ? readControl(s, p) : { ...DEFAULT_CONTROL };
}

/**
 * Changes the control with a compare-and-set: `change` gets the current
 * control and returns the new one; on a concurrent change it is called again
 * on the newer control. The job must exist.
 */
export async function changeControl(
  s: ZkSession,
  p: JobPaths,
  change: (current: ControlSnapshot) => JobControl,
  tries = 10,
): Promise<ControlSnapshot> {
  if (!(await s.exists(p.job))) throw new JobNotFoundError(p.jobId, p.job);
  for (let i = 0; i < tries; i++) {
    const current = await readControl(s, p);
    const next = change(current);
    try {
      const stat =
        current.version < 0
          ? await s.create(p.control, encodeJson(next), CreateMode.PERSISTENT).then(() => s.exists(p.control))
          : await s.setData(p.control, encodeJson(next), current.version);
      if (!stat) continue; // deleted right after its create (the job was deleted): read again
      return { ...next, version: stat.version, mtime: statMs(stat.mtime) };
    } catch (err) {
      if (!isZkError(err, Exception.BAD_VERSION) && !isZkError(err, Exception.NODE_EXISTS) && !isZkError(err, Exception.NO_NODE)) throw err;
      await delay(10 + Math.random() * 40);
    }
  }
  throw new ControlConflictError(p.control, tries);
}

function decodeControl(data: Buffer, what: string): JobControl {
  const raw = decodeJson<Partial<JobControl>>(data, what);
  if (!raw || typeof raw !== 'object') throw new CorruptRecordError(what, 'is not a JSON object');
  if (!CONTROL_STATES.includes(raw.state as ControlState)) {
    throw new CorruptRecordError(what, `has state ${JSON.stringify(raw.state)}; expected one of ${CONTROL_STATES.join(', ')}`);
  }
  const settings = raw.settings ?? {};
  if (typeof settings !== 'object' || Object.values(settings).some((v) => typeof v !== 'string')) {
    throw new CorruptRecordError(what, 'has settings that are not a record of strings');
  }
  return { state: raw.state as ControlState, settings, changedAt: Number(raw.changedAt ?? 0), by: String(raw.by ?? '') };
}

export interface ControlWatchEvents extends Record<string, unknown[]> {
  /** A control version this member had not seen (the first read included). */
  change: [ControlSnapshot];
  /** A read failed; it is retried on the next session or event. */
  error: [unknown];
}

/**
 * One member's view of its job's control. `follow(session)` (re)reads it and
 * arms a watch on that session; each event re-reads and re-arms. Call
 * `follow` again with every new session: watches die with their session.
 */
export class ControlWatch extends TypedEmitter<ControlWatchEvents> {
  private seen: ControlSnapshot = { ...DEFAULT_CONTROL };
  private readOnce = false;
  /** The session whose watch is set and has not fired: a re-read on it sets no second one (they would each re-arm for ever). */
  private armedOn: ZkSession | undefined;
  private session: ZkSession | undefined;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly paths: JobPaths) {
    super();
  }

  get current(): ControlSnapshot {
    return this.seen;
  }

  /** Reads the control on `s` and keeps watching it there. Resolves once read. */
  async follow(s: ZkSession): Promise<ControlSnapshot> {
    this.session = s;
    await this.reread(s);
    return this.seen;
  }

  /** Resolves at the next change seen, or when `signal` aborts. */
  nextChange(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      if (signal.aborted) return resolve();
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    this.closed = true;
    for (const w of [...this.waiters]) w();
  }

  private async reread(s: ZkSession): Promise<void> {
    // Only the newest session's watch re-arms: an old session's late event is ignored.
    const onEvent = (): void => {
      if (this.armedOn === s) this.armedOn = undefined;
      if (this.closed || this.session !== s || !s.alive) return;
      this.reread(s).catch((err: unknown) => this.emit('error', err));
    };
    const arm = this.armedOn !== s;
    if (arm) this.armedOn = s;
    let read: ControlSnapshot;
    try {
      read = await readControl(s, this.paths, arm ? onEvent : undefined);
    } catch (err) {
      // A failed request set no watch; unreadable data was read, so its watch is set.
      if (arm && this.armedOn === s && !(err instanceof CorruptRecordError)) this.armedOn = undefined;
      throw err;
    }
    if (this.closed || this.session !== s) return;
    if (this.readOnce && read.version === this.seen.version && read.mtime === this.seen.mtime) return;
    this.readOnce = true;
    this.seen = read;
    this.emit('change', read);
    for (const w of [...this.waiters]) w();
  }
}
