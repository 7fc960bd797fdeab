/**
 * The malformed-mail corpus (scripts/malformed/catalogue.ts) replayed through
 * the real CLI against a real ZooKeeper: broken MIME, bad encodings, lying
 * charsets, NUL bytes, truncation, 1000-level nesting, 10 MB lines and 20 MB
 * attachments. Nothing is lost: each message gets a verdict (with a note when
 * only part of it could be read) or a reason, and no batch is quarantined.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { ensureMalformedCorpus, LARGE_DIR, SMALL_DIR } from '../../scripts/build-malformed-corpus.js';
import { parseReport, runCli, type ParsedReport } from '../pipeline/harness.js';
import { tempDirs } from '../support/temp-dirs.js';

/** What the classifier reads of one message; larger ones must say so in a note. */
const SIZE_CAP = 1024 * 1024;

let zk: ZooKeeperCluster;

const temp = tempDirs();
const tempDir = temp.make;

beforeAll(async () => {
  ensureMalformedCorpus();
  zk = await startZooKeeper({ nodes: 1 });
});

afterAll(async () => {
  await zk?.stop();
  temp.removeAll();
});

interface ManifestEntry {
  file: string;
  defect: string;
  size: number;
}

function manifest(dir: string): ManifestEntry[] {
  return readFileSync(join(dir, '.manifest.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [file, defect] = l.split('\t') as [string, string];
      return { file, defect, size: statSync(join(dir, file)).size };
    });
}

async function replay(dir: string, root: string): Promise<{ report: ParsedReport & { quarantined: unknown[] }; stderr: string; wallMs: number }> {
  const started = Date.now();
  const result = await runCli([
    'replay', dir, '--zk', zk.connectString, '--zk-root', root,
    '--processors', '2', '--batch-size', '10', '--json', '--report-dir', tempDir('spamzk-malformed-report-'),
  ]);
  expect(result.code, result.stderr).toBe(0);
  return { report: parseReport(result.stdout) as ParsedReport & { quarantined: unknown[] }, stderr: result.stderr, wallMs: Date.now() - started };
}

/** Each manifest entry (key = its position: the fixture's order is the file-name order) has a verdict or a reason. */
function expectEveryMessageAccountedFor(report: ParsedReport, entries: ManifestEntry[]): void {
  expect(report.totals.messages).toBe(entries.length);
  expect(report.verdicts.map((v) => v.key)).toEqual(entries.map((_, i) => i + 1));
  entries.forEach((entry, i) => {
    const v = report.verdicts[i]!;
    const what = `${entry.file} (${entry.defect}): ${JSON.stringify(v)}`;
    if (v.verdict === 'failed') {
      expect(v.reason, what).toMatch(/\S/);
    } else {
      expect(['spam', 'ham', 'unsure'], what).toContain(v.verdict);
      expect(v.score, what).toBeGreaterThanOrEqual(0);
      expect(v.score, what).toBeLessThanOrEqual(1);
    }
    if (entry.size > SIZE_CAP) expect((v as { note?: string }).note, what).toMatch(/size cap/);
  });
}

/** A failed message must not take its batch with it: its batch-mates were classified. */
function expectFailuresAlone(report: ParsedReport): void {
  for (const failed of report.verdicts.filter((v) => v.verdict === 'failed')) {
    const mates = report.verdicts.filter((v) => v.batch === failed.batch && v.key !== failed.key);
    expect(mates.some((m) => m.verdict !== 'failed'), `batch ${failed.batch} failed entirely`).toBe(true);
  }
}

function expectNoCrash(report: ParsedReport & { quarantined: unknown[] }, stderr: string): void {
  expect(report.quarantined).toEqual([]);
  expect(report.integrity.ok).toBe(true);
  // A processor that crashed or hung would have been replaced, or logged at error level.
  expect(stderr).not.toMatch(/starting a replacement|"level":(50|60)/);
}

describe('the malformed-mail corpus through spamzk replay', () => {
  it('the committed corpus has at least 100 crafted messages, each with what is wrong', () => {
    const entries = manifest(SMALL_DIR);
    expect(entries.length).toBeGreaterThanOrEqual(100);
    expect(readdirSync(SMALL_DIR).filter((f) => f.endsWith('.eml')).length).toBe(entries.length);
    expect(entries.every((e) => e.defect.length > 5)).toBe(true);
    expect(entries.reduce((s, e) => s + e.size, 0)).toBeLessThan(2 * 1024 * 1024);
  });

  it('every small malformed message gets a verdict or a reason; no batch is quarantined', async () => {
    const entries = manifest(SMALL_DIR);
    const { report, stderr } = await replay(SMALL_DIR, '/malformed-small');
    expectEveryMessageAccountedFor(report, entries);
    expectFailuresAlone(report);
    expectNoCrash(report, stderr);
    // Partial input is flagged, not hidden: e.g. the 1000-level nesting.
    const deep = entries.findIndex((e) => e.file.includes('nesting-1000-multipart'));
    expect((report.verdicts[deep] as { note?: string }).note).toMatch(/nesting/i);
  });

  it('10 MB lines and 20 MB attachments are classified from their first megabyte, with a note', async () => {
    const entries = manifest(LARGE_DIR);
    expect(entries.some((e) => e.size >= 20 * 1024 * 1024)).toBe(true);
    expect(entries.some((e) => e.size >= 10 * 1024 * 1024)).toBe(true);
    const { report, stderr } = await replay(LARGE_DIR, '/malformed-large');
    expectEveryMessageAccountedFor(report, entries);
    expectNoCrash(report, stderr);
  });
});
