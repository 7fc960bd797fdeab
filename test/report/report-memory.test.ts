/**
 * The report holds a job's verdicts once, in their committed form, and only
 * one batch of them as objects at a time (issue 12 item 6). Proved
 * structurally, not by timing or RSS: the outcome groups below revoke every
 * outcome they handed out as soon as the next group is asked for, so a
 * report that kept an outcome past its batch (a list of all verdicts, a
 * sorted copy, a flagged row that is not a copy) throws when it reads it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { Batch, DoneMarker } from '../../src/coordination/index.js';
import { encodeBatchResult } from '../../src/pipeline/index.js';
import { reportInputFrom } from '../../src/pipeline/gather.js';
import {
  buildReport,
  renderHtml,
  renderMarkdown,
  writeReportFiles,
  writeReportJson,
  type BatchCommit,
  type MessageOutcome,
  type OutcomeGroups,
  type ReportInput,
} from '../../src/report/index.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/**
 * Outcome groups that hand out proxies and revoke them all when another
 * group is asked for (for disjoint batches, where the report never needs two
 * at once); with `revoke: false` they only count the calls.
 */
class RevokingGroups implements OutcomeGroups {
  calls = 0;
  maxLive = 0;
  private revokers: (() => void)[] = [];

  constructor(
    private readonly data: readonly (readonly MessageOutcome[])[],
    private readonly revoke = true,
  ) {}

  get groupCount(): number {
    return this.data.length;
  }

  group(index: number): readonly MessageOutcome[] {
    this.calls++;
    if (this.revoke) for (const revoke of this.revokers) revoke();
    this.revokers = [];
    const handed = this.data[index]!.map((o) => {
      const { proxy, revoke } = Proxy.revocable({ ...o }, {});
      this.revokers.push(revoke);
      return proxy as MessageOutcome;
    });
    this.maxLive = Math.max(this.maxLive, handed.length);
    return handed;
  }
}

function outcome(key: number, batch: number, processor: string, i: number): MessageOutcome {
  const label = i % 5 === 0 ? {} : { label: i % 2 === 0 ? ('spam' as const) : ('ham' as const) };
  if (i % 97 === 0) return { key, batch, processor, verdict: 'failed', score: null, reason: `timeout ${i}`, ...label };
  const score = (i * 37) % 1000 / 1000;
  const verdict = score >= 0.8 ? 'spam' : score >= 0.6 ? 'unsure' : 'ham';
  return { key, batch, processor, verdict, score, ...label, ...(i % 211 === 0 ? { note: 'body truncated' } : {}), subject: `s${key}`, from: `f${key}@example.org` };
}

/** A job of `batches` disjoint batches of `size` messages, and its commits. */
function healthyJob(batches: number, size: number): { data: MessageOutcome[][]; commits: BatchCommit[] } {
  const data: MessageOutcome[][] = [];
  const commits: BatchCommit[] = [];
  for (let b = 0; b < batches; b++) {
    const processor = `p${b % 3}`;
    data.push(Array.from({ length: size }, (_, j) => outcome(b * size + j + 1, b, processor, b * size + j)));
    commits.push({ batch: b, first: b * size + 1, last: (b + 1) * size, messages: size, processor, claimSeq: b, attempts: 1, committedAt: 1_000_000 + b * 10, durationMs: 8 });
  }
  return { data, commits };
}

function inputOf(outcomes: ReportInput['outcomes'], commits: BatchCommit[], batches: number, messages: number): ReportInput {
  return {
    job: { jobId: 'mem', source: 'maildir:/x', modelId: 'm', batchSize: 40, batches, createdAt: 999_000, complete: true, expectedMessages: messages },
    outcomes,
    commits,
    reclaims: [],
    fencedCommits: [],
    quarantined: [],
  };
}

async function jsonText(report: ReturnType<typeof buildReport>): Promise<string> {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.setEncoding('utf8').on('data', (c: string) => chunks.push(c));
  await writeReportJson(report, out);
  return chunks.join('');
}

