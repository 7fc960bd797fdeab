/**
 * A processor: one member of the fleet. It opens (or plans) a job, registers
 * itself, and works through batches until every batch is done or quarantined.
 * It owns a session and replaces it when it is lost: the batch in hand is
 * aborted (its claim is void) and work continues on a fresh session.
 *
 * Lifecycle: new Processor(opts) -> run(job, worker) -> resolves at job
 * completion; drain() finishes the batch in hand then stops; close() aborts
 * and releases it. Nothing keeps the process alive after run() settles.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import zookeeper from 'node-zookeeper-client';
import { tryBatch, type AttemptOutcome } from './attempt.js';
import { delay } from './delay.js';
import { CoordinationError, isAmbiguous, isZkError, LifecycleError, SessionLostError, ZkUnreachableError } from './errors.js';
import { visitOrder } from './ordering.js';
import { assertProcessorId, DEFAULT_ROOT, JobPaths, parseBatchName } from './paths.js';
import { openJob, readPlan, type BatchPlanner } from './planner.js';
import { decodeDone, type StoredEvent } from './records.js';
import { ZkSession, type RequestCounts, type ZkAuth } from './session.js';
import { deregisterProcessor, markJobComplete, recordEvent, registerProcessor } from './transactions.js';
import { TypedEmitter } from './typed-emitter.js';
import type { JobSpec } from './types.js';
import type { AttemptHost, ProcessorEvents, ResolvedProcessorOptions, WorkerFn } from './worker.js';

export interface ProcessorOptions {
  connectString: string;
  /** Root znode of the fleet. Default "/spamzk". */
  root?: string;
  /** [A-Za-z0-9._]+, unique in the fleet. Default "<host>.<pid>.<random>". */
  processorId?: string;
  auth?: ZkAuth;
  /** Default 10 s. Ephemeral claims of a dead processor vanish after about this long. */
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** A live claim whose version has not changed for this long is reclaimed. Default 60 s. */
  staleAfterMs?: number;
  /** Minimum interval between heartbeat writes. Default staleAfterMs / 6. */
  heartbeatIntervalMs?: number;
  /** Failed attempts (worker threw, reclaimed, crashed) before a batch is quarantined. Default 3. */
  maxAttempts?: number;
  /** How often a processor with nothing to claim re-checks held batches. Default min(1 s, staleAfterMs / 4). */
  idlePollMs?: number;
  /** After losing a session, how long to keep trying to start a new one. Default 60 s. */
  reconnectGiveUpMs?: number;
}

export interface JobToRun {
  spec: JobSpec;
  /** Called only if this processor is the one that plans the job. Without it, the job must exist. */
  plan?: BatchPlanner;
}

export interface RunSummary {
  jobId: string;
  processorId: string;
  batchCount: number;
  complete: boolean;
  committed: number;
  lostRaces: number;
  fenced: number;
  reclaimed: number;
  failed: number;
  quarantined: number;
  released: number;
  sessionsLost: number;
  heartbeats: number;
}

type State = 'latent' | 'running' | 'draining' | 'closing' | 'closed';

export class Processor extends TypedEmitter<ProcessorEvents> {
  readonly processorId: string;
  readonly options: ResolvedProcessorOptions;
  private readonly observed = new Map<number, { claimName: string; version: number; since: number }>();
  /** The narrow view of this processor that one attempt gets (attempt.ts). */
  private readonly host: AttemptHost;
  private state: State = 'latent';
  private session: ZkSession | undefined;
  private registeredOn: ZkSession | undefined;
  private everConnected = false;
  private readonly pastCounts: RequestCounts = { reads: 0, writes: 0, byOp: {} };
  private stopCallbacks = new Set<(why: string) => void>();
  private running: Promise<RunSummary> | undefined;
  private jobPaths: JobPaths | undefined;
  private workerFn: WorkerFn | undefined;
  private readonly stopSignal = new AbortController();
  private summary: RunSummary;
  /** Batches with a pending children watch (set while idle). */
  private readonly watching = new Set<number>();
  private wakeIdle: AbortController | undefined;
  private readonly ourSessionIds = new Set<string>();

