/** The chaos run's table: one row per round and a totals row. */
import type { RoundAudit } from './audit.js';
import { FAULT_KINDS, type FaultKind } from './schedule.js';

export interface RoundRow {
  readonly round: number;
  readonly faults: Record<FaultKind, number>;
  /** Scheduled faults that found nothing to hit (job already complete, no IMAP session). */
  readonly skipped: number;
  readonly replaced: number;
  readonly wallMs: number;
  readonly audit: RoundAudit;
  /** What each fault hit, in order. */
  readonly log: readonly string[];
  /** With --learn: the user's corrections, whether each was learned exactly once, and the model versions made. */
  readonly learning?: { readonly corrections: number; readonly learnedOnce: boolean; readonly versions: number };
}

const COLUMNS = ['round', ...FAULT_KINDS, 'skipped', 'messages', 'missing', 'double', 'wrong', 'fenced', 'reclaims', 'quarantined', 'replaced', 'wall s', 'audit'];

export function renderTable(rows: readonly RoundRow[]): string {
  const learning = rows.some((r) => r.learning);
  const columns = learning ? [...COLUMNS.slice(0, -1), 'corrections', 'versions', 'learned once', 'audit'] : COLUMNS;
  const withLearning = (cols: string[], r: RoundRow): string[] =>
    learning ? [...cols.slice(0, -1), String(r.learning?.corrections ?? 0), String(r.learning?.versions ?? 0), r.learning?.learnedOnce === false ? 'FAIL' : 'ok', cols[cols.length - 1]!] : cols;
  const lines = rows.map((r) => withLearning(cells(String(r.round), r), r));
  if (rows.length > 0) lines.push(withLearning(cells('total', totalOf(rows)), totalOf(rows)));
  const widths = columns.map((c, i) => Math.max(c.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cols: readonly string[]): string => `| ${cols.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  return [fmt(columns), `|${widths.map((w) => '-'.repeat(w + 1) + ':').join('|')}|`, ...lines.map(fmt)].join('\n');
}

export function totalOf(rows: readonly RoundRow[]): RoundRow {
  const sum = (f: (r: RoundRow) => number): number => rows.reduce((s, r) => s + f(r), 0);
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, sum((r) => r.faults[k])])) as Record<FaultKind, number>;
  const audits = rows.map((r) => r.audit);
  const total = (f: (a: RoundAudit) => number): number => audits.reduce((s, a) => s + f(a), 0);
  return {
    round: rows.length,
    faults,
    skipped: sum((r) => r.skipped),
    replaced: sum((r) => r.replaced),
    wallMs: sum((r) => r.wallMs),
    log: [],
    ...(rows.some((r) => r.learning)
      ? { learning: { corrections: sum((r) => r.learning?.corrections ?? 0), versions: sum((r) => r.learning?.versions ?? 0), learnedOnce: rows.every((r) => r.learning?.learnedOnce !== false) } }
      : {}),
    audit: {
      messages: total((a) => a.messages),
      missing: total((a) => a.missing),
      doubleCommitted: total((a) => a.doubleCommitted),
      wrongVerdicts: total((a) => a.wrongVerdicts),
      batches: total((a) => a.batches),
      uncommittedBatches: total((a) => a.uncommittedBatches),
      quarantined: total((a) => a.quarantined),
      fencedRejected: total((a) => a.fencedRejected),
      fencedButStored: total((a) => a.fencedButStored),
      reclaims: total((a) => a.reclaims),
      reportAgrees: audits.every((a) => a.reportAgrees),
      problems: audits.flatMap((a) => a.problems),
      ok: audits.every((a) => a.ok),
    },
  };
}

function cells(label: string, r: RoundRow): string[] {
  const a = r.audit;
  return [
    label,
    ...FAULT_KINDS.map((k) => String(r.faults[k])),
    String(r.skipped),
    String(a.messages),
    String(a.missing),
    String(a.doubleCommitted),
    String(a.wrongVerdicts),
    String(a.fencedRejected),
    String(a.reclaims),
    String(a.quarantined),
    String(r.replaced),
    (r.wallMs / 1000).toFixed(1),
    a.ok ? 'ok' : 'FAIL',
  ];
}
