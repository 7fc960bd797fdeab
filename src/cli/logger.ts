/**
 * Structured logs (pino, JSON lines) go to stderr so stdout stays for the
 * report and machine-readable output. Secrets never reach a log: config
 * objects are logged through `redact` paths as a second line of defence.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'spamzk'): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: ['password', '*.password', 'zkAuth', '*.zkAuth', 'auth', '*.auth'], censor: '[redacted]' },
    },
    pino.destination(2),
  );
}
