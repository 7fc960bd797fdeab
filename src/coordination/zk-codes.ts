/**
 * ZooKeeper error codes that node-zookeeper-client 1.1.3 does not know.
 *
 * Its code table is the 3.4 one. For any other code, its `Exception.create`
 * throws `Error('Unknown code: N')`, and it calls that from the socket's data
 * handler (ConnectionManager.onSocketData) and from the multi's reply
 * (Transaction.commit): the throw escapes as an uncaught exception and kills
 * the process. A 3.5+ server does send such codes, e.g. -125 QUOTA_EXCEEDED
 * from 3.8 with `-Dzookeeper.enforceQuota=true` and a hard quota set (issue
 * 12; test/coordination/unknown-codes.test.ts).
 *
 * So at load time, in this one place, `Exception.create` is wrapped: a code
 * the library lacks becomes an ordinary exception object carrying that code
 * and the server's name for it, delivered to the request's callback, and the
 * session wraps it like any other reply (ZkOperationError, code
 * `ZK_<NAME>`). node_modules is not edited.
 */
import zookeeper from 'node-zookeeper-client';

/** Codes of ZooKeeper 3.5-3.9 (org.apache.zookeeper.KeeperException.Code) missing from the library's table. */
const NEWER_CODES: Readonly<Record<number, string>> = {
  [-12]: 'UNKNOWN_SESSION',
  [-13]: 'NEW_CONFIG_NO_QUORUM',
  [-14]: 'RECONFIG_IN_PROGRESS',
  [-118]: 'SESSION_MOVED',
  [-119]: 'NOT_READ_ONLY',
  [-120]: 'EPHEMERAL_ON_LOCAL_SESSION',
  [-121]: 'NO_WATCHER',
  [-122]: 'REQUEST_TIMEOUT',
  [-123]: 'RECONFIG_DISABLED',
  [-124]: 'SESSION_CLOSED_REQUIRE_SASL_AUTH',
  [-125]: 'QUOTA_EXCEEDED',
  [-127]: 'THROTTLED_OP',
};

/** The server's name for a code (ours for those the library lacks), or UNKNOWN_CODE_<n>. */
export function zkCodeName(code: number): string {
  const known = Object.entries(zookeeper.Exception).find(([name, value]) => value === code && /^[A-Z_]+$/.test(name));
  return known?.[0] ?? NEWER_CODES[code] ?? `UNKNOWN_CODE_${code}`;
}

interface ExceptionModule {
  create(code: number, path?: string): Error;
  prototype: object;
}

const PATCHED = Symbol.for('spamzk.zk-unknown-codes');

function installUnknownCodeGuard(): void {
  const mod = zookeeper.Exception as unknown as ExceptionModule & { [PATCHED]?: true };
  if (mod[PATCHED]) return;
  const original = mod.create.bind(mod);
  mod.create = (code: number, path?: string): Error => {
    try {
      return original(code, path);
    } catch {
      // The library's "Unknown code" throw: answer the request instead of killing the process.
      const err = Object.create(mod.prototype) as Error & { code: number; path?: string };
      err.code = code;
      err.name = zkCodeName(code);
      err.path = path;
      err.message = `Exception: ${err.name}[${code}]${path ? `@${path}` : ''}`;
      return err;
    }
  };
  mod[PATCHED] = true;
}

installUnknownCodeGuard();
