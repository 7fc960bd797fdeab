/**
 * A private Dovecot on 127.0.0.1, run like a service (state in a folder):
 *
 *   npx tsx scripts/dovecot.ts start  [--dir DIR] [--user NAME]
 *   npx tsx scripts/dovecot.ts load   [--dir DIR] [--user NAME] [--mailbox INBOX] [--uid-validity N] [--uid-step N] FIXTURE
 *   npx tsx scripts/dovecot.ts status [--dir DIR]
 *   npx tsx scripts/dovecot.ts stop   [--dir DIR]
 *
 * DIR defaults to .spamzk/dovecot. The user's password is taken from
 * SPAMZK_IMAP_PASSWORD, or generated and written to DIR/NAME.password (mode
 * 0600); it is never printed. `load` puts a fixture mailbox (mbox, Maildir,
 * folder of .eml) into the mailbox with UID = key × uid-step, and prints the
 * imap:// URL to use. Installing Dovecot is scripts/setup.sh's job.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addDovecotUser, loadMailbox, readDovecotState, startDovecot, stopDovecot } from '../src/servers/dovecot.js';
import { FixtureSource } from '../src/sources/index.js';

interface Args {
  command: string;
  dir: string;
  user: string;
  mailbox: string;
  uidValidity: number;
  uidStep: number;
  fixture: string | undefined;
}

const USAGE = 'usage: dovecot.ts start|load|status|stop [--dir DIR] [--user NAME] [--mailbox M] [--uid-validity N] [--uid-step N] [FIXTURE]';

function parseArgs(argv: string[]): Args {
  const args: Args = { command: argv[0] ?? '', dir: '.spamzk/dovecot', user: 'spamzk', mailbox: 'INBOX', uidValidity: Math.floor(Date.now() / 1000), uidStep: 1, fixture: undefined };
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--dir') args.dir = value();
    else if (flag === '--user') args.user = value();
    else if (flag === '--mailbox') args.mailbox = value();
    else if (flag === '--uid-validity') args.uidValidity = positive(flag, value());
    else if (flag === '--uid-step') args.uidStep = positive(flag, value());
    else if (!flag.startsWith('--') && args.fixture === undefined) args.fixture = flag;
    else throw new UsageError(`unknown argument ${flag}`);
  }
  args.dir = resolve(args.dir);
  return args;
}

class UsageError extends Error {}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0 || n > 0xffffffff) throw new UsageError(`${flag} must be a positive 32-bit integer, not ${text}`);
  return n;
}

/** From the environment, else the password file (created with a random password). */
function passwordFor(dir: string, user: string): { password: string; file?: string } {
  const fromEnv = process.env.SPAMZK_IMAP_PASSWORD;
  if (fromEnv) return { password: fromEnv };
  const file = join(dir, `${user}.password`);
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  return { password: readFileSync(file, 'utf8').trim(), file };
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const running = readDovecotState(args.dir);
  switch (args.command) {
    case 'start': {
      if (running) {
        process.stdout.write(`dovecot already running: pid ${running.pid}, imap 127.0.0.1:${running.imapPort}, imaps 127.0.0.1:${running.imapsPort}\n`);
        return 0;
      }
      mkdirSync(args.dir, { recursive: true });
      const { password, file } = passwordFor(args.dir, args.user);
      const server = await startDovecot({ dir: args.dir, users: [{ name: args.user, password }] });
      // The server outlives this command: do not let its handle keep us waiting.
      server.process?.child.unref();
      process.stdout.write(
        `dovecot started: pid ${server.pid}, imap 127.0.0.1:${server.imapPort} (STARTTLS), imaps 127.0.0.1:${server.imapsPort}\n` +
          `  user ${args.user}, password ${file ? `in ${file}` : 'from SPAMZK_IMAP_PASSWORD'}; CA file ${server.caFile}; log ${server.logFile}\n`,
      );
      return 0;
    }
    case 'load': {
      if (!running) throw new UsageError(`no dovecot running in ${args.dir}: run "dovecot.ts start" first`);
      if (!args.fixture) throw new UsageError('load needs a FIXTURE (mbox file, Maildir or folder of .eml)');
      addDovecotUser(running, { name: args.user, password: passwordFor(args.dir, args.user).password });
      const fixture = new FixtureSource(args.fixture);
      await fixture.open();
      const keys = await fixture.listKeys();
      const messages = keys.length ? await fixture.fetchRange({ first: 1, last: keys.length }) : [];
      await fixture.close();
      loadMailbox(running, { user: args.user, mailbox: args.mailbox, uidValidity: args.uidValidity, messages: messages.map((m) => ({ uid: m.key * args.uidStep, raw: m.raw })) });
      process.stdout.write(
        `loaded ${messages.length} messages into ${args.mailbox} (UIDVALIDITY ${args.uidValidity}): ` +
          `imaps://${args.user}@127.0.0.1:${running.imapsPort}/${encodeURIComponent(args.mailbox)} (CA file ${running.caFile})\n`,
      );
      return 0;
    }
    case 'status':
      process.stdout.write(running ? `running: pid ${running.pid}, imap ${running.imapPort}, imaps ${running.imapsPort}\n` : `not running (${args.dir})\n`);
      return running ? 0 : 3;
    case 'stop':
      if (running) await stopDovecot(running);
      process.stdout.write(running ? `stopped pid ${running.pid}\n` : 'not running\n');
      return 0;
    default:
      throw new UsageError(args.command ? `unknown command ${args.command}` : 'no command');
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`dovecot.ts: ${err.message}\n${err instanceof UsageError ? `${USAGE}\n` : ''}`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
