/**
 * Integrity checks: the job's invariant (no message skipped, none committed
 * twice) restated as facts the report can verify from what it was given.
 * A failed check does not stop the report: it is the report's most important
 * line.
 */
import { KeySpans } from './duplicate-keys.js';
import type { BatchSummary, DuplicateKey, IntegrityCheck, IntegrityReport } from './job-report.js';
import { byBatchThenClaim } from './ordering.js';
import type { BatchCommit, MessageOutcome, OutcomeGroups, ReportInput } from './types.js';

/** How many offenders a check names before it says "and N more". */
const MAX_LISTED = 20;

export class IntegrityTally {
  private readonly commitsByBatch = new Map<number, BatchCommit[]>();
  private readonly outcomesByBatch = new Map<number, number>();
  /** Key spans per group, for the unique-keys check without a set of every key. */
  readonly spans = new KeySpans();
  /** Of the `outsideCount` outcomes outside their batch's range, the lowest keys (at most 2 × MAX_LISTED kept). */
  private outsideRange: { key: number; batch: number }[] = [];
  private outsideCount = 0;

  constructor(commits: readonly BatchCommit[]) {
    // Sorted first, so that "the" commit of a batch and every detail string
    // are the same whatever order the commits were listed in.
    for (const c of [...commits].sort(byBatchThenClaim)) {
      const list = this.commitsByBatch.get(c.batch);
      if (list) list.push(c);
      else this.commitsByBatch.set(c.batch, [c]);
    }
  }

  add(o: MessageOutcome): void {
    this.outcomesByBatch.set(o.batch, (this.outcomesByBatch.get(o.batch) ?? 0) + 1);
    const commit = this.commitsByBatch.get(o.batch)?.[0];
    if (commit && (o.key < commit.first || o.key > commit.last)) this.noteOutside(o.key, o.batch);
  }

  /** After its outcomes went through `add`: the group's key span (see KeySpans). */
  addGroup(index: number, outcomes: readonly MessageOutcome[]): void {
    this.spans.addGroup(index, outcomes);
  }

  private noteOutside(key: number, batch: number): void {
    this.outsideCount++;
    this.outsideRange.push({ key, batch });
    if (this.outsideRange.length >= 2 * MAX_LISTED) this.outsideRange = lowestOutside(this.outsideRange);
  }

  batchSummary(input: ReportInput): BatchSummary {
    const quarantined = new Set(input.quarantined.map((q) => q.batch));
    let retried = 0;
    for (const commits of this.commitsByBatch.values()) if (commits.some((c) => c.attempts > 1)) retried++;
    const accounted = new Set([...this.commitsByBatch.keys(), ...quarantined]).size;
    return {
      planned: input.job.batches,
      committed: this.commitsByBatch.size,
      quarantined: quarantined.size,
      pending: Math.max(0, input.job.batches - accounted),
      retried,
    };
  }

  /** `groups` are the outcomes folded through add/addGroup: only groups whose key spans overlap are walked again. */
  finish(input: ReportInput, messages: number, groups: OutcomeGroups): IntegrityReport {
    const duplicateKeys = duplicatesOf(this.spans.repeats(groups));
    const checks = [
      this.uniqueKeys(duplicateKeys, messages),
      this.oneCommitPerBatch(),
      this.outcomesMatchCommits(),
      this.batchesAccounted(input),
      matchesSource(input, messages),
      ...(input.job.moves ? [spamMoved(input.job.moves)] : []),
    ];
    return {
      ok: checks.every((c) => c.status !== 'fail'),
      checks,
      duplicateKeys: duplicateKeys.slice(0, MAX_LISTED),
    };
  }

  private uniqueKeys(duplicates: readonly DuplicateKey[], messages: number): IntegrityCheck {
    if (duplicates.length === 0) {
      return pass('unique-keys', `${messages} distinct keys, one outcome each`);
    }
    const named = duplicates.map((d) => `key ${d.key} ×${d.count} (batches ${d.batches.join(', ')})`);
    return fail('unique-keys', `keys with more than one outcome (${duplicates.length}): ${listed(named, duplicates.length)}`);
  }

  private oneCommitPerBatch(): IntegrityCheck {
    const twice = [...this.commitsByBatch]
      .filter(([, commits]) => commits.length > 1)
      .sort(([a], [b]) => a - b)
      .map(([batch, commits]) => `batch ${batch} ×${commits.length} (claims ${commits.map((c) => c.claimSeq).join(', ')})`);
    if (twice.length === 0) return pass('one-commit-per-batch', `${this.commitsByBatch.size} batches, each committed once`);
    return fail('one-commit-per-batch', `batches committed more than once (${twice.length}): ${listed(twice, twice.length)}`);
  }

  private outcomesMatchCommits(): IntegrityCheck {
    const problems: string[] = [];
    const batches = new Set([...this.commitsByBatch.keys(), ...this.outcomesByBatch.keys()]);
    for (const batch of [...batches].sort((a, b) => a - b)) {
      const commit = this.commitsByBatch.get(batch)?.[0];
      const outcomes = this.outcomesByBatch.get(batch) ?? 0;
      if (!commit) problems.push(`batch ${batch} has ${outcomes} outcomes but no commit`);
      else if (commit.messages !== outcomes) {
        problems.push(`batch ${batch} planned ${commit.messages} messages but has ${outcomes} outcomes`);
      }
    }
    const outside = lowestOutside(this.outsideRange)
      .map(({ key, batch }) => {
        const commit = this.commitsByBatch.get(batch)![0]!;
        return `key ${key} is outside batch ${batch} (${commit.first}–${commit.last})`;
      });
    const count = problems.length + this.outsideCount;
    if (count === 0) {
      return pass('outcomes-match-commits', `each of ${this.commitsByBatch.size} committed batches has as many outcomes as its plan counted, all within its key range`);
    }
    return fail('outcomes-match-commits', listed([...problems, ...outside], count));
  }