  constructor(private readonly opts: ProcessorOptions) {
    super();
    this.processorId = opts.processorId ?? defaultProcessorId();
    assertProcessorId(this.processorId);
    const staleAfterMs = opts.staleAfterMs ?? 60_000;
    this.options = {
      staleAfterMs,
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? Math.floor(staleAfterMs / 6),
      maxAttempts: opts.maxAttempts ?? 3,
      idlePollMs: opts.idlePollMs ?? Math.min(1_000, Math.floor(staleAfterMs / 4)),
    };
    this.summary = emptySummary('', this.processorId);
    this.host = this.makeHost();
  }

  private get paths(): JobPaths {
    if (!this.jobPaths) throw new LifecycleError('processor has no job: call run() first');
    return this.jobPaths;
  }

  private get worker(): WorkerFn {
    if (!this.workerFn) throw new LifecycleError('processor has no worker: call run() first');
    return this.workerFn;
  }

  /** ZooKeeper requests sent so far, over all sessions. */
  get requestCounts(): RequestCounts {
    const now = this.session?.counts;
    const byOp = { ...this.pastCounts.byOp };
    for (const [op, n] of Object.entries(now?.byOp ?? {})) byOp[op] = (byOp[op] ?? 0) + n;
    return { reads: this.pastCounts.reads + (now?.reads ?? 0), writes: this.pastCounts.writes + (now?.writes ?? 0), byOp };
  }

  /** Works on the job until it is complete (or drain()/close()). Resolves with what this processor did. */
  run(job: JobToRun, worker: WorkerFn): Promise<RunSummary> {
    if (this.state !== 'latent') return Promise.reject(new LifecycleError(`Processor.run() called in state ${this.state}; a processor runs one job`));
    this.state = 'running';
    this.workerFn = worker;
    this.jobPaths = new JobPaths(this.opts.root ?? DEFAULT_ROOT, job.spec.jobId);
    this.summary = emptySummary(job.spec.jobId, this.processorId);
    this.running = this.loop(job).finally(() => this.shutdown());
    return this.running;
  }

