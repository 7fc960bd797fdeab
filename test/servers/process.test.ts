import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, isAlive, spawnServer, stopServer } from '../../src/servers/process.js';

const logged = (file: string): string => { try { return readFileSync(file, 'utf8'); } catch { return ''; } };

describe('server processes', () => {
  it('a started process is stopped by its PID and its output lands in the log file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spamzk-proc-'));
    const logFile = join(dir, 'out.log');
    // A process that ignores SIGTERM proves the SIGKILL fallback too.
    const server = spawnServer({
      name: 'stubborn',
      command: process.execPath,
      args: ['-e', "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)"],
      logFile,
    });
    // Wait for the process's own output rather than a fixed time: a loaded
    // machine can take over a second to start node.
    for (const deadline = Date.now() + 15_000; !logged(logFile).includes('up') && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(isAlive(server.pid)).toBe(true);
    await stopServer(server, 300);
    expect(isAlive(server.pid)).toBe(false);
    expect(readFileSync(logFile, 'utf8')).toContain('up');
  });

  it('free ports are distinct', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
  });
});
