/**
 * Keeps a JobSnapshot of every job under a root up to date from ZooKeeper
 * watches, never by polling.
 *
 * Per job it watches what changes a snapshot: the children of
 * quarantine/, processors/ and events/, the plan and completion nodes, the
 * children of each open batch (claims come and go there), and the data of each
 * claim in hand (heartbeats report the worker's progress there). Watches are one-shot
 * and each fired one is set again just before the job is read once more, so no
 * change between the firing and the read is missed. A burst of firings (a
 * commit deletes a claim and creates a done marker; a fleet commits many
 * batches a second) is coalesced: at most one read per job per `debounceMs`,
 * and never two at once.
 */
import zookeeper from 'node-zookeeper-client';
import { JobPaths, listJobs, type JobListing, type ZkSession } from '../coordination/index.js';
import { CommitCache, readJobSnapshot, type JobSnapshot } from './snapshot.js';

export type FleetUpdate = { type: 'jobs'; jobs: JobListing[] } | { type: 'snapshot'; snapshot: JobSnapshot };

export interface FleetWatcherOptions {
  root: string;
  /** Coalescing window for watch firings. Default 250 ms. */
  debounceMs?: number;
  /** After a failed read, wait this long before the next. Default 2 s. */
  retryMs?: number;
  /** Called with read errors (the watcher keeps going). */
  onError?: (err: unknown) => void;
}

/** Runs `task` after `delayMs`, at most once at a time; calls while it runs queue exactly one more run. */
class Coalescer {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly delayMs: number,
    private readonly task: () => Promise<void>,
  ) {}

  request(delayMs = this.delayMs): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer ??= setTimeout(() => void this.run(), delayMs);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    this.running = true;
    this.again = false;
    try {
      await this.task();
    } finally {
      this.running = false;
      if (this.again) this.request();
    }
  }
}

class JobWatch {
  readonly refresh: Coalescer;
  /** The job's commits read so far: each done marker is read once (snapshot.ts). */
  private readonly commits = new CommitCache();
  /** Paths whose one-shot watch is set and has not fired yet. */
  private readonly armed = new Set<string>();
  readonly paths: JobPaths;

  constructor(
    private readonly fleet: FleetWatcher,
    readonly jobId: string,
  ) {
    this.paths = new JobPaths(fleet.root, jobId);
    this.refresh = new Coalescer(fleet.debounceMs, () => this.read());
  }

  private async read(): Promise<void> {
    const session = this.fleet.session;
    try {
      await this.arm(session);
      const snapshot = await readJobSnapshot(session, this.fleet.root, this.jobId, Date.now, this.commits);
      this.fleet.publish({ type: 'snapshot', snapshot });
      // Heartbeats rewrite a claim's status: watch the claims in hand, so the page shows progress.
      await Promise.all(snapshot.claims.map((c) => this.armClaim(session, this.paths.claim(c.batch, c.claimName))));
      // Batches planned since the last read need their claims watched too.
      if (await this.armOpenBatches(session, snapshot)) this.refresh.request();
    } catch (err) {
      this.armed.clear(); // a failed arm may have left watches half set: set them all again
      this.fleet.reportError(err);
      this.refresh.request(this.fleet.retryMs);
    }
  }

  /**
   * done/ is not watched: its listing grows with the job's history, and every
   * commit already fires the watch on its batch's children (the commit
   * deletes the claim in the same multi), which armOpenBatches keeps set on
   * every open batch.
   */
  private async arm(s: ZkSession): Promise<void> {
    const p = this.paths;
    await Promise.all([
      ...[p.quarantineDir, p.processorsDir, p.eventsDir].map((dir) => this.once(dir, (w) => s.getChildren(dir, w))),
      this.once(p.plan, (w) => s.getData(p.plan, w)),
      this.once(p.complete, (w) => s.exists(p.complete, w)),
      this.once(p.control, (w) => s.exists(p.control, w)), // pause/drain/settings: exists fires on create and on each setData
    ]);
  }

  /** Watches the claims of every open batch not watched yet; true if it set any new watch. */
  private async armOpenBatches(s: ZkSession, snapshot: JobSnapshot): Promise<boolean> {
    const toArm: string[] = [];
    for (let b = 0; b < snapshot.grid.length; b++) {
      const path = this.paths.batch(b);
      if ((snapshot.grid[b] === 'p' || snapshot.grid[b] === 'c') && !this.armed.has(path)) toArm.push(path);
    }
    for (let i = 0; i < toArm.length; i += 64) {
      await Promise.all(toArm.slice(i, i + 64).map((path) => this.once(path, (w) => s.getChildren(path, w).catch(ignoreNoNode))));
    }
    // A claim made between our read and the new watch would otherwise go unseen until the next change.
    return toArm.length > 0;
  }

