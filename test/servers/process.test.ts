import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, isAlive, spawnServer, stopServer } from '../../src/servers/process.js';

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
    await new Promise((r) => setTimeout(r, 300));
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
