/**
 * A private Dovecot 2.3 on 127.0.0.1 for tests, benchmarks and the demo: its own
 * config, run/state directories, log, ports (IMAP with STARTTLS, and IMAPS) and a
 * self-signed certificate. Mailboxes are loaded by writing Maildir files and a
 * `dovecot-uidlist` directly, which gives chosen UIDs (with gaps) and a chosen
 * UIDVALIDITY in a fraction of a second (IMAP APPEND manages ~190 msgs/s and
 * cannot choose UIDs).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { freePorts, isAlive, ServerStartError, spawnServer, stopPid, stopServer, waitUntil, type SpawnedServer } from './process.js';

/** Dovecot runs the mail processes as this uid/gid (first_valid_uid). */
export const MAIL_UID = 5000;
export const MAIL_GID = 5000;

export interface DovecotUser {
  readonly name: string;
  readonly password: string;
}

export interface DovecotOptions {
  /** Directory for config, certificate, logs, run/state dirs and mail homes. Created if missing. */
  dir: string;
  users?: readonly DovecotUser[];
  /** Seconds Dovecot waits before answering a failed login (its default is 2). */
  authFailureDelaySeconds?: number;
  /** Settings appended to the generated dovecot.conf (e.g. `imap_capability = ...` to hide an extension). */
  extraConfig?: string;
  /**
   * The mailbox that carries SPECIAL-USE \Junk (RFC 6154) in the users' namespace:
   * default `{ name: 'Junk', autoCreate: false }` (listed once it exists);
   * `autoCreate` makes Dovecot create it for every user; 'none' marks no mailbox
   * \Junk, as on a server whose namespace has none.
   */
  junk?: { readonly name: string; readonly autoCreate: boolean } | 'none';
}

export interface DovecotServer {
  readonly dir: string;
  readonly host: '127.0.0.1';
  /** Plain IMAP port; the server offers STARTTLS on it. */
  readonly imapPort: number;
  /** Implicit-TLS IMAP port. */
  readonly imapsPort: number;
  /** PEM file of the self-signed certificate (CN=localhost, SAN localhost and 127.0.0.1): the CA to trust. */
  readonly caFile: string;
  readonly pid: number;
  readonly logFile: string;
  /** Set when this process spawned it (stopDovecot then waits on the child). */
  readonly process?: SpawnedServer;
}

/** Starts Dovecot and waits until its IMAP port greets. */
export async function startDovecot(opts: DovecotOptions): Promise<DovecotServer> {
  assertDovecotUsable();
  const dir = resolve(opts.dir);
  for (const sub of ['run', 'state', 'home']) mkdirSync(join(dir, sub), { recursive: true });
  // The auth process (user dovecot) and the mail processes (uid 5000) must traverse it; mkdtemp gives 0700.
  chmodSync(dir, 0o711);
  assertTraversable(dirname(dir));
  const [imapPort, imapsPort] = (await freePorts(2)) as [number, number];
  const caFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (!existsSync(caFile)) makeSelfSignedCert(caFile, keyFile);
  writeFileSync(join(dir, 'passwd'), '', { mode: 0o600 });
  const auth = systemUser('dovecot');
  if (auth) chownSync(join(dir, 'passwd'), auth.uid, auth.gid);
  for (const user of opts.users ?? []) addDovecotUser({ dir }, user);
  const confFile = join(dir, 'dovecot.conf');
  writeFileSync(confFile, dovecotConf(dir, imapPort, imapsPort, opts.authFailureDelaySeconds ?? 0, opts.junk ?? { name: 'Junk', autoCreate: false }) + (opts.extraConfig ?? ''));
  const logFile = join(dir, 'dovecot.log');
  return launch({ dir, host: '127.0.0.1', imapPort, imapsPort, caFile, logFile });
}

/**
 * Starts a stopped instance again from the config it wrote: same ports,
 * certificate, users and mail (startDovecot would pick fresh ports).
 */
export function startDovecotAgain(server: DovecotServer): Promise<DovecotServer> {
  const { dir, host, imapPort, imapsPort, caFile, logFile } = server;
  removeStaleDotlocks(join(dir, 'home'));
  return launch({ dir, host, imapPort, imapsPort, caFile, logFile });
}

/**
 * A session process killed while it held a Maildir dotlock (dovecot-uidlist.lock)
 * leaves the file behind, and Dovecot overrides it only after 2 minutes: every
 * SELECT waits that long (seen in the chaos run after a crash). With no Dovecot
 * process running, every dotlock is stale, so a restart removes them.
 */
function removeStaleDotlocks(folder: string): void {
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.lock')) rmSync(join(entry.parentPath, entry.name), { force: true });
  }
}

