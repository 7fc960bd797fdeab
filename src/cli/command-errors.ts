/**
 * How the job commands turn an error into a message on stderr and an exit
 * code (the table is in the README). Typed errors carry a `code`; the class
 * of problem decides the exit code, the error's own message says what to fix.
 */
import { ConfigError } from './config.js';
import { EXIT } from './exit-codes.js';
import { zkErrorHint } from './zk-auth.js';
import { ChildProtocolError, ProcessorStoppedError } from '../pipeline/index.js';

/** A file or folder a command needs cannot be read: exit code 3. */
export class InputError extends Error {
  readonly code = 'CLI_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Something outside could not be reached or read: ZooKeeper, the IMAP server, a file. */
const UNAVAILABLE_CODES = new Set([
  'MODEL_NOT_FOUND',
  'MODEL_UNREADABLE',
  'MODEL_CORRUPT',
  'MODEL_VERSION',
  'SOURCE_BAD_LOCATION',
  'FIXTURE_BAD_FORMAT',
  'SERVER_START_FAILED',
  'JOB_NOT_FOUND',
  'SOURCE_CHANGED',
  'CLI_INPUT',
]);

export function exitCodeFor(err: unknown): number {
  // A child handed an order it cannot use: a usage error of whoever started it.
  if (err instanceof ConfigError || err instanceof ChildProtocolError) return EXIT.usage;
  // A processor's own exit code, passed on by the fleet that ran it.
  if (err instanceof ProcessorStoppedError) return err.exitCode;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('IMAP_') || code.startsWith('ZK_'))) {
    return EXIT.unavailable;
  }
  return EXIT.failure;
}

export function reportError(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  const hint = zkErrorHint(err);
  process.stderr.write(`spamzk: ${message}${hint ? ` (${hint})` : ''}\n`);
  return exitCodeFor(err);
}
