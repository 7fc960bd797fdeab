/**
 * scripts/zookeeper.ts: starts detached servers that outlive the command,
 * records their PIDs, and stops exactly those PIDs.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isAlive, stopPid } from '../../src/servers/process.js';
import { zkMode } from '../../src/servers/zookeeper.js';
import { PACKAGE_ROOT } from '../../src/shared/index.js';

const run = promisify(execFile);
const SCRIPT = join(PACKAGE_ROOT, 'scripts', 'zookeeper.ts');
const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { timeout: 60_000 });

describe('scripts/zookeeper.ts', () => {
  it('start prints the connect string of a serving server that outlives the command; stop ends exactly its PID', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spamzk-zkcli-'));
    const { stdout } = await cli('start', '--nodes', '1', '--tick-ms', '500', '--dir', dir);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { connectString: string; nodes: { pid: number; clientPort: number }[] };
    try {
      expect(stdout.trim()).toBe(state.connectString);
      expect(state.connectString).toMatch(/^127\.0\.0\.1:\d+$/);
      const [node] = state.nodes;
      expect(isAlive(node!.pid)).toBe(true);
      expect(await zkMode(node!.clientPort)).toBe('standalone');
      await expect(cli('start', '--dir', dir)).rejects.toMatchObject({ stderr: expect.stringContaining('still running') });
      await cli('stop', '--dir', dir);
      expect(isAlive(node!.pid)).toBe(false);
      expect(existsSync(join(dir, 'state.json'))).toBe(false);
    } finally {
      await Promise.all(state.nodes.map((n) => stopPid(n.pid)));
    }
  });
});
