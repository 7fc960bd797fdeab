/**
 * The short chaos run as a test: real 3-node ZooKeeper, real Dovecot, real
 * `spamzk processor` processes, every fault kind injected, then audited.
 * scripts/chaos.ts does the work; this test holds it to its promise.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/shared/index.js';

const ROOT = PACKAGE_ROOT;
const FAULT_KINDS = ['kill', 'stop', 'zk-leader', 'dovecot', 'imap-cut', 'imap-hang'] as const;

interface ChaosSummary {
  ok: boolean;
  rounds: { round: number; faults: Record<string, number>; audit: { ok: boolean; problems: string[] } }[];
  total: {
    faults: Record<string, number>;
    audit: { messages: number; missing: number; doubleCommitted: number; wrongVerdicts: number; fencedButStored: number; quarantined: number; uncommittedBatches: number; reportAgrees: boolean; problems: string[] };
  };
}

function runChaos(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [`${ROOT}/node_modules/tsx/dist/cli.mjs`, 'scripts/chaos.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('chaos run (short)', () => {
  it('under every fault kind, every message gets exactly one verdict, equal to the model alone', async () => {
    const result = await runChaos(['--quick', '--json', '--seed', '20261122']);
    const summary = JSON.parse(result.stdout.trim().split('\n').pop()!) as ChaosSummary;
    const audit = summary.total.audit;
    expect(audit.problems, result.stderr).toEqual([]);
    expect(audit.messages).toBe(2 * 1241);
    expect(audit.missing).toBe(0);
    expect(audit.doubleCommitted).toBe(0);
    expect(audit.wrongVerdicts).toBe(0);
    expect(audit.fencedButStored).toBe(0);
    expect(audit.uncommittedBatches).toBe(0);
    expect(audit.quarantined).toBe(0);
    expect(audit.reportAgrees).toBe(true);
    // The faults really happened: each kind hit something at least once.
    for (const kind of FAULT_KINDS) expect(summary.total.faults[kind], kind).toBeGreaterThan(0);
    expect(summary.ok).toBe(true);
    expect(result.code).toBe(0);
  }, 180_000);
});