async function launch(where: Omit<DovecotServer, 'pid' | 'process'>): Promise<DovecotServer> {
  const proc = spawnServer({
    name: 'dovecot',
    command: 'dovecot',
    args: ['-F', '-c', join(where.dir, 'dovecot.conf')],
    logFile: join(where.dir, 'stdio.log'),
  });
  const server: DovecotServer = { ...where, pid: proc.pid, process: proc };
  try {
    await waitUntil(`Dovecot on 127.0.0.1:${where.imapPort} (log ${where.logFile})`, async () => {
      if (proc.child.exitCode !== null) throw new ServerStartError(`dovecot exited at start; see ${where.logFile} and ${proc.logFile}`);
      return (await greeting(where.imapPort)).startsWith('* OK');
    }, 10_000);
  } catch (err) {
    await stopServer(proc);
    throw err;
  }
  const { imapPort, imapsPort, caFile, logFile } = where;
  writeFileSync(join(where.dir, 'dovecot.json'), JSON.stringify({ imapPort, imapsPort, caFile, pid: proc.pid, logFile }, null, 2));
  return server;
}

/** Stops the master by PID (its children follow). */
export async function stopDovecot(server: Pick<DovecotServer, 'pid' | 'process'>): Promise<void> {
  if (server.process) await stopServer(server.process);
  else await stopPid(server.pid);
}

/**
 * SIGKILLs the master and every child: all connections drop at once, as when
 * the server's machine goes down. (A master stopped alone lets established
 * sessions carry on serving.)
 */
export async function crashDovecot(server: Pick<DovecotServer, 'pid' | 'process'>): Promise<void> {
  // Paused first, the master cannot start a child we would miss: one left
  // running (an imap-login holds the listening socket) would answer the next
  // instance's clients with a greeting and then hang their logins.
  if (!isAlive(server.pid)) return;
  process.kill(server.pid, 'SIGSTOP');
  const children = dovecotChildPids(server);
  for (const pid of [...children, server.pid]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await stopDovecot(server);
  await waitUntil('the Dovecot processes to exit', async () => children.every((pid) => !isAlive(pid)), 5_000);
}

/** Reads the state a `startDovecot` in another process left in `dir` (scripts/dovecot.ts). */
export function readDovecotState(dir: string): DovecotServer | undefined {
  const file = join(resolve(dir), 'dovecot.json');
  if (!existsSync(file)) return undefined;
  const s = JSON.parse(readFileSync(file, 'utf8')) as Omit<DovecotServer, 'dir' | 'host'>;
  // A recorded PID may since belong to another process: only a master running our config is ours.
  if (!isAlive(s.pid) || !commandLineOf(s.pid).includes(join(resolve(dir), 'dovecot.conf'))) return undefined;
  return { ...s, dir: resolve(dir), host: '127.0.0.1' };
}

/** Adds (or replaces) a user; passwd-file is re-read by Dovecot when it changes. */
export function addDovecotUser(server: Pick<DovecotServer, 'dir'>, user: DovecotUser): void {
  if (!/^[A-Za-z0-9._@-]+$/.test(user.name) || /[:\n]/.test(user.password)) {
    throw new Error(`invalid Dovecot test user ${JSON.stringify(user.name)}: names are [A-Za-z0-9._@-], passwords have no ':' or newline`);
  }
  const file = join(server.dir, 'passwd');
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith(`${user.name}:`));
  const home = userHome(server, user.name);
  lines.push(`${user.name}:{PLAIN}${user.password}:${MAIL_UID}:${MAIL_GID}::${home}::`);
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  // Dovecot's auth process reads the passwd-file as the `dovecot` user.
  const auth = systemUser('dovecot');
  if (auth) chownSync(file, auth.uid, auth.gid);
  mkdirSync(home, { recursive: true });
  chownSync(home, MAIL_UID, MAIL_GID);
}

export function userHome(server: Pick<DovecotServer, 'dir'>, user: string): string {
  return join(server.dir, 'home', user);
}

export interface LoadedMessage {
  readonly uid: number;
  readonly raw: Buffer;
  /** Maildir flag letters, e.g. "S" for \Seen (default none). */
  readonly flags?: string;
}

export interface LoadMailboxOptions {
  user: string;
  /** "INBOX" (default) or a folder name such as "Junk". */
  mailbox?: string;
  uidValidity: number;
  messages: readonly LoadedMessage[];
}

/**
 * Replaces a mailbox with `messages` under the given UIDs and UIDVALIDITY.
 * Dovecot's own index files are removed so it rebuilds them from the uidlist.
 * Replacing a mailbox a session has open makes Dovecot notice the new
 * UIDVALIDITY, which is how tests change it under a running job.
 */
