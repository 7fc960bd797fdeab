/**
 * The audit of one chaos round, from two independent views of the job:
 *   - ZooKeeper itself: the done markers (one per batch, each holding the
 *     verdicts of the claim that committed it), the quarantine and the events;
 *   - the report, built the way `spamzk report` builds it.
 * Each committed verdict is compared with what the model says of that message
 * alone, classified here in the auditing process.
 */
import { readBatches, readDoneMarkers, readEvents, readQuarantine, type ZkSession } from '../../src/coordination/index.js';
import { decodeBatchResult, gatherReportInput } from '../../src/pipeline/index.js';
import { buildReport } from '../../src/report/index.js';

export interface ExpectedVerdict {
  readonly verdict: string;
  /** Quantized as stored (quantizeScore); 0 for failed. */
  readonly score: number;
}

export interface RoundAudit {
  readonly messages: number;
  /** Expected keys with no committed verdict. */
  readonly missing: number;
  /** Keys committed more than once, plus keys committed that the mailbox does not have. */
  readonly doubleCommitted: number;
  /** Verdicts that differ from the model's verdict of the message alone. */
  readonly wrongVerdicts: number;
  readonly batches: number;
  /** Batches with no done marker (quarantined or lost). */
  readonly uncommittedBatches: number;
  readonly quarantined: number;
  readonly fencedRejected: number;
  /** Fenced claims whose verdicts were nevertheless stored (must be 0). */
  readonly fencedButStored: number;
  readonly reclaims: number;
  /** The report's view agrees with ZooKeeper's (totals, one verdict per key, integrity ok). */
  readonly reportAgrees: boolean;
  readonly problems: string[];
  readonly ok: boolean;
}

export async function auditRound(
  session: ZkSession,
  root: string,
  jobId: string,
  expected: ReadonlyMap<number, ExpectedVerdict>,
): Promise<RoundAudit> {
  const problems: string[] = [];
  const [batches, done, quarantine, events] = await Promise.all([
    readBatches(session, root, jobId),
    readDoneMarkers(session, root, jobId),
    readQuarantine(session, root, jobId),
    readEvents(session, root, jobId),
  ]);

  const committedBy = new Map<number, number>();
  let wrongVerdicts = 0;
  const markersPerBatch = new Map<number, number>();
  for (const marker of done) {
    markersPerBatch.set(marker.batch, (markersPerBatch.get(marker.batch) ?? 0) + 1);
    for (const m of decodeBatchResult(marker.result).messages) {
      committedBy.set(m.key, (committedBy.get(m.key) ?? 0) + 1);
      const want = expected.get(m.key);
      if (want && (want.verdict !== m.verdict || want.score !== m.score)) {
        wrongVerdicts++;
        if (wrongVerdicts <= 5) problems.push(`key ${m.key}: committed ${m.verdict} ${m.score}, the model alone says ${want.verdict} ${want.score}`);
      }
    }
  }
  const missingKeys = [...expected.keys()].filter((k) => !committedBy.has(k));
  const doubleKeys = [...committedBy].filter(([k, n]) => n > 1 || !expected.has(k)).map(([k]) => k);
  if (missingKeys.length) problems.push(`${missingKeys.length} keys have no verdict, e.g. ${missingKeys.slice(0, 5).join(', ')}`);
  if (doubleKeys.length) problems.push(`${doubleKeys.length} keys committed twice or unknown, e.g. ${doubleKeys.slice(0, 5).join(', ')}`);
  for (const [b, n] of markersPerBatch) if (n > 1) problems.push(`batch ${b} has ${n} done markers`);

  // A fenced claim's commit must not be the one stored: the marker of that
  // batch must name another claim.
  const markerOf = new Map(done.map((d) => [d.batch, d]));
  const fenced = events.filter((e) => e.type === 'fenced');
  const fencedButStored = fenced.filter((e) => markerOf.get(e.batch)?.claimSeq === e.claimSeq).length;
  if (fencedButStored) problems.push(`${fencedButStored} fenced claims had their verdicts stored`);

  const uncommittedBatches = batches.filter((b) => !markerOf.has(b.index)).length;
  if (uncommittedBatches) problems.push(`${uncommittedBatches} of ${batches.length} batches have no done marker (${quarantine.length} quarantined)`);

  const reportAgrees = await reportView(session, root, jobId, expected, problems);
  return {
    messages: expected.size,
    missing: missingKeys.length,
    doubleCommitted: doubleKeys.length,
    wrongVerdicts,
    batches: batches.length,
    uncommittedBatches,
    quarantined: quarantine.length,
    fencedRejected: fenced.length,
    fencedButStored,
    reclaims: events.filter((e) => e.type === 'reclaimed').length,
    reportAgrees,
    problems,
    ok: problems.length === 0,
  };
}

async function reportView(
  session: ZkSession,
  root: string,
  jobId: string,
  expected: ReadonlyMap<number, ExpectedVerdict>,
  problems: string[],
): Promise<boolean> {
  const report = buildReport(await gatherReportInput(session, root, jobId));
  const before = problems.length;
  if (report.totals.messages !== expected.size) problems.push(`report totals.messages ${report.totals.messages} != mailbox ${expected.size}`);
  const verdicts = [...report.verdicts]; // a chaos job is small: the audit holds its verdicts
  const keys = verdicts.map((v) => v.key);
  if (new Set(keys).size !== keys.length) problems.push('report has a key with two verdicts');
  const wrong = verdicts.filter((v) => {
    const want = expected.get(v.key);
    return !want || want.verdict !== v.verdict || (v.score ?? 0) !== want.score;
  });
  if (wrong.length) problems.push(`report: ${wrong.length} verdicts differ from the model's, e.g. key ${wrong[0]!.key}`);
  if (!report.integrity.ok) {
    const failedChecks = report.integrity.checks.filter((c) => c.status === 'fail').map((c) => `${c.name}: ${c.detail}`);
    problems.push(`report integrity failed: ${failedChecks.join('; ')}`);
  }
  if (!report.job.complete) problems.push('report says the job is not complete');
  return problems.length === before;
}
