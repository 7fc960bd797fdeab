/**
 * What the report is built from. The pipeline gathers it from ZooKeeper (job
 * spec, done markers, events, quarantine) and from the source (labels); the
 * report module only shapes and renders it.
 */

import type { VerdictLabel } from '../classifier/index.js';
import type { ReportLearning } from './learning.js';

/** What the message truly is, for labelled fixtures. */
export type TrueLabel = 'spam' | 'ham';

/**
 * What names a message to a person, from its header (decoded, one line,
 * truncated; src/pipeline/message-headers.ts). Absent when the message has no
 * such field, and in done markers written before format v3.
 */
export interface MessageHeaders {
  readonly messageId?: string;
  readonly from?: string;
  readonly subject?: string;
  /** ISO 8601 UTC when the Date field parses, else the field as written. */
  readonly date?: string;
}

/**
 * One message's verdict, as its processor committed it in the batch's done
 * marker (src/pipeline/batch-result.ts) and as report.json lists it. The
 * label of a verdict is the classifier's own VerdictLabel; 'failed' is a
 * message that got none.
 */
export type MessageVerdict = MessageHeaders &
  (
  | {
      readonly key: number;
      readonly verdict: VerdictLabel;
      /** Spam probability in [0, 1] (quantized to 1/65535 in the done marker). */
      readonly score: number;
      /** Known for labelled fixtures. */
      readonly label?: TrueLabel;
      /** Set when the verdict came from partial input (size cap, undecodable part). */
      readonly note?: string;
    }
  | {
      readonly key: number;
      readonly verdict: 'failed';
      readonly score: null;
      readonly label?: TrueLabel;
      /** Why this message could not be classified (malformed, vanished from the mailbox...). */
      readonly reason: string;
    }
  );

/** A committed verdict and where it was committed. Exactly one per message key of the job. */
export type MessageOutcome = MessageVerdict & {
  readonly batch: number;
  readonly processor: string;
};

/**
 * A job's outcomes as groups (one per done marker), walked group by group:
 * `group(i)` builds group i's outcomes anew on each call, and the report
 * drops them before it asks for the next one, so no walk of a job holds
 * more than the groups whose key ranges overlap at one key (one, on a
 * healthy job).
 */
export interface OutcomeGroups {
  readonly groupCount: number;
  group(index: number): readonly MessageOutcome[];
}

export type Outcomes = readonly MessageOutcome[] | OutcomeGroups;

export interface BatchCommit {
  readonly batch: number;
  readonly first: number;
  readonly last: number;
  /** Messages the plan put in this batch (from its batch node): its outcomes must number as many. */
  readonly messages: number;
  readonly processor: string;
  /** Sequence number of the claim znode that committed it. */
  readonly claimSeq: number;
  /** How many claims this batch took (1 on the normal path). */
  readonly attempts: number;
  /** Commit time (ZooKeeper mtime of the done marker), ms since the epoch. */
  readonly committedAt: number;
  /** Time from claim to commit, ms. */
  readonly durationMs: number;
}

export interface ReclaimEvent {
  readonly batch: number;
  /** The processor whose claim was taken away; '' when the record does not say. */
  readonly fromProcessor: string;
  readonly byProcessor: string;
  readonly reason: 'stale' | 'session-expired' | string;
  readonly at: number;
}

export interface FencedCommitEvent {
  readonly batch: number;
  readonly processor: string;
  readonly claimSeq: number;
  readonly at: number;
}

/**
 * A commit whose reply was lost and whose outcome its processor could not
 * read back for certain (a follower that lags shows no done marker yet): not
 * "fenced", which would claim a fact. The batch's done marker, if any, says
 * who committed it.
 */
export interface UnknownCommitEvent extends FencedCommitEvent {
  readonly detail: string;
}

/** The source as it is when the report is written (the job's plan may be older). */
export type SourceCount =
  | {
      readonly reachable: true;
      /** Messages in the source now. */
      readonly messages: number;
      /** Of them, keys above the job's last planned key: arrived after the plan was last extended. */
      readonly notPlanned: number;
    }
  | { readonly reachable: false; readonly error: string };

export interface QuarantinedBatch {
  readonly batch: number;
  readonly first: number;
  readonly last: number;
  readonly attempts: number;
  readonly lastError: string;
  /** Messages in the batch, when the plan knows them (UID ranges can be sparse). */
  readonly messages?: number;
  /** The processor that quarantined it, and when (ZooKeeper ctime of the record). */
  readonly processor?: string;
  readonly at?: number;
}

export interface ReportInput {
  readonly job: {
    readonly jobId: string;
    readonly source: string;
    readonly modelId: string;
    readonly batchSize: number;
    readonly batches: number;
    readonly createdAt: number;
    readonly complete: boolean;
    /** Messages the job's plan counted (the mailbox as it was planned), when known. */
    readonly expectedMessages?: number;
    /** The source as its first planner named it (a path, or an IMAP URL without secrets). */
    readonly sourceName?: string;
    /** The model file and what it was trained on, as the first planner named it. */
    readonly modelName?: string;
    /** The model's cutoffs: below `ham` is ham, at or above `spam` is spam, unsure between. */
    readonly cutoffs?: { readonly ham: number; readonly spam: number };
    /** The source counted at report time, when the report was written where it can be reached. */
    readonly sourceNow?: SourceCount;
    /** With `--write-back move`: where spam goes, and committed spam still in the mailbox at report time (when it could be counted). */
    readonly moves?: { readonly junkMailbox: string; readonly pending?: number };
    /** The exact command that resumes the job, when the report's writer knows it. */
    readonly resumeCommand?: string;
  };
  /**
   * Every committed verdict: an array (small inputs, tests), or groups that
   * are built afresh each time one is asked for, so that a job's verdicts are
   * held in their compact, committed form and only one batch's worth at a
   * time as objects (docs/design.md, "Memory").
   */
  readonly outcomes: Outcomes;
  readonly commits: readonly BatchCommit[];
  readonly reclaims: readonly ReclaimEvent[];
  readonly fencedCommits: readonly FencedCommitEvent[];
  /** Commits of unknown outcome (a lost reply); absent = none recorded. */
  readonly unknownCommits?: readonly UnknownCommitEvent[];
  readonly quarantined: readonly QuarantinedBatch[];
  /** Longest event-loop stall per processor, ms, when measured. */
  readonly eventLoopStallMs?: Readonly<Record<string, number>>;
  /** With learned model versions (--learn): the versions the batches used, and what the run learned. */
  readonly learning?: ReportLearning;
}
