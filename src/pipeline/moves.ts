/**
 * `--write-back move`: spam leaves the mailbox only for a committed verdict,
 * and a move that does not happen is never lost silently.
 *
 * The fenced commit is the point where a verdict becomes the job's. A move
 * before it (as before issue 12 item 7) let a processor whose claim had been
 * reclaimed move mail for a verdict that was never committed. So a batch's
 * spam keys wait here until its 'committed' event, and only then are moved.
 * A crash between the commit and the move would leave committed spam in the
 * mailbox; UIDs are never reused within a UIDVALIDITY, so "a key with a
 * committed spam verdict still in the mailbox" is exactly a pending move, and
 * `movesPending` finds them from the done markers and the mailbox (the run's
 * report does this and moves them; what it cannot move, its `spam-moved`
 * check reports).
 */
import type { Processor } from '../coordination/index.js';
import { writeBackVerdicts, type MailSource } from '../sources/index.js';
import type { MessageOutcome } from '../report/index.js';
import type { Logger } from './settings.js';

interface Held {
  readonly claimSeq: number;
  readonly spam: readonly number[];
}

export class MovesAfterCommit {
  private readonly held = new Map<number, Held>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly source: MailSource,
    private readonly log: Logger,
  ) {}

  /** A worker's classified batch: its spam waits for the commit of this claim. */
  hold(batch: number, claimSeq: number, spam: readonly number[]): void {
    if (spam.length > 0) this.held.set(batch, { claimSeq, spam });
  }

  /** The batch's verdicts were committed under `claimSeq`: move its spam now. */
  committed(batch: number, claimSeq: number): void {
    const held = this.held.get(batch);
    this.held.delete(batch);
    if (!held || held.claimSeq !== claimSeq) return;
    const move = writeBackVerdicts(this.source, held.spam.map((key) => ({ key, label: 'spam' as const }))).then(
      () => undefined,
      (err: unknown) =>
        this.log.warn(
          { batch, messages: held.spam.length, err: (err as Error).message },
          'moving committed spam failed: the moves stay pending and the run moves them when it writes its report',
        ),
    );
    this.inFlight.add(move);
    void move.finally(() => this.inFlight.delete(move));
  }

  /** The attempt ended without a commit of ours (fenced, failed, released): its verdicts are not the job's. */
  dropped(batch: number): void {
    this.held.delete(batch);
  }

  /** Follows a processor's attempts: a commit releases the batch's moves, any other end drops them. */
  follow(processor: Processor): this {
    processor.on('committed', (e) => this.committed(e.batch.index, e.claimSeq));
    processor.on('fenced', (e) => this.dropped(e.batch));
    processor.on('failed', (e) => this.dropped(e.batch));
    processor.on('released', (e) => this.dropped(e.batch));
    return this;
  }

  /** Waits for the moves in flight (before the source closes). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

/**
 * Moves the committed spam still in the mailbox (a crash or an IMAP failure
 * came between a commit and its move); returns the mailbox's keys after it and
 * how many moves are still pending (0 unless the server refused them).
 */
export async function completePendingMoves(
  source: MailSource,
  outcomes: Iterable<MessageOutcome>,
  keys: readonly number[],
  log: Logger,
): Promise<{ keys: number[]; pending: number }> {
  const pending = movesPending(outcomes, keys);
  if (pending.length === 0) return { keys: [...keys], pending: 0 };
  log.warn({ messages: pending.length }, 'committed spam still in the mailbox (a move interrupted after its commit): moving it now');
  try {
    await writeBackVerdicts(source, pending.map((key) => ({ key, label: 'spam' as const })));
  } catch (err) {
    log.error({ messages: pending.length, err: (err as Error).message }, 'pending moves failed: the report lists them');
  }
  const after = await source.listKeys();
  return { keys: after, pending: movesPending(outcomes, after).length };
}

/**
 * Keys with a committed spam verdict that are still in the mailbox: moves
 * that did not happen. `outcomes` is walked once per call (the report's walk
 * decodes done markers batch by batch: no list of every outcome is built).
 */
export function movesPending(outcomes: Iterable<MessageOutcome>, keysInSource: readonly number[]): number[] {
  const present = new Set(keysInSource);
  const pending: number[] = [];
  for (const o of outcomes) if (o.verdict === 'spam' && present.has(o.key)) pending.push(o.key);
  return pending.sort((a, b) => a - b);
}