  private batchesAccounted(input: ReportInput): IntegrityCheck {
    const name = 'batches-accounted';
    const both = input.quarantined.filter((q) => this.commitsByBatch.has(q.batch)).map((q) => q.batch);
    if (both.length > 0) {
      return fail(name, `batches both committed and quarantined: ${listed(both.map(String), both.length)}`);
    }
    const s = this.batchSummary(input);
    const accounted = s.committed + s.quarantined;
    if (accounted > s.planned) {
      return fail(name, `${accounted} batches committed or quarantined, but the job plan has only ${s.planned}`);
    }
    if (s.pending === 0) {
      return pass(name, `all ${s.planned} batches accounted for: ${s.committed} committed, ${s.quarantined} quarantined`);
    }
    if (input.job.complete) {
      return fail(name, `the job is marked complete but ${s.pending} of ${s.planned} batches are neither committed nor quarantined`);
    }
    return skipped(name, `job in progress: ${s.pending} of ${s.planned} batches pending`);
  }
}

function duplicatesOf(repeats: Map<number, number[]>): DuplicateKey[] {
  return [...repeats]
    .map(([key, batches]) => ({ key, count: batches.length, batches: [...batches].sort((a, b) => a - b) }))
    .sort((a, b) => a.key - b.key);
}

function lowestOutside(list: readonly { key: number; batch: number }[]): { key: number; batch: number }[] {
  return [...list].sort((a, b) => a.key - b.key || a.batch - b.batch).slice(0, MAX_LISTED);
}

/**
 * The outcomes against the plan's count, then against the source as it is at
 * report time, when the report's writer could count it: a rerun that missed
 * new mail must not read "= N messages in the source" (issue 12 item 7).
 */
function matchesSource(input: ReportInput, messages: number): IntegrityCheck {
  const name = 'matches-source';
  const planned = input.job.expectedMessages;
  if (planned === undefined) return skipped(name, 'the source size is not known');
  const held = input.quarantined.reduce((sum, q) => sum + (q.messages ?? 0), 0);
  const quarantinedText = held > 0 ? ` + ${held} in quarantined batches` : '';
  if (!input.job.complete) {
    return skipped(name, `job in progress: ${messages} outcomes${quarantinedText} so far of ${planned} planned messages; compared once the job is complete`);
  }
  if (messages + held !== planned) {
    const gap = planned - messages - held;
    const what = gap > 0 ? `${gap} messages unaccounted for` : `${-gap} more than the plan holds`;
    const sizeUnknown = input.quarantined.filter((q) => q.messages === undefined).length;
    const unknown = sizeUnknown > 0 ? ` (${sizeUnknown} quarantined batches of unknown size may hold them)` : '';
    return fail(name, `${messages} outcomes${quarantinedText} for ${planned} messages the plan counted in the source: ${what}${unknown}`);
  }
  const ofPlan = `${messages} outcomes${quarantinedText} = ${planned} messages the plan counted`;
  const now = input.job.sourceNow;
  if (now === undefined) return pass(name, `${ofPlan} (the source was not counted again at report time)`);
  if (!now.reachable) return skipped(name, `${ofPlan}; the source could not be counted at report time (${now.error}), so it is not compared with the mailbox as it is`);
  return againstSourceNow(name, ofPlan, planned, now.messages, now.notPlanned);
}

function againstSourceNow(name: string, ofPlan: string, planned: number, inSource: number, notPlanned: number): IntegrityCheck {
  const counted = `the source holds ${inSource} messages now (counted at report time)`;
  const stillThere = inSource - notPlanned;
  if (stillThere > planned) {
    return fail(name, `${ofPlan}, but ${counted} and ${stillThere - planned} of them lie inside the planned key ranges without an outcome`);
  }
  const left = stillThere < planned ? `; ${planned - stillThere} classified messages have left it since (expunged, or moved by --write-back move)` : '';
  if (notPlanned > 0) {
    return skipped(name, `${ofPlan}; ${counted}: ${notPlanned} arrived after the plan was last extended and are not classified yet (the next run or pass plans them)${left}`);
  }
  return pass(name, `${ofPlan}; ${counted}${left}`);
}

/** `--write-back move`: every committed spam verdict's message has left the mailbox. */
function spamMoved(moves: NonNullable<ReportInput['job']['moves']>): IntegrityCheck {
  const name = 'spam-moved';
  const to = JSON.stringify(moves.junkMailbox);
  if (moves.pending === undefined) return skipped(name, `the source could not be listed at report time: moves to ${to} not checked`);
  if (moves.pending === 0) return pass(name, `no message with a committed spam verdict is left in the mailbox: all were moved to ${to}`);
  return fail(name, `${moves.pending} messages with a committed spam verdict are still in the mailbox: their move to ${to} failed; rerun the command to move them`);
}

function listed(items: readonly string[], total: number): string {
  const shown = items.slice(0, MAX_LISTED).join('; ');
  return total > MAX_LISTED ? `${shown}; and ${total - MAX_LISTED} more` : shown;
}

const pass = (name: string, detail: string): IntegrityCheck => ({ name, status: 'pass', detail });
const fail = (name: string, detail: string): IntegrityCheck => ({ name, status: 'fail', detail });
const skipped = (name: string, detail: string): IntegrityCheck => ({ name, status: 'skipped', detail });
