/**
 * The one place that spawns and stops the private servers this project runs
 * (ZooKeeper, Dovecot). Every server binds 127.0.0.1 only, writes its output to
 * a log file (a server whose stdio is a pipe nobody drains can block, and a
 * caller waiting for its output may never return), and is stopped by the PID we
 * started: never by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { delay } from '../shared/delay.js';

export class ServerStartError extends Error {
  readonly code = 'SERVER_START_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'ServerStartError';
  }
}

export interface SpawnedServer {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited (with its code or signal). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts a server process with stdio going to `logFile`. */
export function spawnServer(opts: SpawnOptions): SpawnedServer {
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) {
    throw new ServerStartError(`${opts.name}: could not start ${opts.command} (see ${opts.logFile})`);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // A spawn error (ENOENT) arrives as an event; it is reported through `exited`.
  child.once('error', () => undefined);
  return { name: opts.name, pid: child.pid, logFile: opts.logFile, child, exited };
}

/**
 * Stops a process we started: SIGTERM, then SIGKILL after `graceMs`.
 * Resolves once it has exited. Safe to call twice.
 */
export async function stopServer(server: SpawnedServer, graceMs = 5_000): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  try {
    await server.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Stops a process by a PID read from a pid file (for servers started by another process). */
export async function stopPid(pid: number, graceMs = 5_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await delay(50);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await delay(20);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Sends `text` to 127.0.0.1:port and returns what the server says before closing. */
export function askTcp(port: number, text: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`127.0.0.1:${port} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.connect(port, '127.0.0.1', () => socket.end(text));
  });
}

/** Polls `probe` until it returns true, or throws naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new ServerStartError(`${what} not ready after ${Math.round(timeoutMs / 1000)} s`);
    await delay(100);
  }
}

