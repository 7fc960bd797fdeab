/**
 * Checks of settings that would otherwise fail only after work started (a
 * ZooKeeper launched, a job planned), each naming the setting and what is
 * valid. All are quick and local: no network, and no read that can block
 * (a report folder under /proc must fail at once, not hang).
 */
import { closeSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_PASSWORD_ENV, parseImapUrl } from '../sources/index.js';
import { ConfigError } from './config-error.js';

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

/** "host:port[,host:port...][/chroot]", each port 1..65535, as ZooKeeper clients take it. */
export function checkConnectString(text: string, origin: string): string {
  const slash = text.indexOf('/');
  const hosts = slash < 0 ? text : text.slice(0, slash);
  if (slash >= 0) checkZnodePath(text.slice(slash), `${origin} (its chroot suffix)`);
  const example = 'like 127.0.0.1:2181 or zk1:2181,zk2:2181,zk3:2181';
  if (hosts.trim() === '') throw new ConfigError(`${origin}: "${text}" names no ZooKeeper server (${example})`);
  for (const part of hosts.split(',')) {
    const m = /^(.+):(\d{1,5})$/.exec(part.trim());
    if (!m) throw new ConfigError(`${origin}: "${part}" is not host:port (${example})`);
    const port = Number(m[2]);
    if (port < 1 || port > 65_535) throw new ConfigError(`${origin}: port ${m[2]} of "${part}" is outside 1..65535`);
    if (!HOST.test(m[1]!)) throw new ConfigError(`${origin}: "${m[1]}" in "${part}" is not a host name or address (${example})`);
  }
  return text;
}

/** An absolute znode path: "/", or "/a/b" with no empty, "." or ".." segment (ZooKeeper's PathUtils rules). */
export function checkZnodePath(path: string, origin: string): string {
  const bad = (why: string): never => {
    throw new ConfigError(`${origin}: "${path}" ${why} (a znode path like /spamzk or /team/spamzk)`);
  };
  if (!path.startsWith('/')) bad('does not start with /');
  if (path === '/') return path;
  if (path.endsWith('/')) bad('ends with /');
  for (const segment of path.slice(1).split('/')) {
    if (segment === '') bad('has an empty segment (//)');
    if (segment === '.' || segment === '..') bad(`has a "${segment}" segment`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(segment)) bad('holds a control character');
  }
  return path;
}

/**
 * Makes the report folder (or, for the default reports/<job>, its parent) and
 * writes and removes a file in it, so that a folder that cannot be written
 * stops the command before the job, not after it ran.
 */
export function prepareReportDir(dir: string, origin: string): void {
  try {
    makeFolders(resolve(dir));
    if (!statSync(dir).isDirectory()) throw new Error('it exists and is not a folder');
    const probe = join(dir, `.spamzk-write-test-${process.pid}`);
    closeSync(openSync(probe, 'wx'));
    rmSync(probe, { force: true });
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(`${origin}: cannot write report files in ${dir} (${describeFsError(reason, err)})`);
  }
}

/**
 * mkdir -p, one level at a time. Not mkdirSync's `recursive`: under /proc it
 * loops for ever on ENOENT (Node 20), blocking the event loop so that even
 * SIGINT and SIGTERM go unheard (issue 13 item 6).
 */
function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      statSync(d);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(d) === d) throw err;
      missing.unshift(d);
    }
  }
  for (const d of missing) mkdirSync(d);
}

function describeFsError(code: string, err: unknown): string {
  const words: Record<string, string> = {
    EEXIST: 'a file of that name is in the way',
    ENOTDIR: 'part of the path is a file, not a folder',
    EACCES: 'permission denied',
    EPERM: 'not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'a folder on the path cannot be created there',
    ENOSPC: 'no space left',
  };
  return words[code] ?? (err as Error).message;
}

/**
 * `run --imap URL`: a well-formed imap(s) URL without a password, and a
 * password source that exists, checked before a ZooKeeper is started.
 */
export function checkImapSettings(url: string, passwordFile: string | undefined, env: NodeJS.ProcessEnv): void {
  if (!/^imaps?:\/\//i.test(url)) throw new ConfigError(`--imap: "${url}" is not an imap:// or imaps:// URL (like imaps://user@mail.example.org:993/INBOX)`);
  try {
    parseImapUrl(url);
  } catch (err) {
    throw new ConfigError(`--imap: ${(err as Error).message}`);
  }
  if (passwordFile !== undefined) {
    try {
      if (!statSync(passwordFile).isFile()) throw new Error('not a file');
    } catch (err) {
      throw new ConfigError(`--password-file: cannot read ${passwordFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  } else if (!env[DEFAULT_PASSWORD_ENV]) {
    throw new ConfigError(`no IMAP password: set ${DEFAULT_PASSWORD_ENV} or give --password-file (never in the URL or on the command line)`);
  }
}