  /** Stops claiming; the batch in hand is finished and committed, or released if that takes longer than timeoutMs. */
  async drain(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.state === 'running') this.state = 'draining';
    if (!this.running) return this.shutdown();
    this.wakeIdle?.abort();
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => this.fireStop('drain timed out'), timeoutMs) : undefined;
    await this.running.catch(() => undefined);
    clearTimeout(timer);
  }

  /** Aborts and releases the batch in hand (it is not counted as a failed attempt), deregisters, closes the session. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.fireStop('processor closing');
    if (this.running) await this.running.catch(() => undefined);
    else await this.shutdown();
  }

  // ---- what an attempt may use ------------------------------------------------

  protected override emit<K extends keyof ProcessorEvents & string>(event: K, ...args: ProcessorEvents[K]): void {
    const counters: Partial<Record<string, keyof RunSummary>> = {
      committed: 'committed',
      lostRace: 'lostRaces',
      fenced: 'fenced',
      reclaimed: 'reclaimed',
      failed: 'failed',
      quarantined: 'quarantined',
      released: 'released',
      sessionLost: 'sessionsLost',
    };
    const key = counters[event];
    if (key) (this.summary[key] as number)++;
    super.emit(event, ...args);
  }

  private onStop(cb: (why: string) => void): () => void {
    this.stopCallbacks.add(cb);
    return () => this.stopCallbacks.delete(cb);
  }

  private async readDoneOwner(b: number): Promise<{ processorId: string; claimSeq: number } | undefined> {
    const s = await this.ensureSession();
    try {
      const { data } = await s.getData(this.paths.done(b));
      return decodeDone(data, this.paths.done(b)).header;
    } catch (err) {
      if (isZkError(err, zookeeper.Exception.NO_NODE)) return undefined;
      throw err;
    }
  }

  private async recordEventSomehow(event: StoredEvent): Promise<void> {
    try {
      await recordEvent(await this.ensureSession(), this.paths, event);
    } catch (error) {
      this.emit('warning', { message: `could not record ${event.type} event of batch ${event.batch}`, error });
    }
  }

  private makeHost(): AttemptHost {
    const self = this;
    return {
      get paths() {
        return self.paths;
      },
      get worker() {
        return self.worker;
      },
      processorId: this.processorId,
      options: this.options,
      observed: this.observed,
      emit: (event, ...args) => self.emit(event, ...args),
      onStop: (cb) => self.onStop(cb),
      readDoneOwner: (b) => self.readDoneOwner(b),
      recordEventSomehow: (event) => self.recordEventSomehow(event),
      countHeartbeat: () => void self.summary.heartbeats++,
    };
  }

  // ---- the loop ------------------------------------------------------------

  private async loop(job: JobToRun): Promise<RunSummary> {
    let opened = false;
    while (this.state === 'running') {
      try {
        const s = await this.ensureSession();
        if (!opened) {
          await this.open(s, job);
          opened = true;
        }
        if (this.registeredOn !== s) await this.register(s);
        const round = await this.round(s);
        if (round.complete) {
          this.summary.complete = true;
          break;
        }
        if (!round.progressed) await this.idleWait(s, round.blocked);
      } catch (err) {
        if (this.state !== 'running') break; // drain()/close() interrupted a wait
        if (!this.isSessionTrouble(err)) throw err;
        this.emit('warning', { message: `session trouble, starting a new session: ${(err as Error).message}`, error: err });
        this.dropSession();
        await delay(100, this.stopSignal.signal);
      }
    }
    return { ...this.summary };
  }

  private async open(s: ZkSession, job: JobToRun): Promise<void> {
    await openJob(s, this.paths.root, job.spec, job.plan, this.stopSignal.signal);
  }

  /**
   * Registers in the live-processors group. A node left by one of our own
   * earlier sessions is replaced; one held by another live session means the
   * processor id is not unique (or a crashed namesake's session has not expired
   * yet): wait up to one session timeout for it to go, then fail.
   */
  private async register(s: ZkSession): Promise<void> {
    const info = { host: hostname(), pid: process.pid, startedAt: Date.now() };
    const giveUpAt = performance.now() + s.sessionTimeoutMs + 2_000;
    while (!(await registerProcessor(s, this.paths, this.processorId, info))) {
      const stat = await s.exists(this.paths.processor(this.processorId));
      if (stat && this.ourSessionIds.has(stat.ephemeralOwner.toString('hex'))) {
        await deregisterProcessor(s, this.paths, this.processorId);
      } else if (performance.now() > giveUpAt) {
        throw new CoordinationError(
          'DUPLICATE_PROCESSOR_ID',
          `processor id ${this.processorId} is registered by another live session (${this.paths.processor(this.processorId)}); processor ids must be unique`,
        );
      } else {
        await delay(200, this.stopSignal.signal);
      }
    }
    this.registeredOn = s;
  }

  /** One pass: refresh which batches are open, then try ours (or, when none are left, others'). */
  private async round(s: ZkSession): Promise<{ complete: boolean; progressed: boolean; blocked: number[] }> {
    const p = this.paths;
    const plan = await readPlan(s, p);
    const [done, quarantined, live] = await Promise.all([
      s.getChildren(p.doneDir),
      s.getChildren(p.quarantineDir),
      s.getChildren(p.processorsDir),
    ]);
    const closed = new Set([...done, ...quarantined].map(parseBatchName));
    const open: number[] = [];
    for (let b = 0; b < plan.batchCount; b++) if (!closed.has(b)) open.push(b);
    this.summary.batchCount = plan.batchCount;
    for (const b of this.observed.keys()) if (closed.has(b)) this.observed.delete(b);
    if (open.length === 0 && plan.ready) {
      await markJobComplete(s, p, plan.batchCount);
      this.emit('complete', { jobId: p.jobId, batchCount: plan.batchCount });
      return { complete: true, progressed: true, blocked: [] };
    }
    const order = visitOrder(open, live, this.processorId);
    const blocked: number[] = [];
    let sawClosed = false;
    for (const list of [order.mine, order.steal]) {
      let progressed = false;
      for (const b of list) {
        if (this.state !== 'running') return { complete: false, progressed: true, blocked };
        const outcome = await this.attempt(s, b);
        if (outcome === 'held') blocked.push(b);
        else if (outcome === 'closed') sawClosed = true;
        else progressed = true;
      }
      if (progressed) return { complete: false, progressed, blocked };
    }
    // Batches closed by others since this round's listing: refresh at once (the job may be complete)
    // unless we are only waiting on held batches.
    return { complete: false, progressed: sawClosed && blocked.length === 0, blocked };
  }

  private attempt(s: ZkSession, b: number): Promise<AttemptOutcome> {
    return tryBatch(this.host, s, b);
  }

  /** Nothing to claim: wait for one of the held batches to change, or for the poll interval (with jitter). */
  private async idleWait(s: ZkSession, blocked: number[]): Promise<void> {
    const ms = this.options.idlePollMs * (0.75 + Math.random() * 0.5);
    const wake = new AbortController();
    const onAbort = () => wake.abort();
    s.signal.addEventListener('abort', onAbort, { once: true });
    this.stopSignal.signal.addEventListener('abort', onAbort, { once: true });
    // Only the processors waiting on a batch watch it: no herd on a shared node.
    // Watches are one-shot and cannot be removed, so each batch is watched once until it fires.
    for (const b of blocked.slice(0, 16)) {
      if (this.watching.has(b)) continue;
      this.watching.add(b);
      const fired = () => {
        this.watching.delete(b);
        this.wakeIdle?.abort();
      };
      s.getChildren(this.paths.batch(b), fired).catch(fired);
    }
    this.wakeIdle = wake;
    await delay(ms, wake.signal);
    this.wakeIdle = undefined;
    s.signal.removeEventListener('abort', onAbort);
    this.stopSignal.signal.removeEventListener('abort', onAbort);
  }

  // ---- sessions ------------------------------------------------------------

  private async ensureSession(): Promise<ZkSession> {
    if (this.session?.alive) return this.session;
    this.dropSession();
    const giveUpAt = Date.now() + (this.opts.reconnectGiveUpMs ?? 60_000);
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      const s = new ZkSession({
        connectString: this.opts.connectString,
        sessionTimeoutMs: this.opts.sessionTimeoutMs,
        connectTimeoutMs: this.opts.connectTimeoutMs,
        requestTimeoutMs: this.opts.requestTimeoutMs,
        auth: this.opts.auth,
      });
      try {
        await s.start();
      } catch (err) {
        if (!(err instanceof ZkUnreachableError) || !this.everConnected || Date.now() > giveUpAt || this.state === 'closed') throw err;
        this.emit('warning', { message: err.message, error: err });
        await delay(wait, this.stopSignal.signal);
        continue;
      }
      this.everConnected = true;
      this.ourSessionIds.add(s.sessionId);
      s.on('lost', (error) => this.emit('sessionLost', { error }));
      this.session = s;
      this.emit('sessionStarted', { sessionId: s.sessionId, timeoutMs: s.sessionTimeoutMs });
      return s;
    }
  }

  private dropSession(): void {
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    this.registeredOn = undefined;
    this.watching.clear(); // watches die with their session
    this.pastCounts.reads += s.counts.reads;
    this.pastCounts.writes += s.counts.writes;
    for (const [op, n] of Object.entries(s.counts.byOp)) this.pastCounts.byOp[op] = (this.pastCounts.byOp[op] ?? 0) + n;
    void s.close();
  }

  private isSessionTrouble(err: unknown): boolean {
    return err instanceof SessionLostError || isAmbiguous(err) || isZkError(err, zookeeper.Exception.SESSION_EXPIRED);
  }

  private fireStop(why: string): void {
    this.stopSignal.abort();
    for (const cb of this.stopCallbacks) cb(why);
  }

  private async shutdown(): Promise<void> {
    const s = this.session;
    if (s?.alive && this.jobPaths && this.registeredOn === s) {
      await deregisterProcessor(s, this.jobPaths, this.processorId).catch(() => undefined);
    }
    if (s) await s.close();
    this.dropSession();
    this.state = 'closed';
  }
}

function defaultProcessorId(): string {
  const host = hostname().replace(/[^A-Za-z0-9.]/g, '_');
  return `${host}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
}

function emptySummary(jobId: string, processorId: string): RunSummary {
  return {
    jobId,
    processorId,
    batchCount: 0,
    complete: false,
    committed: 0,
    lostRaces: 0,
    fenced: 0,
    reclaimed: 0,
    failed: 0,
    quarantined: 0,
    released: 0,
    sessionsLost: 0,
    heartbeats: 0,
  };
}
