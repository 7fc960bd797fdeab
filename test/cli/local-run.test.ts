/**
 * A local run as a new user makes it, through the real CLI:
 * - issue 13 item 1: a folder whose files are named as SpamAssassin, TREC or
 *   a mail client names them replays as one message per regular file;
 * - item 5: report.json names each message (Message-ID, From, Subject, Date)
 *   and the report names the source and model;
 * - item 7: on a terminal, the run prints the ZooKeeper address that
 *   `status --zk` needs;
 * - item 8: the local ZooKeeper leaves no /tmp/spamzk-zk-* behind; `processor
 *   --help` lists no option it ignores.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpamModel } from '../../src/classifier/index.js';
import { SPAMZK_BIN } from '../../src/shared/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { runCliIn } from './run-cli.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());

const FILES = ['00001.eml', '00002.eml', '00003.abc123', 'inmail.4', 'msg.EML.txt'];

function mailFolder(): string {
  const dir = temp.make('spamzk-odd-names-');
  FILES.forEach((name, i) =>
    writeFileSync(
      join(dir, name),
      `From: Sender ${i} <s${i}@example.org>\nTo: me@example.org\nSubject: =?UTF-8?Q?message_n=C2=B0${i}?= (${name})\nMessage-ID: <m${i}@example.org>\nDate: Mon, 2 Sep 2002 1${i}:00:00 +0000\n\nHello, this is message ${i}.\n`,
    ),
  );
  return dir;
}

function sandbox(): { cwd: string; tmp: string } {
  const cwd = temp.make('spamzk-local-run-');
  const tmp = join(cwd, '.tmp');
  mkdirSync(tmp);
  return { cwd, tmp };
}

describe('a local run through the real CLI', () => {
  it('replays every regular file of a folder, whatever its name, as a message, and names each in report.json', async () => {
    const folder = mailFolder();
    const { cwd, tmp } = sandbox();
    const r = await runCliIn(['replay', folder, '--json', '--report-dir', 'out', '-p', '1'], { cwd, env: { TMPDIR: tmp, SPAMZK_LOG_LEVEL: 'warn' } });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      totals: { messages: number; failed: number };
      job: { sourceName?: string; modelName?: string; cutoffs?: { ham: number; spam: number } };
      integrity: { ok: boolean };
      verdicts: { key: number; subject?: string; from?: string; messageId?: string; date?: string }[];
    };
    expect(report.totals.messages).toBe(FILES.length);
    expect(report.integrity.ok).toBe(true);
    expect(report.verdicts.map((v) => v.subject).sort()).toEqual(FILES.map((f, i) => `message n°${i} (${f})`).sort());
    expect(report.verdicts.every((v) => /^<m\d@example\.org>$/.test(v.messageId ?? '') && /^Sender \d/.test(v.from ?? '') && /^2002-09-02T1\dZ?/.test(v.date ?? ''))).toBe(true);
    expect(report.job.sourceName).toBe(folder);
    expect(report.job.modelName).toMatch(/^shipped model \(spamzk [\d.]+\), trained on .*, id [0-9a-f]{12}$/);
    const { hamCutoff, spamCutoff } = SpamModel.load().options.scoring;
    expect(report.job.cutoffs).toEqual({ ham: hamCutoff, spam: spamCutoff });
    const md = readFileSync(join(cwd, 'out', 'report.md'), 'utf8');
    expect(md).toContain(`- Source: ${folder}`);
    // The local ZooKeeper's data dir went with it.
    expect(readdirSync(tmp)).toEqual([]);
  }, 120_000);

  it('hands its processors the scan it saved, so that none scans the mailbox again, and removes it afterwards', async () => {
    const folder = mailFolder();
    const { cwd, tmp } = sandbox();
    const r = await runCliIn(['replay', folder, '--report-dir', 'out', '-p', '2'], { cwd, env: { TMPDIR: tmp, SPAMZK_LOG_LEVEL: 'info' } });
    expect(r.code, r.stderr).toBe(0);
    const opened = r.stderr.split('\n').filter((l) => l.includes('reading the fixture from the scan its run saved'));
    expect(opened).toHaveLength(2);
    for (const line of opened) expect((JSON.parse(line) as { index: string }).index).toMatch(new RegExp(`^${tmp}/spamzk-index-[^/]+/fixture\\.idx$`));
    expect(readdirSync(tmp)).toEqual([]);
  }, 120_000);

  it('on a terminal, prints the local ZooKeeper address status --zk needs, and still removes its data dir', async () => {
    const folder = mailFolder();
    const { cwd, tmp } = sandbox();
    // script(1) gives the run a pseudo-terminal, as a person's shell would.
    const command = `${process.execPath} ${SPAMZK_BIN} replay ${folder} -p 1 --report-dir out`;
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd, env: { ...process.env, TMPDIR: tmp, TERM: 'dumb' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (text += c));
      child.once('exit', (code) => resolve({ code, text }));
    });
    expect(out.code, out.text).toBe(0);
    const m = /Local ZooKeeper for this run: (127\.0\.0\.1:\d+) \(stops when the run ends\)/.exec(out.text);
    expect(m, out.text).not.toBeNull();
    expect(out.text).toContain(`spamzk status --zk ${m![1]} --watch`);
    expect(readdirSync(tmp)).toEqual([]);
  }, 120_000);

  it('processor --help lists only the options a processor uses', async () => {
    const r = await runCliIn(['processor', '--help'], { cwd: sandbox().cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--zk <connect>');
    expect(r.stdout).toContain('required: the fleet this processor joins');
    for (const ignored of ['-p, --processors', '--report-dir', '--json', '--every', '--passes', '--no-progress']) expect(r.stdout).not.toContain(ignored);
    const replay = await runCliIn(['replay', '--help'], { cwd: sandbox().cwd });
    for (const used of ['-p, --processors', '--report-dir', '--json', '--every', '--passes']) expect(replay.stdout).toContain(used);
  });
});
