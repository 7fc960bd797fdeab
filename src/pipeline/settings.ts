/**
 * What the pipeline is given: its own settings and log interface. The CLI
 * alone reads flags, SPAMZK_* variables and the config file, and maps them to
 * these; the pipeline reads no environment and imports nothing from src/cli.
 *
 * Secrets are not settings: the fleet's ZooKeeper credentials come in beside
 * them (`auth`), and a child processor reads them from its inherited
 * environment, never from the settings it is sent (child-protocol.ts).
 */
import type { ZkAuth } from '../coordination/index.js';

export type { ZkAuth };

type LogFn = {
  (bindings: object, message?: string): void;
  (message: string): void;
};

/** Structured logging as the pipeline uses it (pino's Logger satisfies it). */
export interface Logger {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

export type WriteBackMode = 'off' | 'keywords' | 'move';
export const WRITE_BACK_MODES: readonly WriteBackMode[] = ['off', 'keywords', 'move'];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Everything one processor needs, secrets aside; it is also what a local fleet sends each child. */
export interface ProcessorSettings {
  /** Fixture path or imap(s):// URL (never with a password in it). */
  readonly source: string;
  /** ZooKeeper connect string of the fleet. */
  readonly connectString: string;
  /** Root znode under which jobs live. */
  readonly zkRoot: string;
  /** Model file; undefined = the shipped model. */
  readonly model: string | undefined;
  readonly batchSize: number;
  readonly sessionTimeoutMs: number;
  readonly staleAfterMs: number;
  readonly maxAttempts: number;
  /** IMAP only (fixture sources ignore them). */
  readonly imapPasswordFile: string | undefined;
  readonly caFile: string | undefined;
  readonly insecure: boolean;
  readonly writeBack: WriteBackMode;
  /**
   * IMAP only: connections the whole fleet may hold on the mailbox's account
   * at once (a ZooKeeper lease per connection, imap-cap.ts); undefined = no
   * fleet-wide cap, each process keeps to its own limits.
   */
  readonly imapMaxConnections?: number;
  /** For writeBack 'move': the mailbox spam goes to (it must exist); undefined = the one with SPECIAL-USE \\Junk. */
  readonly junkMailbox?: string | undefined;
  /** Learn from the user's corrections (docs/design.md, "Learning from the mailbox it guards"); IMAP only. Its Junk mailbox is `junkMailbox`. */
  readonly learn?: LearnSettings | undefined;
}

export interface LearnSettings {
  /** The content-addressed model store (shared storage on a fleet of several machines). */
  readonly modelStore: string;
}

/** Where a processor serves its Prometheus /metrics. */
export interface MetricsEndpoint {
  readonly host: string;
  /** A local fleet gives its child in slot k the port `port + k`. */
  readonly port: number;
}

/** A whole run on this machine: N local processors, an optional cadence, the report. */
export interface JobSettings extends ProcessorSettings {
  readonly processors: number;
  /** Cadence: re-list the source every this many ms; undefined = one pass. */
  readonly everyMs: number | undefined;
  /** Where report.json/.md/.html go; undefined = reports/<job>. */
  readonly reportDir: string | undefined;
  /** Log level of the child processors (quieter while a progress bar is drawn). */
  readonly childLogLevel: LogLevel;
  /** Each local processor serves /metrics on port + its slot; undefined = no metrics. */
  readonly metrics?: MetricsEndpoint;
}
