/**
 * Live IMAP limits on an open source against a real Dovecot: what a member
 * does with a `spamzk config set` version (pipeline applyControl -> the
 * source's applyLimits), with no reconnect and no restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlSnapshot } from '../../src/coordination/index.js';
import { applyControl, type Logger } from '../../src/pipeline/index.js';
import type { DovecotServer } from '../../src/servers/dovecot.js';
import { plainSource, startTestDovecot, stopTestDovecot } from '../sources/harness.js';

let server: DovecotServer;

beforeAll(async () => {
  server = await startTestDovecot();
}, 60_000);

afterAll(async () => {
  await stopTestDovecot(server);
});

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

function controlWith(version: number, settings: Record<string, string>): ControlSnapshot {
  return { state: 'running', settings, version, changedAt: Date.now(), by: 'test', mtime: Date.now() };
}

describe('live IMAP limits (Dovecot)', () => {
  it('a new imapRate spaces the next commands of an open source at the new rate, and "unlimited" lifts it', async () => {
    const starts: number[] = [];
    const source = plainSource(server, { requestsPerSecond: 0, observer: { onRequest: ({ at }) => starts.push(at) } });
    await source.open();
    try {
      const applied = applyControl(controlWith(1, { imapRate: '5/s' }), source, silent);
      expect(applied.limits).toMatchObject({ requestsPerSecond: 5 });
      starts.length = 0;
      for (let i = 0; i < 5; i++) await source.listKeys();
      // 5 commands/s: command j starts at least (j - i) x 200 ms after command i (less one slot of timer lateness).
      for (let i = 0; i < starts.length; i++) {
        for (let j = i + 1; j < starts.length; j++) expect(starts[j]! - starts[i]!).toBeGreaterThanOrEqual((j - i) * 200 - 200);
      }
      expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(4 * 200 - 200);
      const lifted = applyControl(controlWith(2, { imapRate: 'unlimited' }), source, silent);
      expect(lifted.limits?.requestsPerSecond).toBe(Number.POSITIVE_INFINITY);
    } finally {
      await source.close();
    }
  }, 60_000);

  it('a smaller imapConnections closes the idle connections above it: later commands share one connection', async () => {
    const used: number[] = [];
    const source = plainSource(server, { maxConnections: 3, observer: { onRequest: ({ connection }) => used.push(connection) } });
    await source.open();
    try {
      await Promise.all(Array.from({ length: 6 }, () => source.listKeys()));
      const before = new Set(used);
      const applied = applyControl(controlWith(1, { imapConnections: '1' }), source, silent);
      expect(applied.limits).toMatchObject({ maxConnections: 1 });
      used.length = 0;
      await Promise.all(Array.from({ length: 6 }, () => source.listKeys()));
      console.log(`connections used: ${before.size} with a pool of 3, ${new Set(used).size} after imapConnections=1`);
      expect(before.size).toBeGreaterThan(1);
      expect(new Set(used).size).toBe(1);
      const grown = applyControl(controlWith(2, { imapConnections: '3' }), source, silent);
      expect(grown.limits).toMatchObject({ maxConnections: 3 });
    } finally {
      await source.close();
    }
  }, 60_000);

  it('settings a member cannot read (written around the CLI) are not applied, and do not throw', async () => {
    const source = plainSource(server, { requestsPerSecond: 7 });
    await source.open();
    try {
      const applied = applyControl(controlWith(3, { imapRate: 'fast' }), source, silent);
      expect(applied.limits).toBeUndefined();
      expect(source.applyLimits({}).requestsPerSecond).toBe(7);
    } finally {
      await source.close();
    }
  }, 60_000);
});
