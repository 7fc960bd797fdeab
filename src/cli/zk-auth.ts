/**
 * The fleet's ZooKeeper credentials, read from the environment, never from
 * argv: SPAMZK_ZK_AUTH="user:password", or SPAMZK_ZK_AUTH_FILE=/path whose
 * file holds "user:password". The coordination layer takes the resulting
 * ZkAuth as an input and knows nothing of these variables.
 */
import { readFile } from 'node:fs/promises';
import type { ZkAuth } from '../coordination/index.js';
import { ConfigError } from './config.js';

export async function zkAuthFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<ZkAuth | undefined> {
  let raw = env.SPAMZK_ZK_AUTH;
  if (!raw && env.SPAMZK_ZK_AUTH_FILE) {
    const file = env.SPAMZK_ZK_AUTH_FILE;
    raw = (
      await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new ConfigError(`SPAMZK_ZK_AUTH_FILE=${file} cannot be read (${err.code ?? err.message})`);
      })
    ).trim();
  }
  if (!raw) return undefined;
  const colon = raw.indexOf(':');
  if (colon <= 0 || colon === raw.length - 1) {
    throw new ConfigError('ZooKeeper credentials must look like "user:password" (SPAMZK_ZK_AUTH or SPAMZK_ZK_AUTH_FILE)');
  }
  return { user: raw.slice(0, colon), password: raw.slice(colon + 1) };
}

/** What a user of this command line can do about a coordination error, if anything. */
export function zkErrorHint(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'ZK_NO_AUTH') return 'set the fleet credentials in SPAMZK_ZK_AUTH or SPAMZK_ZK_AUTH_FILE';
  if (code === 'ZK_UNREACHABLE') return 'check --zk / SPAMZK_ZK; a local server starts with scripts/zookeeper.ts start';
  return '';
}
