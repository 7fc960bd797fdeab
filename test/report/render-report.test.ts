import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildReport,
  renderHtml,
  renderMarkdown,
  writeReportFiles,
  type MessageOutcome,
} from '../../src/report/index.js';
import { fixtureInput, QUARANTINE_ERROR, SCRIPT_REASON } from './job-fixture.js';

const report = buildReport(fixtureInput());

describe('report.html', () => {
  const page = renderHtml(report);

  it('is one self-contained file: no script, no external resource', () => {
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/src="http/i);
    expect(page).not.toMatch(/<link\b/i);
    expect(page).not.toMatch(/@import|url\(/i);
    expect(page).not.toMatch(/https?:\/\//i);
  });

  it('escapes message-derived text, so a reason cannot inject markup', () => {
    expect(page).toContain('malformed MIME: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; an unterminated boundary');
    expect(page).not.toContain(SCRIPT_REASON);
    expect(page).toContain('RangeError &lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<img');
  });

  it('escapes processor ids and job fields too, including inside the SVG charts', () => {
    const input = fixtureInput();
    const evil = '"><svg onload=alert(1)>';
    const renamed = buildReport({
      ...input,
      job: { ...input.job, jobId: '<b>job</b>' },
      outcomes: input.outcomes.map((o) => (o.processor === 'proc-a' ? { ...o, processor: evil } : o)),
      commits: input.commits.map((c) => (c.processor === 'proc-a' ? { ...c, processor: evil } : c)),
    });
    const html = renderHtml(renamed);
    expect(html).not.toContain(evil);
    expect(html).not.toContain('<b>job</b>');
    expect(html).toContain('&quot;&gt;&lt;svg onload=alert(1)&gt;');
    expect(html.match(/<svg /g)).toHaveLength(3);
  });

  it('draws the verdict bar chart, the score histogram and a throughput line per processor', () => {
    expect(page.match(/<svg /g)).toHaveLength(3);
    expect(page).toContain('<title>Verdicts</title>');
    expect(page).toMatch(/<title>spam: 13<\/title>/);
    expect(page).toMatch(/<title>ham: 51<\/title>/);
    expect(page).toContain('<title>Score histogram</title>');
    expect(page).toContain('<title>labelled spam, score 0.95–1.00: 12</title>');
    for (const p of ['proc-a', 'proc-b', 'proc-c']) expect(page).toMatch(new RegExp(`<polyline [^>]+><title>${p}</title>`));
    expect(page.match(/<polyline /g)).toHaveLength(3);
  });

  it('switches the score histogram to a log scale when one bin dwarfs the others', () => {
    expect(page).toContain('>messages</text>');
    expect(page).not.toContain('log scale');
    const input = fixtureInput();
    const clearHam = Array.from({ length: 2000 }, (_, i): MessageOutcome =>
      ({ key: 1000 + i, batch: 9, processor: 'proc-a', verdict: 'ham', score: 0.01, label: 'ham' }));
    const skewed = renderHtml(buildReport({ ...input, outcomes: [...input.outcomes, ...clearHam] }));
    expect(skewed).toContain('>messages (log scale)</text>');
    expect(skewed).toContain('<title>labelled spam, score 0.10–0.15: 1</title>');
  });

  it('puts the integrity table first when a check failed, last when all passed', () => {
    expect(page.indexOf('<h2>Integrity</h2>')).toBeGreaterThan(page.indexOf('<h2>Charts</h2>'));
    const input = fixtureInput();
    const dup: MessageOutcome = { key: 1, batch: 0, processor: 'proc-a', verdict: 'ham', score: 0.01 };
    const broken = renderHtml(buildReport({ ...input, outcomes: [...input.outcomes, dup] }));
    expect(broken).toContain('Integrity: FAILED (unique-keys, outcomes-match-commits, matches-source).');
    expect(broken.indexOf('<h2>Integrity</h2>')).toBeLessThan(broken.indexOf('<h2>Charts</h2>'));
    expect(broken.match(/<h2>Integrity<\/h2>/g)).toHaveLength(1);
  });

  it('has the tables: accuracy, processors, quarantine, failed messages, integrity', () => {
    for (const text of ['92.54%', '1.96%', 'proc-c', 'batch', 'Quarantined batches (1)', 'Failed messages (3)', 'unique-keys']) {
      expect(page).toContain(text);
    }
  });
});

describe('report.md', () => {
  const md = renderMarkdown(report);

  it('sums up totals, accuracy, processors and the integrity verdict', () => {
    expect(md).toContain('| 70 | 13 | 51 | 3 | 3 |');
    expect(md).toContain('| accuracy | 92.54% | 94.03% |');
    expect(md).toContain('| false-positive rate (ham called spam) | 1.96% | 3.92% |');
    expect(md).toContain('| spam | 12 | 2 | 2 | 2 |');
    expect(md).toMatch(/\| proc-c \| 0 \| 0 \| n\/a \| n\/a \| 1 \| 0 \| 1 \| 4\.1 s \|/);
    expect(md).toContain('**Integrity: all checks pass.**');
    expect(md).toContain('taken from proc-c by proc-b (stale)');
    expect(md).toContain('batch 3: commit by proc-c with claim 3 rejected');
  });

  it('mentions each quarantined batch with its reason, escaped', () => {
    const input = fixtureInput();
    const quarantined = [
      ...input.quarantined,
      { batch: 7, first: 71, last: 80, attempts: 3, lastError: 'IMAP fetch timed out\nafter 30 s' },
    ];
    const text = renderMarkdown(buildReport({
      ...input,
      outcomes: input.outcomes.filter((o) => o.batch !== 7),
      commits: input.commits.filter((c) => c.batch !== 7),
      quarantined,
    }));
    expect(text).toContain('## Quarantined batches (2)');
    expect(text).toContain('- batch 6 (keys 61–70), 3 attempts, quarantined by proc-a at 2026-11-22 00:00:08Z: classifier crashed 3 times: RangeError \\<img src=x onerror=alert(1)\\>');
    expect(text).toContain('- batch 7 (keys 71–80), 3 attempts, quarantined: IMAP fetch timed out after 30 s');
    expect(text).not.toContain(QUARANTINE_ERROR);
  });

  it('caps the failed-message list and says how many more there are', () => {
    const input = fixtureInput();
    const failed: MessageOutcome[] = input.outcomes.map((o) =>
      o.batch === 0 || o.batch === 2 || o.batch === 4 ? { key: o.key, batch: o.batch, processor: o.processor, verdict: 'failed', score: null, reason: `undecodable part in ${o.key}` } : o);
    const text = renderMarkdown(buildReport({ ...input, outcomes: failed }));
    expect(text).toContain('## Failed messages (33)'); // 30 in batches 0, 2 and 4, plus keys 13, 16, 52
    expect(text.match(/^- key \d+ \(batch/gm)).toHaveLength(20);
    expect(text).toContain('- … and 13 more in report.json');
  });

  it('names the failed checks at the top when integrity fails', () => {
    const input = fixtureInput();
    const dup: MessageOutcome = { key: 1, batch: 0, processor: 'proc-a', verdict: 'ham', score: 0.01 };
    const text = renderMarkdown(buildReport({ ...input, outcomes: [...input.outcomes, dup] }));
    expect(text).toContain('**Integrity: FAILED (unique-keys, outcomes-match-commits, matches-source).**');
    expect(text).toContain('- FAIL Every message has one verdict (unique-keys): keys with more than one outcome (1): key 1 ×2 (batches 0, 0)');
  });
});

describe('writeReportFiles', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('writes report.json (which reads back as the report), report.md and report.html into a new folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'spamzk-report-'));
    dirs.push(root);
    const files = await writeReportFiles(report, join(root, 'jobs', 'job-7f3a'));
    expect(files).toEqual({
      json: join(root, 'jobs', 'job-7f3a', 'report.json'),
      md: join(root, 'jobs', 'job-7f3a', 'report.md'),
      html: join(root, 'jobs', 'job-7f3a', 'report.html'),
    });
    const json = await readFile(files.json, 'utf8');
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(report))); // the streamed list is the one JSON.stringify gives
    expect(JSON.parse(json).verdicts).toHaveLength(70);
    expect(json).toContain('\n    {"key":52,"verdict":"failed","score":null,"batch":5,"processor":"proc-b","label":"spam","reason":');
    expect(await readFile(files.md, 'utf8')).toBe(renderMarkdown(report));
    expect(await readFile(files.html, 'utf8')).toBe(renderHtml(report));
  });
});