  private async armClaim(s: ZkSession, path: string): Promise<void> {
    let exists = true;
    await this.once(path, async (w) => (exists = (await s.exists(path, w)) !== undefined));
    if (!exists) this.armed.delete(path); // gone already (committed): the batch's children watch saw that
  }

  private async once(path: string, set: (watcher: () => void) => Promise<unknown>): Promise<void> {
    if (this.armed.has(path)) return;
    this.armed.add(path);
    await set(() => {
      this.armed.delete(path);
      this.refresh.request();
    });
  }

  /** The session was replaced: every watch of the old one is gone. */
  rearm(): void {
    this.armed.clear();
    this.refresh.request(0);
  }
}

export class FleetWatcher {
  readonly root: string;
  readonly debounceMs: number;
  readonly retryMs: number;
  private readonly jobs = new Map<string, JobWatch>();
  private readonly snapshots = new Map<string, JobSnapshot>();
  private listing: JobListing[] = [];
  private readonly listeners = new Set<(u: FleetUpdate) => void>();
  private readonly jobList: Coalescer;
  private jobsDirArmed = false;
  private current: ZkSession;

  constructor(
    session: ZkSession,
    private readonly opts: FleetWatcherOptions,
  ) {
    this.current = session;
    this.root = opts.root;
    this.debounceMs = opts.debounceMs ?? 250;
    this.retryMs = opts.retryMs ?? 2_000;
    this.jobList = new Coalescer(this.debounceMs, () => this.readJobList());
  }

  get session(): ZkSession {
    return this.current;
  }

  /** Reads the job list and every job once, then keeps them up to date. */
  async start(): Promise<void> {
    await this.readJobList();
  }

  /** Moves every watch to a new session (after the old one was lost). */
  replaceSession(session: ZkSession): void {
    this.current = session;
    this.jobsDirArmed = false;
    this.jobList.request(0);
    for (const job of this.jobs.values()) job.rearm();
  }

  close(): void {
    this.jobList.close();
    for (const job of this.jobs.values()) job.refresh.close();
    this.listeners.clear();
  }

  /** Listens to updates; returns the unsubscribe function. */
  subscribe(listener: (u: FleetUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get jobListing(): JobListing[] {
    return this.listing;
  }

  snapshot(jobId: string): JobSnapshot | undefined {
    return this.snapshots.get(jobId);
  }

  /** @internal */
  publish(update: FleetUpdate): void {
    if (update.type === 'snapshot') this.snapshots.set(update.snapshot.jobId, update.snapshot);
    for (const l of this.listeners) l(update);
  }

  /** @internal */
  reportError(err: unknown): void {
    this.opts.onError?.(err);
  }

  private async readJobList(): Promise<void> {
    try {
      await this.armJobsDir();
      this.listing = await listJobs(this.current, this.root);
    } catch (err) {
      this.jobsDirArmed = false;
      this.reportError(err);
      this.jobList.request(this.retryMs);
      return;
    }
    const listed = new Set(this.listing.map((j) => j.jobId));
    for (const [jobId, watch] of this.jobs) {
      if (listed.has(jobId)) continue;
      watch.refresh.close(); // removed by an operator: stop reading it
      this.jobs.delete(jobId);
      this.snapshots.delete(jobId);
    }
    for (const j of this.listing) {
      if (this.jobs.has(j.jobId)) continue;
      const watch = new JobWatch(this, j.jobId);
      this.jobs.set(j.jobId, watch);
      watch.refresh.request(0);
    }
    this.publish({ type: 'jobs', jobs: this.listing });
  }

  /** Watches the jobs folder, or its creation when no job exists yet. */
  private async armJobsDir(): Promise<void> {
    if (this.jobsDirArmed) return;
    const jobsDir = this.jobsDirPath();
    this.jobsDirArmed = true;
    const fired = (): void => {
      this.jobsDirArmed = false;
      this.jobList.request();
    };
    try {
      await this.current.getChildren(jobsDir, fired);
    } catch (err) {
      if ((err as { zkCode?: number }).zkCode !== zookeeper.Exception.NO_NODE) throw err;
      // No job yet: wait for the folder to be created (or read again if it just was).
      if (await this.current.exists(jobsDir, fired)) fired();
    }
  }

  /** The parent of every job node, from the one place paths are built. */
  private jobsDirPath(): string {
    const probe = new JobPaths(this.root, 'probe');
    return probe.job.slice(0, -'/probe'.length);
  }
}

function ignoreNoNode(err: unknown): string[] {
  if ((err as { zkCode?: number }).zkCode === zookeeper.Exception.NO_NODE) return [];
  throw err;
}
