/**
 * The processors of one chaos round: N real `spamzk processor` processes, each
 * with its own ZooKeeper session, started through the pipeline's child
 * protocol (src/pipeline/child-protocol.ts), as `spamzk replay/run` starts
 * them. A processor that dies before the job is complete is replaced, so the
 * job completes whatever the fault schedule kills. Unlike the local fleet, it
 * replaces a processor whatever its exit code (an IMAP cut makes one exit 3),
 * and keeps every exit for the round's table.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { spawnProcessor, type ChildExit, type ChildOrder } from '../../src/pipeline/index.js';

export interface ChaosFleetOptions {
  readonly processors: number;
  /** What each processor is told (no secret in it). */
  readonly order: ChildOrder;
  /** Secrets for the children: added to their inherited environment, never on their command line. */
  readonly env: NodeJS.ProcessEnv;
  /** Every child's stderr is appended here. */
  readonly logFile: string;
  /** A slot whose child died this many times makes the round fail. */
  readonly maxRestartsPerSlot: number;
}

export interface ProcessorExit extends ChildExit {
  readonly slot: number;
}

interface Member {
  readonly slot: number;
  readonly child: ChildProcess;
  stopped: boolean;
}

export class ChaosFleet {
  private readonly members = new Map<number, Member>();
  readonly exits: ProcessorExit[] = [];
  replaced = 0;
  private readonly log: WriteStream;
  private closing = false;

  constructor(private readonly opts: ChaosFleetOptions) {
    this.log = createWriteStream(opts.logFile, { flags: 'a' });
  }

  /** Runs until every slot's processor has exited 0 (the job is complete). */
  async run(): Promise<void> {
    const slots = Array.from({ length: this.opts.processors }, async (_, slot) => {
      for (let restarts = 0; ; restarts++) {
        const exit = await this.runOne(slot);
        if ((exit.code === 0 && exit.summary?.complete) || this.closing) return;
        if (restarts >= this.opts.maxRestartsPerSlot) {
          throw new Error(`processor slot ${slot} died ${restarts + 1} times (last: ${exit.signal ?? `exit ${exit.code}`}); see ${this.opts.logFile}`);
        }
        this.replaced++;
      }
    });
    await Promise.all(slots);
  }

  /** Processors that are running and not paused: what a kill or a pause may hit. */
  runningPids(): number[] {
    return [...this.members.values()].filter((m) => !m.stopped).map((m) => m.child.pid!);
  }

  get size(): number {
    return this.members.size;
  }

  /** Every live child's pid (paused ones included). */
  pids(): number[] {
    return [...this.members.values()].map((m) => m.child.pid!);
  }

  signal(pid: number, signal: NodeJS.Signals): boolean {
    const member = [...this.members.values()].find((m) => m.child.pid === pid);
    if (!member) return false;
    if (signal === 'SIGSTOP') member.stopped = true;
    if (signal === 'SIGCONT') member.stopped = false;
    return member.child.kill(signal);
  }

  /** Kills what is left (a failed round): resumed first, so a paused child can die. */
  async close(): Promise<void> {
    this.closing = true;
    const left = [...this.members.values()];
    for (const m of left) {
      m.child.kill('SIGCONT');
      m.child.kill('SIGKILL');
    }
    await Promise.all(left.map((m) => new Promise((r) => (m.child.exitCode !== null || m.child.signalCode !== null ? r(undefined) : m.child.once('exit', r)))));
    await new Promise((r) => this.log.end(r));
  }

  private async runOne(slot: number): Promise<ProcessorExit> {
    const { child, exited } = spawnProcessor(this.opts.order, { env: this.opts.env, stderr: (chunk) => this.log.write(chunk) });
    this.members.set(child.pid!, { slot, child, stopped: false });
    const exit = await exited;
    this.members.delete(exit.pid);
    if (exit.summaryError) this.log.write(`chaos fleet: processor ${exit.pid} printed an unreadable summary: ${exit.summaryError}\n`);
    const recorded: ProcessorExit = { slot, ...exit };
    this.exits.push(recorded);
    return recorded;
  }
}
