/**
 * A processor: one member of the fleet. It opens (or plans) a job, registers
 * itself, and works through batches until every batch is done or quarantined.
 * Its sessions come from a SessionKeeper, whose connection-state events it
 * follows: on `lost` the batch in hand is aborted (its claim is void) and
 * work continues on the fresh session that arrives as `reconnected`.
 *
 * Lifecycle: new Processor(opts) -> run(job, worker) -> resolves at job
 * completion; drain() finishes the batch in hand then stops; close() aborts
 * and releases it. Nothing keeps the process alive after run() settles.
 *
 * The job's control node (control.ts) is consulted before each claim: while
 * it says `paused` no new claim is made (the batch in hand still finishes and
 * commits); `draining` ends run() like drain() does, with `drained` set.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import zookeeper from 'node-zookeeper-client';
import { tryBatch, type AttemptOutcome } from './attempt.js';
import { ControlGate } from './control-gate.js';
import { delay } from './delay.js';
import { DuplicateProcessorIdError, isAmbiguous, isZkError, LifecycleError, SessionLostError } from './errors.js';
import { visitOrder } from './ordering.js';
import { assertProcessorId, DEFAULT_ROOT, JobPaths } from './paths.js';
import { foldCheckpointIfUnchanged, foldedCheckpoint, readFrontier, type Frontier, type FrontierBatch } from './frontier.js';
import { explainMissingJob } from './lifecycle.js';
import { openJob, type BatchPlanner } from './planner.js';
import { decodeDone, type StoredEvent } from './records.js';
import type { RequestCounts, ZkSession } from './session.js';
import { SessionKeeper, type ConnectionStateChange } from './session-keeper.js';
import { deregisterProcessor, markJobComplete, recordEvent, registerProcessor } from './transactions.js';
import { TypedEmitter } from './typed-emitter.js';
import type { JobSpec } from './types.js';
import { defaultProcessorId, jobSettingsOf, resolveOptions, withJobSettings, type ProcessorOptions, type ResolvedProcessorOptions } from './settings.js';
import { spareAttempt } from './spare.js';
import { emptySummary, type AttemptHost, type AttemptToSpare, type ProcessorEvents, type RunSummary, type WorkerFn } from './worker.js';

export interface JobToRun {
  spec: JobSpec;
  /** Called only if this processor is the one that plans the job. Without it, the job must exist. */
  plan?: BatchPlanner;
}

type State = 'latent' | 'running' | 'draining' | 'closing' | 'closed';

export class Processor extends TypedEmitter<ProcessorEvents> {
  readonly processorId: string;
  private resolved: ResolvedProcessorOptions;
  private readonly observed = new Map<number, { claimName: string; version: number; since: number }>();
  /** The narrow view of this processor that one attempt gets (attempt.ts). */
  private readonly host: AttemptHost;
  private state: State = 'latent';
  private readonly sessions: SessionKeeper;
  private registeredOn: ZkSession | undefined;
  private stopCallbacks = new Set<(why: string) => void>();
  private running: Promise<RunSummary> | undefined;
  private jobPaths: JobPaths | undefined;
  private workerFn: WorkerFn | undefined;
  private readonly stopSignal = new AbortController();
  private summary: RunSummary;
  /** Batches with a pending children watch (set while idle). */
  private readonly watching = new Set<number>();
  private wakeIdle: AbortController | undefined;
  /** Frontier batches seen closed (they never reopen, so rounds do not read them again; frontier.ts). */
  private readonly closedSeen = new Map<number, FrontierBatch>();
  /** Attempts of ours cut short by a fault of the fleet, to be spared on the next session. */
  private readonly toSpare: AttemptToSpare[] = [];
  /** The job's control (pause, drain, live settings), followed on every session. */
  private gate: ControlGate | undefined;

  constructor(private readonly opts: ProcessorOptions) {
    super();
    this.processorId = opts.processorId ?? defaultProcessorId();
    assertProcessorId(this.processorId);
    this.resolved = resolveOptions(opts);
    this.summary = emptySummary('', this.processorId);
    this.host = this.makeHost();
    this.sessions = new SessionKeeper(opts);
    this.sessions.on('state', (change) => this.onConnectionState(change));
    this.sessions.on('retrying', ({ error }) => this.emit('warning', { message: error.message, error }));
  }

  /** The options in force: this processor's own, then the job's settings once the job is open. */
  get options(): ResolvedProcessorOptions {
    return this.resolved;
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
    return this.sessions.counts;
  }

