/**
 * The processors of one chaos round: N real `spamzk processor` processes, each
 * with its own ZooKeeper session. A processor that dies before the job is
 * complete is replaced, as `spamzk replay/run` does (src/pipeline/fleet.ts),
 * so the job completes whatever the fault schedule kills.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/classifier/index.js';

const BIN = join(PACKAGE_ROOT, 'bin', 'spamzk.js');

export interface ChaosFleetOptions {
  readonly processors: number;
  /** Everything after `processor`: the source and the flags. */
  readonly args: readonly string[];
  /** Secrets and settings for the children (never on their command line). */
  readonly env: NodeJS.ProcessEnv;
  /** Every child's stderr is appended here. */
  readonly logFile: string;
  /** A slot whose child died this many times makes the round fail. */
  readonly maxRestartsPerSlot: number;
}

export interface ProcessorExit {
  readonly slot: number;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The processor's last stdout line (its run summary), when it printed one. */
  readonly summary?: { jobId: string; complete: boolean; fenced: number; reclaimed: number; sessionsLost: number };
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

  private runOne(slot: number): Promise<ProcessorExit> {
    const child = spawn(process.execPath, [BIN, 'processor', ...this.opts.args], {
      env: { ...process.env, ...this.opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const member: Member = { slot, child, stopped: false };
    this.members.set(child.pid!, member);
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.on('data', (c: Buffer) => this.log.write(c));
    return new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.members.delete(child.pid!);
        const exit: ProcessorExit = { slot, pid: child.pid!, code, signal, ...summaryOf(stdout) };
        this.exits.push(exit);
        resolve(exit);
      });
    });
  }
}

function summaryOf(stdout: string): { summary?: ProcessorExit['summary'] } {
  const line = stdout.trim().split('\n').pop();
  if (!line) return {};
  try {
    return { summary: JSON.parse(line) as ProcessorExit['summary'] };
  } catch {
    return {};
  }
}
