/**
 * The local part of a fleet: N processor child processes, each with its own
 * ZooKeeper session, so that a machine's cores are all used. A child that
 * dies before the job is complete is replaced (its claims vanish with its
 * session and are taken over by the protocol; the replacement simply joins).
 *
 * When the fleet gives up on one child, it drains the others and waits for
 * them to exit before it fails: whoever runs the fleet may then stop the
 * ZooKeeper it runs on without cutting a processor off mid-batch.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnProcessor, type ChildExit, type ChildOrder, type ProcessorRunSummary } from './child-protocol.js';
import type { Logger, LogLevel, MetricsEndpoint, ProcessorSettings } from './settings.js';

/** How many times one slot's child is replaced after dying, unless told otherwise. */
export const DEFAULT_MAX_RESTARTS = 3;

/** Exit codes after which a replacement would fail the same way (bad config, unreachable or changed source). */
const DETERMINISTIC_EXITS = new Set([2, 3]);

/** A processor stopped for a reason a replacement would hit too; the run ends with its exit code. */
export class ProcessorStoppedError extends Error {
  readonly code = 'PROCESSOR_STOPPED';
  constructor(
    readonly slot: number,
    readonly exitCode: number,
  ) {
    super(`processor ${slot} stopped with exit code ${exitCode} (its message is above); the job is not complete`);
    this.name = 'ProcessorStoppedError';
  }
}

/** One slot's child kept dying; the fleet gave up on it. */
export class ProcessorGaveUpError extends Error {
  readonly code = 'PROCESSOR_GAVE_UP';
  constructor(slot: number, exits: number, last: string) {
    super(`processor ${slot} exited with ${last} ${exits} times; giving up (see its log above)`);
    this.name = 'ProcessorGaveUpError';
  }
}

export interface FleetOptions {
  readonly processors: number;
  readonly settings: ProcessorSettings;
  readonly jobId: string;
  readonly log: Logger;
  readonly childLogLevel: LogLevel;
  /** How many times one slot's child may be replaced after dying. */
  readonly maxRestarts?: number;
  /** Child k serves /metrics on `port + k` (a replacement reuses its slot's port). */
  readonly metrics?: MetricsEndpoint;
  /** What to run instead of `spamzk processor` (tests). */
  readonly command?: readonly string[];
  /** The fixture's saved scan, handed to every child (see ChildOrder.fixtureIndex). */
  readonly fixtureIndex?: string;
}

export interface FleetOutcome {
  readonly summaries: ProcessorRunSummary[];
  readonly restarts: number;
}

export class LocalFleet {
  private readonly children = new Set<ChildProcess>();
  private stopping = false;

  constructor(private readonly opts: FleetOptions) {}

  /** Runs the processors until each has exited after the job completed; on failure, until all have exited. */
  async run(): Promise<FleetOutcome> {
    const summaries: ProcessorRunSummary[] = [];
    let restarts = 0;
    let failure: Error | undefined;
    const runSlot = async (slot: number): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        const exit = await this.runChild(slot);
        if (exit.summary) summaries.push(exit.summary);
        if (exit.code === 0 || this.stopping) return;
        const reason = this.giveUpReason(slot, exit, attempt);
        if (reason) {
          failure ??= reason;
          this.drain();
          return;
        }
        restarts++;
        this.opts.log.warn({ slot, code: exit.code, signal: exit.signal }, 'processor exited before the job completed; starting a replacement');
      }
    };
    await Promise.all(Array.from({ length: this.opts.processors }, (_, slot) => runSlot(slot)));
    if (failure) throw failure;
    return { summaries, restarts };
  }

  /** Asks every child to drain (SIGTERM: finish or release the batch in hand). */
  drain(): void {
    this.stopping = true;
    for (const child of this.children) child.kill('SIGTERM');
  }

  private giveUpReason(slot: number, exit: ChildExit, attempt: number): Error | undefined {
    if (exit.code !== null && DETERMINISTIC_EXITS.has(exit.code)) return new ProcessorStoppedError(slot, exit.code);
    if (attempt >= (this.opts.maxRestarts ?? DEFAULT_MAX_RESTARTS)) return new ProcessorGaveUpError(slot, attempt + 1, exit.signal ?? `code ${exit.code}`);
    return undefined;
  }

  private async runChild(slot: number): Promise<ChildExit> {
    const metrics = this.opts.metrics ? { metrics: { host: this.opts.metrics.host, port: this.opts.metrics.port + slot } } : {};
    const index = this.opts.fixtureIndex ? { fixtureIndex: this.opts.fixtureIndex } : {};
    const order: ChildOrder = { settings: this.opts.settings, jobId: this.opts.jobId, logLevel: this.opts.childLogLevel, ...metrics, ...index };
    const { child, exited } = spawnProcessor(order, { stderr: 'inherit', ...(this.opts.command ? { command: this.opts.command } : {}) });
    this.children.add(child);
    // A drain that began while this child was starting must reach it too.
    if (this.stopping) child.kill('SIGTERM');
    const exit = await exited;
    this.children.delete(child);
    if (exit.summaryError) this.opts.log.warn({ slot, err: exit.summaryError }, 'processor summary unreadable');
    return exit;
  }
}