  /** Works on the job until it is complete (or drain()/close()). Resolves with what this processor did. */
  run(job: JobToRun, worker: WorkerFn): Promise<RunSummary> {
    if (this.state !== 'latent') return Promise.reject(new LifecycleError(`Processor.run() called in state ${this.state}; a processor runs one job`));
    this.state = 'running';
    this.workerFn = worker;
    this.jobPaths = new JobPaths(this.opts.root ?? DEFAULT_ROOT, job.spec.jobId);
    this.summary = emptySummary(job.spec.jobId, this.processorId);
    this.gate = new ControlGate(this.jobPaths, this.processorId, {
      applied: (control) => this.emit('control', control),
      changed: () => this.wakeIdle?.abort(),
      warn: (message, error) => this.emit('warning', { message, error }),
    });
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
      spared: 'spared',
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
    const s = await this.sessions.session();
    // This client has no sync(), and a follower may not have applied our
    // commit yet. A write, even one that fails, is ordered after every earlier
    // transaction, so once its reply arrives our server has caught up with
    // the commit if the commit was applied: only then is the read conclusive.
    await s.setData(this.paths.syncProbe, Buffer.alloc(0), -1).catch((err: unknown) => {
      if (!isZkError(err, zookeeper.Exception.NO_NODE)) throw err;
    });
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
      await recordEvent(await this.sessions.session(), this.paths, event);
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
      get options() {
        return self.options;
      },
      observed: this.observed,
      emit: (event, ...args) => self.emit(event, ...args),
      onStop: (cb) => self.onStop(cb),
      readDoneOwner: (b) => self.readDoneOwner(b),
      recordEventSomehow: (event) => self.recordEventSomehow(event),
      countHeartbeat: () => void self.summary.heartbeats++,
      spareAttempt: (a) => void self.toSpare.push(a),
    };
  }

  // ---- the loop ------------------------------------------------------------

  private async loop(job: JobToRun): Promise<RunSummary> {
    let opened = false;
    while (this.state === 'running') {
      try {
        const s = await this.sessions.session();
        if (!opened) {
          await this.open(s, job);
          opened = true;
        }
        await this.gate!.follow(s);
        if (this.registeredOn !== s) await this.register(s);
        await this.gate!.acknowledge(s);
        await this.spareQueued(s);
        // The job's control, before any claim: a drain ends the run (the batch in hand is done by now),
        // a pause waits for the next change without reading the job (a paused fleet costs no reads).
        if (this.gate!.state === 'draining') {
          this.summary.drained = true;
          break;
        }
        if (this.gate!.state === 'paused') {
          this.wakeIdle = new AbortController(); // drain() (SIGTERM) wakes a paused member too
          await this.gate!.waitWhilePaused([s.signal, this.stopSignal.signal, this.wakeIdle.signal]);
          continue;
        }
        const round = await this.round(s);
        if (round.complete) {
          this.summary.complete = true;
          break;
        }
        if (!round.progressed) await this.idleWait(s, round.blocked);
      } catch (err) {
        if (this.state !== 'running') break; // drain()/close() interrupted a wait
        // A job that vanishes after we opened it was deleted under us: stop (JobDeletedError), recreate nothing.
        if (!this.isSessionTrouble(err)) throw opened ? await this.sessions.session().then((now) => explainMissingJob(now, this.paths, err), () => err) : err;
        this.emit('warning', { message: `session trouble, starting a new session: ${(err as Error).message}`, error: err });
        this.sessions.drop();
        await delay(100, this.stopSignal.signal);
      }
    }
    return { ...this.summary };
  }

  /** Opens (or plans) the job; a new job records this processor's settings, an existing one's settings win. */
  private async open(s: ZkSession, job: JobToRun): Promise<void> {
    const spec: JobSpec = { ...job.spec, settings: job.spec.settings ?? jobSettingsOf(this.resolved) };
    const opened = await openJob(s, this.paths.root, spec, job.plan, this.stopSignal.signal);
    const own = this.resolved;
    const { options, differs } = withJobSettings(own, this.opts, opened.spec.settings, this.paths.job);
    this.resolved = options;
    const { staleAfterMs, heartbeatIntervalMs, maxAttempts } = options;
    this.emit('jobSettings', { settings: { staleAfterMs, heartbeatIntervalMs, maxAttempts }, differs });
    if (differs.length > 0) {
      const detail = differs.map((name) => `${name}=${options[name]} (ours: ${own[name]})`).join(', ');
      this.emit('warning', { message: `job ${this.paths.jobId} was created with other settings; using the job's: ${detail}` });
    }
  }

  /**
   * Registers in the live-processors group. A node left by one of our own
   * earlier sessions is replaced; one held by another live session means the
   * processor id is not unique (or a crashed namesake's session has not expired
   * yet): wait up to one session timeout for it to go, then fail.
   */
  private async register(s: ZkSession): Promise<void> {
    const info = { host: hostname(), pid: process.pid, startedAt: Date.now(), controlVersion: this.gate!.appliedVersion };
    const giveUpAt = performance.now() + s.sessionTimeoutMs + 2_000;
    while (!(await registerProcessor(s, this.paths, this.processorId, info))) {
      const stat = await s.exists(this.paths.processor(this.processorId));
      if (stat && this.sessions.isOurs(stat.ephemeralOwner.toString('hex'))) {
        await deregisterProcessor(s, this.paths, this.processorId);
      } else if (performance.now() > giveUpAt) {
        throw new DuplicateProcessorIdError(this.processorId, this.paths.processor(this.processorId));
      } else {
        await delay(200, this.stopSignal.signal);
      }
    }
    this.registeredOn = s;
    this.gate!.registeredWith(s, info);
  }

  private async spareQueued(s: ZkSession): Promise<void> {
    while (this.toSpare.length > 0) {
      const a = this.toSpare[0]!;
      if (await spareAttempt(s, this.paths, this.processorId, a)) this.emit('spared', { batch: a.batch, attempt: a.attempt, reason: a.reason });
      this.toSpare.shift();
    }
  }

  /** One pass: refresh which batches are open (the frontier only, frontier.ts), then try ours (or, when none are left, others'). */
  private async round(s: ZkSession): Promise<{ complete: boolean; progressed: boolean; blocked: number[] }> {
    const p = this.paths;
    const [frontier, live] = await Promise.all([readFrontier(s, p, this.closedSeen), s.getChildren(p.processorsDir)]);
    const plan = frontier.plan;
    const open = frontier.batches.filter((b) => b.state === undefined).map((b) => b.index);
    const openSet = new Set(open);
    this.summary.batchCount = plan.batchCount;
    for (const b of this.observed.keys()) if (!openSet.has(b)) this.observed.delete(b);
    await this.foldClosedPrefix(s, frontier);
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
        // Paused or draining: no new claim (the loop waits or stops).
        if (this.state !== 'running' || !this.gate!.claimsAllowed) return { complete: false, progressed: true, blocked };
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

  /** Folds the frontier's closed prefix into the checkpoint; losing the race to another folder is fine. */
  private async foldClosedPrefix(s: ZkSession, frontier: Frontier): Promise<void> {
    const next = foldedCheckpoint(frontier, this.opts.foldMin);
    if (next) await foldCheckpointIfUnchanged(s, this.paths, next, frontier.checkpointVersion);
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

  // ---- connection state -------------------------------------------------------

  /** What each connection state means for the work loop (the batch in hand follows its session's signal). */
  private onConnectionState(change: ConnectionStateChange): void {
    switch (change.state) {
      case 'connected':
      case 'reconnected':
        if (change.state === 'connected' || change.newSession) {
          this.watching.clear(); // watches die with their session
          this.emit('sessionStarted', { sessionId: change.session.sessionId, timeoutMs: change.session.sessionTimeoutMs });
        }
        break;
      case 'suspended':
        break; // requests wait for the reconnect (session.ts); the session deadline decides when to give up
      case 'lost':
        this.registeredOn = undefined;
        this.emit('sessionLost', { error: change.error ?? new SessionLostError('lost') });
        this.wakeIdle?.abort();
        break;
    }
  }

  private isSessionTrouble(err: unknown): boolean {
    return err instanceof SessionLostError || isAmbiguous(err) || isZkError(err, zookeeper.Exception.SESSION_EXPIRED);
  }

  private fireStop(why: string): void {
    this.stopSignal.abort();
    for (const cb of this.stopCallbacks) cb(why);
  }

  private async shutdown(): Promise<void> {
    const s = this.registeredOn;
    this.gate?.close();
    if (s?.alive && this.jobPaths) await deregisterProcessor(s, this.jobPaths, this.processorId).catch(() => undefined);
    await this.sessions.close();
    this.state = 'closed';
  }
}
