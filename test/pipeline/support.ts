/** Small helpers for tests that call the pipeline as a library (runJob, planNewMail). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobSettings, Logger } from '../../src/pipeline/index.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  bindings: Record<string, unknown>;
}

/** A Logger that records every line and lets a test react to one as it is written. */
export function recordingLogger(onLine: (line: LogLine) => void = () => undefined): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (a: object | string, b?: string): void => {
      const line: LogLine =
        typeof a === 'string' ? { level, message: a, bindings: {} } : { level, message: b ?? '', bindings: a as Record<string, unknown> };
      lines.push(line);
      onLine(line);
    };
  const log = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log as Logger & { lines: LogLine[] };
}

/** A labelled fixture folder (ham/ and spam/) of the given messages. */
export function writeFixture(dir: string, messages: readonly { raw: Buffer; label?: string }[]): string {
  for (const label of ['ham', 'spam']) mkdirSync(join(dir, label), { recursive: true });
  messages.forEach((m, i) => writeFileSync(join(dir, m.label === 'spam' ? 'spam' : 'ham', `m${String(i).padStart(5, '0')}.eml`), m.raw));
  return dir;
}

/** Job settings for a library run, with what a test does not care about set to the CLI's defaults. */
export function jobSettings(over: Partial<JobSettings> & Pick<JobSettings, 'source' | 'connectString' | 'zkRoot' | 'reportDir'>): JobSettings {
  return {
    model: undefined,
    batchSize: 5,
    sessionTimeoutMs: 3_000,
    staleAfterMs: 2_000,
    maxAttempts: 3,
    imapPasswordFile: undefined,
    caFile: undefined,
    insecure: false,
    writeBack: 'off',
    processors: 1,
    everyMs: undefined,
    childLogLevel: 'warn',
    ...over,
  };
}