export function loadMailbox(server: Pick<DovecotServer, 'dir'>, opts: LoadMailboxOptions): string {
  const mailbox = opts.mailbox ?? 'INBOX';
  const maildirRoot = join(userHome(server, opts.user), 'Maildir');
  const box = mailbox.toUpperCase() === 'INBOX' ? maildirRoot : join(maildirRoot, `.${mailbox}`);
  if (mailbox.toUpperCase() === 'INBOX') {
    for (const entry of existsSync(box) ? readdirSync(box) : []) {
      if (!entry.startsWith('.')) rmSync(join(box, entry), { recursive: true, force: true });
    }
  } else {
    rmSync(box, { recursive: true, force: true });
  }
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(box, sub), { recursive: true });
  const sorted = [...opts.messages].sort((a, b) => a.uid - b.uid);
  const lines: string[] = [];
  let previous = 0;
  for (const msg of sorted) {
    if (!Number.isInteger(msg.uid) || msg.uid <= previous) throw new Error(`loadMailbox: UIDs must be distinct positive integers (got ${msg.uid})`);
    previous = msg.uid;
    const base = `1700000000.M${msg.uid}P1.spamzk,S=${msg.raw.length}`;
    writeFileSync(join(box, 'cur', `${base}:2,${msg.flags ?? ''}`), msg.raw);
    lines.push(`${msg.uid} :${base}`);
  }
  const next = previous + 1;
  writeFileSync(join(box, 'dovecot-uidlist'), `3 V${opts.uidValidity} N${next}\n${lines.join('\n')}${lines.length ? '\n' : ''}`);
  if (box !== maildirRoot) writeFileSync(join(box, 'maildirfolder'), '');
  chownTree(maildirRoot);
  return box;
}

/**
 * PIDs of the `imap` processes serving sessions of this instance (children of
 * its master). Killing one drops exactly the connection it serves: each IMAP
 * session has its own process under Dovecot's defaults.
 */
export function imapSessionPids(server: Pick<DovecotServer, 'pid'>): number[] {
  return dovecotChildPids(server, 'imap');
}

/**
 * PIDs of this instance's `auth` process: every LOGIN waits on it, so stopping
 * it makes logins hang after the greeting, as an overloaded auth backend does.
 */
export function authProcessPids(server: Pick<DovecotServer, 'pid'>): number[] {
  return dovecotChildPids(server, 'auth');
}

/** Children of the master (login, auth, imap, ...), or only those whose process name is `comm`. */
export function dovecotChildPids(server: Pick<DovecotServer, 'pid'>, comm?: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (Number(fields[1]) === server.pid && (comm === undefined || name === comm)) out.push(Number(entry));
    } catch {
      // the process went away while we read /proc
    }
  }
  return out;
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ');
  } catch {
    return '';
  }
}

function assertDovecotUsable(): void {
  try {
    execFileSync('dovecot', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new ServerStartError('Dovecot is not installed (no `dovecot` on PATH): run scripts/setup.sh as root, or apt-get install dovecot-imapd');
  }
  if (process.getuid?.() !== 0) {
    throw new ServerStartError('the private Dovecot must be started as root (it runs mail processes as uid 5000); run the tests or scripts as root');
  }
}

/** Dovecot's unprivileged processes must reach files under `dir`: every parent needs o+x. */
function assertTraversable(dir: string): void {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new ServerStartError(`Dovecot's processes cannot enter ${d} (mode ${(statSync(d).mode & 0o777).toString(8)}): chmod o+x it or choose another folder`);
    }
    if (dirname(d) === d) return;
  }
}

function systemUser(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

function chownTree(path: string): void {
  chownSync(path, MAIL_UID, MAIL_GID);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child);
    else chownSync(child, MAIL_UID, MAIL_GID);
  }
}

function makeSelfSignedCert(certFile: string, keyFile: string): void {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
}

function greeting(port: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no greeting')); }, 1_000);
    socket.once('data', (data) => { clearTimeout(timer); socket.destroy(); resolvePromise(data.toString('latin1')); });
    socket.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

function dovecotConf(dir: string, imapPort: number, imapsPort: number, authFailureDelay: number, junk: NonNullable<DovecotOptions['junk']>): string {
  return `# Generated by spamzk (src/servers/dovecot.ts): a private instance on 127.0.0.1.
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = ${authFailureDelay} secs
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
}
mail_location = maildir:~/Maildir
mail_uid = ${MAIL_UID}
mail_gid = ${MAIL_GID}
first_valid_uid = ${MAIL_UID}
verbose_proctitle = yes
namespace inbox {
  inbox = yes
  separator = /
${junkMailboxConf(junk)}}
protocol imap {
  mail_max_userip_connections = 100
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${imapsPort}
    ssl = yes
  }
}
`;
}

function junkMailboxConf(junk: NonNullable<DovecotOptions['junk']>): string {
  if (junk === 'none') return '';
  if (!/^[A-Za-z][A-Za-z0-9 _-]*$/.test(junk.name)) throw new Error(`junk mailbox name ${JSON.stringify(junk.name)}: letters, digits, space, _ and - only`);
  return `  mailbox "${junk.name}" {\n    special_use = \\Junk\n${junk.autoCreate ? '    auto = create\n' : ''}  }\n`;
}
