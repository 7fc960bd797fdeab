/**
 * Reports name the mail (issue 13 item 5): the spam and unsure messages by
 * Message-ID/From/Subject/Date with their scores, the source and model by
 * name, and the model's cutoffs on the histogram. The HTML table sorts by a
 * clicked column in a real Chromium, with no script in the file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport, renderHtml, renderMarkdown, type MessageOutcome, type ReportInput } from '../../src/report/index.js';
import { MAX_FLAGGED_ROWS } from '../../src/report/flagged.js';
import { openBrowser } from '../dashboard/browser.js';
import { fixtureInput, type ArrayReportInput } from './job-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'spamzk-flagged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function named(input: ArrayReportInput, names: (o: MessageOutcome) => Partial<MessageOutcome>): ArrayReportInput {
  return {
    ...input,
    job: { ...input.job, sourceName: 'imaps://alice@mail.example:993/INBOX', modelName: 'models/mine.json, trained on folders: 40 spam, 60 ham, id 0123456789ab', cutoffs: { ham: 0.4, spam: 0.85 } },
    outcomes: input.outcomes.map((o) => ({ ...o, ...names(o) }) as MessageOutcome),
  };
}

const input = named(fixtureInput(), (o) => ({
  messageId: `<m${o.key}@example.org>`,
  from: o.key === 33 ? 'Mallory <img src=x onerror=alert(1)> <m@evil.example>' : `Sender ${String.fromCharCode(90 - (o.key % 26))} <s${o.key}@example.org>`,
  subject: `subject ${o.key} | with a pipe`,
  date: new Date(Date.UTC(2002, 0, 1 + ((o.key * 7) % 30))).toISOString().replace('.000Z', 'Z'),
}));
const report = buildReport(input);
const flagged = [...report.verdicts].filter((v) => v.verdict === 'spam' || v.verdict === 'unsure');

describe('reports name the mail', () => {
  it('report.json lists each verdict with its Message-ID, From, Subject and Date', () => {
    const v = JSON.parse(JSON.stringify(report)).verdicts.find((x: MessageOutcome) => x.key === 24);
    expect(v).toMatchObject({ key: 24, verdict: 'unsure', messageId: '<m24@example.org>', subject: 'subject 24 | with a pipe' });
  });

  it('report.md has a table of every spam and unsure message, highest score first, in words', () => {
    const md = renderMarkdown(report);
    expect(md).toContain(`## Spam and unsure messages (${flagged.length})`);
    expect(md).toContain('Score: the model\'s spam probability');
    expect(md).toContain('A score below 0.4 is ham, 0.85 or above is spam');
    const rows = md.split('\n').filter((l) => /^\| \d\.\d{3} \|/.test(l));
    expect(rows).toHaveLength(flagged.length);
    const scores = rows.map((r) => Number(r.split('|')[1]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(md).toContain('subject 24 \\| with a pipe'); // a pipe in a subject does not split the row
    expect(md).toContain('- Source: imaps://alice@mail.example:993/INBOX');
    expect(md).toContain('- Model: models/mine.json, trained on folders');
  });

  it('caps the table, saying how many are left to report.json', () => {
    const many = named(fixtureInput(), () => ({}));
    const spam = Array.from({ length: MAX_FLAGGED_ROWS + 30 }, (_, i): MessageOutcome => ({ key: 1000 + i, verdict: 'spam', score: 0.95, batch: 0, processor: 'proc-a' }));
    const big = buildReport({ ...many, outcomes: [...many.outcomes, ...spam] });
    const md = renderMarkdown(big);
    expect(md.split('\n').filter((l) => /^\| \d\.\d{3} \|/.test(l))).toHaveLength(MAX_FLAGGED_ROWS);
    expect(md).toMatch(/The 500 with the highest scores are shown; report.json lists every verdict/);
    expect(renderMarkdown(big, { maxMessageRows: 20 }).split('\n').filter((l) => /^\| \d\.\d{3} \|/.test(l))).toHaveLength(20);
  });

  it('report.html names source and model, marks the cutoffs on the histogram and escapes header text', () => {
    const page = renderHtml(report);
    expect(page).toContain('imaps://alice@mail.example:993/INBOX');
    expect(page).toContain('models/mine.json, trained on folders');
    expect(page).toMatch(/<line class="cutoff"[^>]*><title>ham below 0.4<\/title>/);
    expect(page).toMatch(/<line class="cutoff"[^>]*><title>spam from 0.85<\/title>/);
    expect(page).toContain('Mallory &lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toMatch(/<script|<img/i);
  });

  it('a report of a job planned before names were recorded shows the hashes and no cutoff lines', () => {
    const page = renderHtml(buildReport(fixtureInput()));
    expect(page).toContain(fixtureInput().job.modelId);
    expect(page).not.toContain('class="cutoff"');
  });

  it('report.html sorts the table by a clicked column in Chromium, without script', async () => {
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(report));
    const browser = await openBrowser();
    try {
      const { page } = browser;
      await page.goto(pathToFileURL(file).href);
      const column = async (n: number): Promise<string[]> =>
        page.$$eval('table.flagged tbody tr', (rows, i) =>
          rows
            .map((r) => ({ y: r.getBoundingClientRect().top, text: r.children[i]!.textContent ?? "" }))
            .sort((a, b) => a.y - b.y)
            .map((r) => r.text), n);
      const scores = (await column(0)).map(Number);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      await page.click('table.flagged th.from label');
      const froms = await column(4);
      expect(froms).toEqual([...froms].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
      expect(froms).not.toEqual((await page.$$eval('table.flagged tbody tr', (rows) => rows.map((r) => r.children[4]!.textContent ?? ""))));
      await page.click('table.flagged th.key label');
      const keys = (await column(2)).map(Number);
      expect(keys).toEqual([...keys].sort((a, b) => a - b));
    } finally {
      await browser.close();
    }
  }, 60_000);
});