describe('the report of a job walks its verdicts batch by batch', () => {
  it('never keeps an outcome past its batch: building, report.json, report.md and report.html read each batch while it is the only one handed out', async () => {
    const { data, commits } = healthyJob(300, 40);
    const groups = new RevokingGroups(data);
    const report = buildReport(inputOf(groups, commits, 300, 12_000));
    expect(groups.calls).toBe(300); // one walk folds every tally, the flagged rows included
    const dir = await mkdtemp(join(tmpdir(), 'spamzk-report-memory-'));
    dirs.push(dir);
    const files = await writeReportFiles(report, dir); // would throw on a revoked outcome
    expect(groups.calls).toBe(600); // and one walk lists the verdicts in report.json
    expect(groups.maxLive).toBe(40);

    const written = JSON.parse(await readFile(files.json, 'utf8')) as { verdicts: MessageOutcome[]; totals: { messages: number } };
    expect(written.totals.messages).toBe(12_000);
    expect(written.verdicts.map((v) => v.key)).toEqual(Array.from({ length: 12_000 }, (_, i) => i + 1));
    expect(written.verdicts[4_001]).toEqual(JSON.parse(JSON.stringify(data[100]![1]!)));
    expect(report.integrity.ok).toBe(true);
    expect(report.verdicts.flagged.rows).toHaveLength(500);
    expect(await readFile(files.md, 'utf8')).toBe(renderMarkdown(report)); // flagged rows are the report's own copies
    expect(await readFile(files.html, 'utf8')).toBe(renderHtml(report));
  });

  it('lists the same report from groups as from one array of the same outcomes, with batches committed twice, keys outside their batch and repeated keys', async () => {
    const { data, commits } = healthyJob(60, 40);
    // Batch 7 committed again by another processor (a fenced commit that got through would look so).
    data.push(data[7]!.map((o, i) => ({ ...outcome(o.key, 7, 'p9', i * 13), key: o.key })));
    commits.push({ ...commits[7]!, processor: 'p9', claimSeq: 900 });
    // A key far outside its batch, and a batch repeating its own key.
    data[20]!.push(outcome(3, 20, 'p2', 5));
    const repeated = data[30]![9]!.key;
    data[30]!.splice(5, 0, outcome(repeated, 30, 'p0', 6));
    data.reverse(); // ZooKeeper lists done markers in no particular order
    const messages = data.reduce((n, g) => n + g.length, 0);
    const fromGroups = buildReport(inputOf(new RevokingGroups(data, false), commits, 60, messages));
    const fromArray = buildReport(inputOf(data.flat(), commits, 60, messages));
    expect(JSON.stringify(fromGroups)).toBe(JSON.stringify(fromArray));
    expect(await jsonText(fromGroups)).toBe(await jsonText(fromArray));
    expect(renderMarkdown(fromGroups)).toBe(renderMarkdown(fromArray));
    const batch7 = Array.from({ length: 40 }, (_, i) => 7 * 40 + i + 1);
    expect(fromGroups.integrity.duplicateKeys.map((d) => d.key)).toEqual([3, ...batch7, repeated].sort((a, b) => a - b).slice(0, 20));
    expect(fromGroups.integrity.duplicateKeys[0]).toEqual({ key: 3, count: 2, batches: [0, 20] });
    expect(fromGroups.integrity.checks.find((c) => c.name === 'unique-keys')?.detail).toMatch(/^keys with more than one outcome \(42\)/);
  });

  it('lists verdicts as a stable sort by key, batch and processor would, and keeps the 500 flagged rows a full sort would', () => {
    // Random overlapping groups with many ties, checked against sorting everything.
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    const data: MessageOutcome[][] = Array.from({ length: 80 }, (_, g) =>
      Array.from({ length: 1 + random(30) }, (_, i): MessageOutcome => {
        const key = random(400) + 1;
        return { key, batch: random(5), processor: `p${random(2)}`, verdict: random(3) === 0 ? 'unsure' : 'spam', score: random(4) / 4, subject: `g${g}i${i}` };
      }),
    );
    const all = data.flat();
    const report = buildReport(inputOf(new RevokingGroups(data, false), [], 0, all.length));
    const byKey = (a: MessageOutcome, b: MessageOutcome): number => a.key - b.key || a.batch - b.batch || (a.processor < b.processor ? -1 : a.processor > b.processor ? 1 : 0);
    const sorted = [...all].sort(byKey);
    expect([...report.verdicts].map((v) => v.subject)).toEqual(sorted.map((v) => v.subject));
    const flagged = [...sorted].sort((a, b) => (b.score ?? 0) - (a.score ?? 0) || a.key - b.key).slice(0, 500);
    expect(report.verdicts.flagged.rows.map((v) => v.subject)).toEqual(flagged.map((v) => v.subject));
    expect(report.verdicts.flagged.total).toBe(all.length);
  });

  it('gathers a job as one group per done marker, decoded afresh on each walk: the input holds the compressed markers, no outcome list', () => {
    const batches: Batch[] = [];
    const done: DoneMarker[] = [];
    for (let b = 0; b < 50; b++) {
      batches.push({ index: b, first: b * 10 + 1, last: b * 10 + 10, count: 10 });
      const messages = Array.from({ length: 10 }, (_, j) => ({ key: b * 10 + j + 1, verdict: 'ham' as const, score: 0 }));
      done.push({ batch: b, processorId: 'p', claimSeq: b, attempt: 1, claimedAt: 1, committedAt: 2, result: encodeBatchResult({ messages, fetchMs: 1, classifyMs: 1, stallMs: 0 }) });
    }
    const spec = { jobId: 'g', sourceId: 's', modelId: 'm', batchSize: 10 };
    const input = reportInputFrom('g', { spec, plan: { batchCount: 50, ready: true, version: 1 }, batches, done, quarantine: [], events: [] });
    expect(Array.isArray(input.outcomes)).toBe(false);
    const groups = input.outcomes as OutcomeGroups;
    expect(groups.groupCount).toBe(50);
    expect(groups.group(3)[0]).not.toBe(groups.group(3)[0]); // built anew each time: nothing cached
    expect(groups.group(3)[0]).toEqual({ key: 31, verdict: 'ham', score: 0, batch: 3, processor: 'p' });
    expect(buildReport(input).verdicts.length).toBe(500);
  });
});
