/**
 * Issue 13 item 6: every usage or config error exits 2 before any work,
 * naming the setting. Each command is run for real with a bad flag in an
 * empty folder and a private TMPDIR; it must return within seconds, print no
 * stack trace, start no ZooKeeper and leave no reports folder behind.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../support/temp-dirs.js';
import { runCliIn } from './run-cli.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());

interface Case {
  readonly args: readonly string[];
  /** What the message must name. */
  readonly names: RegExp;
  readonly env?: NodeJS.ProcessEnv;
}

const aFile = (): string => {
  const dir = temp.make('spamzk-bad-file-');
  writeFileSync(join(dir, 'plain-file'), 'x');
  return join(dir, 'plain-file');
};

const CASES: readonly Case[] = [
  { args: ['replay', '--bogus'], names: /unknown option '--bogus'/ },
  { args: ['run', '--bogus', '--imap', 'imaps://u@h/INBOX'], names: /unknown option '--bogus'/ },
  { args: ['processor', '--bogus', 'x'], names: /unknown option '--bogus'/ },
  { args: ['status', '--bogus'], names: /unknown option '--bogus'/ },
  { args: ['report', '--bogus'], names: /unknown option '--bogus'/ },
  { args: ['train', '--bogus'], names: /unknown option '--bogus'/ },
  { args: ['eval', '--bogus'], names: /unknown option '--bogus'/ },
  { args: ['classify', '--bogus', 'x'], names: /unknown option '--bogus'/ },
  { args: ['learn', '--bogus', '--spam', 'x'], names: /unknown option '--bogus'/ },
  { args: ['pause', '--bogus', 'job-x'], names: /unknown option '--bogus'/ },
  { args: ['resume', '--bogus', 'job-x'], names: /unknown option '--bogus'/ },
  { args: ['drain', '--bogus', 'job-x'], names: /unknown option '--bogus'/ },
  { args: ['config', '--bogus'], names: /unknown option '--bogus'/ },
  { args: ['config', 'get', '--bogus', 'job-x'], names: /unknown option '--bogus'/ },
  { args: ['config', 'set', '--bogus', 'job-x', 'imapRate=5/s'], names: /unknown option '--bogus'/ },
  { args: ['pause'], names: /argument 'job'/ },
  { args: ['learn'], names: /argument 'files'/ },
  { args: ['pause', 'job-x', '--zk', 'foo:bar'], names: /--zk: "foo:bar" is not host:port/ },
  { args: ['drain', 'job-x', '--zk', '127.0.0.1:2181', '--zk-root', 'noslash'], names: /--zk-root: "noslash" does not start with \// },
  { args: ['config', 'set', 'job-x', 'imapRate=fast', '--zk', '127.0.0.1:2181'], names: /imapRate/ },
  { args: ['replay', '--metrics-port', '0'], names: /--metrics-port: 0 is outside 1\.\.65535/ },
  { args: ['replay', '--metrics-host', 'example.com'], names: /--metrics-host: "example.com" is not an IP address/ },
  { args: ['replay', '--imap-max-connections', '0'], names: /--imap-max-connections: 0 is outside 1\.\.1000/ },
  { args: ['processor', 'x', '--zk', '127.0.0.1:2181', '--metrics-port', '70000'], names: /--metrics-port: 70000 is outside 1\.\.65535/ },
  { args: ['run', '--imap', 'imaps://alice@mail.example/INBOX', '--junk-mailbox', 'Spam'], names: /--junk-mailbox .*only with --write-back move/, env: { SPAMZK_IMAP_PASSWORD: 'pw' } },
  { args: ['replay', '--learn'], names: /unknown option '--learn'/ },
  { args: ['processor', '--learn', 'x'], names: /unknown option '--learn'/ },
  { args: ['replay'], names: /--learn needs an IMAP mailbox/, env: { SPAMZK_LEARN: 'true' } },
  { args: ['run', '--imap', 'imaps://alice@mail.example/INBOX', '--learn', '--model-store', aFile()], names: /--model-store: .* is not a folder/, env: { SPAMZK_IMAP_PASSWORD: 'pw' } },
  { args: ['processor', 'x', '--zk', '127.0.0.1:2181', '--model-store', ''], names: /--model-store: give the folder/ },
  { args: ['run', '--imap', 'imaps://alice@mail.example/INBOX', '--learn', '--junk-mailbox', ''], names: /--junk-mailbox "": give a mailbox name/, env: { SPAMZK_IMAP_PASSWORD: 'pw' } },
  { args: ['train', '--imap', 'imaps://alice@mail.example', '--ham-older-than', 'soon'], names: /--ham-older-than/, env: { SPAMZK_IMAP_PASSWORD: 'pw' } },
  { args: ['bogus-command'], names: /unknown command 'bogus-command'/ },
  { args: ['run'], names: /--imap/ },
  { args: ['processor'], names: /argument 'source'/ },
  { args: ['report', '--zk'], names: /--zk/ },
  { args: ['run', '--imap', 'imaps://alice:secret@mail.example/INBOX'], names: /--imap: .*password/ },
  { args: ['run', '--imap', 'mail.example/INBOX'], names: /--imap: "mail.example\/INBOX" is not an imap/ },
  { args: ['run', '--imap', 'imaps://mail.example/INBOX'], names: /--imap: .*no user/ },
  { args: ['run', '--imap', 'imaps://alice@mail.example/INBOX'], names: /SPAMZK_IMAP_PASSWORD or give --password-file/, env: { SPAMZK_IMAP_PASSWORD: '' } },
  { args: ['run', '--imap', 'imaps://alice@mail.example/INBOX', '--password-file', '/nonexistent/pw'], names: /--password-file: cannot read \/nonexistent\/pw/ },
  { args: ['replay', '--zk', 'foo:bar'], names: /--zk: "foo:bar" is not host:port/ },
  { args: ['replay', '--zk', '127.0.0.1:0'], names: /--zk: port 0 .* outside 1\.\.65535/ },
  { args: ['replay', '--zk', '127.0.0.1:2181,'], names: /--zk: "" is not host:port/ },
  { args: ['replay'], names: /SPAMZK_ZK: "foo" is not host:port/, env: { SPAMZK_ZK: 'foo' } },
  { args: ['processor', 'x', '--zk', 'zk1:99999'], names: /--zk: port 99999/ },
  { args: ['status', '--zk', 'foo:bar'], names: /--zk: "foo:bar" is not host:port/ },
  { args: ['report', '--zk', 'foo'], names: /--zk: "foo" is not host:port/ },
  { args: ['replay', '--zk-root', 'noslash'], names: /--zk-root: "noslash" does not start with \// },
  { args: ['status', '--zk', '127.0.0.1:2181', '--zk-root', '/a//b'], names: /--zk-root: "\/a\/\/b" has an empty segment/ },
  { args: ['processor', 'x', '--zk', '127.0.0.1:2181', '--zk-root', '/fleet/'], names: /--zk-root: "\/fleet\/" ends with \// },
  { args: ['replay', '--passes', '2'], names: /--passes goes with --every/ },
  { args: ['replay', '--every', '5s', '--passes', 'two'], names: /--passes: "two" is not a whole number/ },
  { args: ['replay', '--session-timeout', '10ms'], names: /--session-timeout: 10 ms is outside 2 s\.\.1 min/ },
  { args: ['replay', '--every', '500ms'], names: /--every: 500 ms is outside 1 s\.\.24 h/ },
  { args: ['replay'], names: /SPAMZK_STALE_AFTER: 2 h is outside 1 s\.\.1 h/, env: { SPAMZK_STALE_AFTER: '2h' } },
  { args: ['replay', '--batch-size', '0'], names: /--batch-size: 0 is outside 1\.\.10000/ },
  { args: ['replay', '--report-dir', '/proc/spamzk-report-test'], names: /--report-dir: cannot write report files in \/proc\/spamzk-report-test/ },
  { args: ['replay', '--report-dir', '/proc/self/status'], names: /--report-dir: .*not a folder/ },
  { args: ['replay'], names: /SPAMZK_REPORT_DIR: cannot write report files/, env: { SPAMZK_REPORT_DIR: '/proc/1/spamzk' } },
  { args: ['report', '--zk', '127.0.0.1:2181', '--out', '/proc/spamzk-out'], names: /--out: cannot write report files in \/proc\/spamzk-out/ },
  { args: ['status', '--zk', '127.0.0.1:2181', '--port', '80000', '--serve'], names: /--port must be an integer from 0 to 65535/ },
  { args: ['processor', '-p', '2', 'x'], names: /unknown option '-p'/ },
  { args: ['processor', '--report-dir', 'r', 'x'], names: /unknown option '--report-dir'/ },
];

describe('a bad setting stops the command at once with exit 2, naming the setting', () => {
  it.each(CASES.map((c) => [c.args.join(' ') + (c.env ? ` (${Object.entries(c.env).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''), c] as const))(
    'spamzk %s',
    async (_title, c) => {
      const cwd = temp.make('spamzk-bad-cwd-');
      const tmp = join(cwd, '.tmp');
      mkdirSync(tmp);
      const result = await runCliIn(c.args, { cwd, env: { TMPDIR: tmp, ...c.env }, killAfterMs: 20_000 });
      expect(result.code, `stderr: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(c.names);
      expect(result.stderr).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m); // no stack trace
      expect(result.stderr).not.toMatch(/local ZooKeeper started|job identified/);
      expect(readdirSync(tmp)).toEqual([]); // no ZooKeeper data dir
      expect(readdirSync(cwd).filter((f) => f !== '.tmp')).toEqual([]); // no reports folder
      expect(result.stdout).toBe('');
    },
    30_000,
  );

  it('a --report-dir that is a file, or under one, is refused before the job', async () => {
    const cwd = temp.make('spamzk-bad-cwd-');
    const file = aFile();
    for (const dir of [file, join(file, 'sub')]) {
      const r = await runCliIn(['replay', '--report-dir', dir], { cwd, killAfterMs: 20_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--report-dir: cannot write report files in ${dir}`);
    }
  }, 60_000);
});
