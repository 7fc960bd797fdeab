/**
 * Runs the real CLI (bin/spamzk.js, compiled by scripts/setup.sh) in a folder
 * and a TMPDIR of the test's own, so a test can tell whether a command left
 * anything behind (a reports folder, a ZooKeeper data dir) and whether it
 * returned at once.
 */
import { spawn } from 'node:child_process';
import { SPAMZK_BIN } from '../../src/shared/index.js';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface CliOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** SIGKILL after this long (a hang is a failure, not a wait). */
  readonly killAfterMs?: number;
}

export function runCliIn(args: readonly string[], opts: CliOptions): Promise<CliRun> & { pid: number } {
  const started = Date.now();
  const child = spawn(process.execPath, [SPAMZK_BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, SPAMZK_LOG_LEVEL: 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 60_000);
  const done = new Promise<CliRun>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    }),
  );
  return Object.assign(done, { pid: child.pid! });
}
