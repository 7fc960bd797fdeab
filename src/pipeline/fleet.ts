/**
 * The local part of a fleet: N processor child processes, each with its own
 * ZooKeeper session, so that a machine's cores are all used. A child that
 * dies before the job is complete is replaced (its claims vanish with its
 * session and are taken over by the protocol; the replacement simply joins).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../cli/logger.js';
import type { RunConfig } from '../cli/config.js';
import type { ProcessorRunSummary } from './processor-run.js';

/** Environment variables carrying the resolved (secret-free) config and the job id to children. */
export const CHILD_CONFIG_ENV = 'SPAMZK_CHILD_CONFIG';
export const CHILD_JOB_ENV = 'SPAMZK_CHILD_JOB';

/** Exit codes after which a replacement would fail the same way (bad config, unreachable or changed source). */
const DETERMINISTIC_EXITS = new Set([2, 3]);

const BIN = fileURLToPath(new URL('../../../bin/spamzk.js', import.meta.url));

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

export interface FleetOptions {
  readonly processors: number;
  readonly config: RunConfig;
  readonly sourceLocation: string;
  readonly connectString: string;
  readonly jobId: string;
  readonly log: Logger;
  /** Log level for the children (quieter while a progress bar is drawn). */
  readonly childLogLevel: string;
  /** How many times one slot's child may be replaced after dying. */
  readonly maxRestarts?: number;
}

export interface FleetOutcome {
  readonly summaries: ProcessorRunSummary[];
  readonly restarts: number;
}

export class LocalFleet {
  private readonly children = new Set<ChildProcess>();
  private stopping = false;

  constructor(private readonly opts: FleetOptions) {}

  /** Runs the processors until each has exited after the job completed. */
  async run(): Promise<FleetOutcome> {
    const summaries: ProcessorRunSummary[] = [];
    let restarts = 0;
    const slots = Array.from({ length: this.opts.processors }, async (_, slot) => {
      for (let attempt = 0; ; attempt++) {
        const { code, signal, summary } = await this.runChild(slot);
        if (summary) summaries.push(summary);
        if (code === 0 || this.stopping) return;
        if (code !== null && DETERMINISTIC_EXITS.has(code)) {
          this.drain();
          throw new ProcessorStoppedError(slot, code);
        }
        if (attempt >= (this.opts.maxRestarts ?? 3)) {
          throw new Error(`processor ${slot} exited with ${signal ?? `code ${code}`} ${attempt + 1} times; giving up (see its log above)`);
        }
        restarts++;
        this.opts.log.warn({ slot, code, signal }, 'processor exited before the job completed; starting a replacement');
      }
    });
    await Promise.all(slots);
    return { summaries, restarts };
  }

  /** Asks every child to drain (SIGTERM: finish or release the batch in hand). */
  drain(): void {
    this.stopping = true;
    for (const child of this.children) child.kill('SIGTERM');
  }

  private runChild(slot: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; summary?: ProcessorRunSummary }> {
    const { config, connectString } = this.opts;
    const child = spawn(process.execPath, [BIN, 'processor', this.opts.sourceLocation], {
      // Secrets (SPAMZK_IMAP_PASSWORD, SPAMZK_ZK_AUTH) travel in the inherited
      // environment, never on the command line where `ps` would show them.
      env: {
        ...process.env,
        [CHILD_CONFIG_ENV]: JSON.stringify({ ...config, zk: connectString, logLevel: this.opts.childLogLevel }),
        [CHILD_JOB_ENV]: this.opts.jobId,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.children.add(child);
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    return new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.children.delete(child);
        resolve({ code, signal, summary: lastJsonLine(stdout) as ProcessorRunSummary | undefined });
      });
    });
  }
}

function lastJsonLine(text: string): unknown {
  const line = text.trim().split('\n').pop();
  if (!line) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
