/**
 * report.html: one self-contained file (inline CSS and SVG, no script, no
 * external resource), readable offline and safe to mail around. Every value
 * from the input passes through the escaping `html` template. The table of
 * spam and unsure messages sorts by a clicked column without script: each
 * column header is the label of a radio button, and the checked one sets the
 * CSS `order` of the rows from a rank each row carries (flagged-table.ts).
 */
import { inProgressNotice } from './progress-notice.js';
import { barChart, histogramChart, lineChart, type Marker, type Series } from './charts.js';
import { FLAGGED_TABLE_STYLE, flaggedSection } from './flagged-table.js';
import { count, decimal, duration, oneLine, percent, rate, timestamp } from './figures.js';
import { html, trusted, type HtmlValue, type SafeHtml } from './html-template.js';
import type { AccuracyReport, JobReport } from './job-report.js';
import { learningHtml } from './learning.js';

/** Rows shown per table before "and N more in report.json". */
const MAX_ROWS = 200;

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
const COLOR = { spam: '#D55E00', ham: '#0072B2', unsure: '#E69F00', failed: '#888888', unlabelled: '#999999' };
const LINE_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const LINE_DASHES = ['none', '6 3', '2 3'];

const STYLE = trusted(`
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 24px auto; max-width: 1140px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; margin-top: 0; }
.banner { padding: 8px 12px; border-radius: 4px; font-weight: 600; }
.ok { background: #e6f4ea; color: #1e5e2f; } .bad { background: #fde8e4; color: #8a1f0f; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 16px; min-width: 110px; }
.card b { display: block; font-size: 22px; } .card span { color: #555; font-size: 13px; }
.charts { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.reason { max-width: 640px; overflow-wrap: anywhere; }
.pass { color: #1e7d32; font-weight: 600; } .fail { color: #b3261e; font-weight: 600; } .skipped { color: #777; }
.more, .none { color: #666; font-style: italic; }
`);

function inProgressBanner(report: JobReport): SafeHtml {
  const notice = inProgressNotice(report);
  return notice.command === undefined
    ? html`<p class="banner">${notice.text}</p>`
    : html`<p class="banner">${notice.text} <code>${notice.command}</code></p>`;
}

export function renderHtml(report: JobReport): string {
  const j = report.job;
  const failedChecks = report.integrity.checks.filter((c) => c.status === 'fail').map((c) => c.name);
  // A failed integrity check is the one thing a reader must not miss: its
  // table then comes first instead of last.
  const banner = !report.integrity.ok
    ? html`<p class="banner bad">Integrity: FAILED (${failedChecks.join(', ')}).</p>`
    : j.complete
      ? html`<p class="banner ok">Integrity: all checks pass.</p>`
      : inProgressBanner(report);
  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>spamzk report: ${j.jobId}</title><style>${STYLE}${FLAGGED_TABLE_STYLE}</style></head>
<body>
<h1>spamzk report: job ${j.jobId}</h1>
<p class="meta">Source ${j.sourceName ?? j.source}${j.sourceName ? html` <span title="identity">(${j.source})</span>` : ''}<br>Model ${j.modelName ?? html`${j.modelId} (content hash)`}<br>${count(j.batches)} ${j.batches === 1 ? 'batch' : 'batches'} of up to ${count(j.batchSize)} messages · created ${timestamp(j.createdAt)} · ${j.complete ? 'complete' : 'in progress'}</p>
${banner}
${report.integrity.ok ? '' : integritySection(report)}
${totalsCards(report)}
${charts(report)}
${flaggedSection(report)}
${accuracySection(report.accuracy)}
${processorsSection(report)}
${report.learning ? learningHtml(report.learning) : ''}
${eventsSection(report)}
${failedSection(report)}
${commitsSection(report)}
${report.integrity.ok ? integritySection(report) : ''}
<p class="meta">Per-message verdicts (${count(report.verdicts.length)}) are in report.json.</p>
</body></html>
`;
  return page.text;
}

function totalsCards(r: JobReport): SafeHtml {
  const t = r.totals;
  const b = r.batches;
  const cards: [string, string][] = [
    ['messages', count(t.messages)], ['spam', count(t.spam)], ['ham', count(t.ham)], ['unsure', count(t.unsure)],
    ['failed', count(t.failed)], ['batches committed', `${count(b.committed)} / ${count(b.planned)}`],
    ['quarantined', count(b.quarantined)], ['reclaims', count(r.reclaims.length)], ['fenced commits', count(r.fencedCommits.length)],
  ];
  if (r.maxEventLoopStallMs !== null) cards.push(['longest event-loop stall', duration(r.maxEventLoopStallMs)]);
  return html`<div class="cards">${cards.map(([label, value]) => html`<div class="card"><b>${value}</b><span>${label}</span></div>`)}</div>`;
}

function charts(r: JobReport): SafeHtml {
  const t = r.totals;
  const verdicts = barChart('Verdicts', [
    { label: 'spam', value: t.spam, color: COLOR.spam },
    { label: 'ham', value: t.ham, color: COLOR.ham },
    { label: 'unsure', value: t.unsure, color: COLOR.unsure },
    { label: 'failed', value: t.failed, color: COLOR.failed },
  ]);
  const bins = r.scoreHistogram;
  const stacks: Series[] = [
    { name: 'labelled ham', color: COLOR.ham, values: bins.map((b) => b.hamLabelled) },
    { name: 'labelled spam', color: COLOR.spam, values: bins.map((b) => b.spamLabelled) },
    { name: 'no label', color: COLOR.unlabelled, values: bins.map((b) => b.unlabelled) },
  ].filter((s) => s.values.some((v) => v > 0));
  const c = r.job.cutoffs;
  const markers: Marker[] = c ? [{ at: c.ham, label: `ham below ${c.ham}` }, { at: c.spam, label: `spam from ${c.spam}` }] : [];
  const histogram = histogramChart('Score histogram', stacks.length > 0 ? stacks : [{ name: 'messages', color: COLOR.unlabelled, values: bins.map(() => 0) }], markers);
  const tl = r.throughput;
  const lines: Series[] = tl.series.map((s, i) => ({
    name: s.processor,
    color: LINE_COLORS[i % LINE_COLORS.length]!,
    dash: LINE_DASHES[Math.floor(i / LINE_COLORS.length) % LINE_DASHES.length]!,
    values: s.messagesPerSecond,
  }));
  const throughput = lineChart(`Throughput per processor (buckets of ${duration(tl.bucketMs)})`, lines, tl.bucketMs / 1000, 'messages / s');
  return html`<h2>Charts</h2><div class="charts">${verdicts}${histogram}</div><div class="charts">${throughput}</div>`;
}

function accuracySection(a: AccuracyReport | null): SafeHtml {
  if (!a) return html`<h2>Accuracy</h2><p class="none">No message has a known label.</p>`;
  const m = a.metrics;
  const s = a.metricsUnsureAsSpam;
  const c = a.confusion;
  const metricRows: HtmlValue[][] = [
    ['accuracy', percent(m.accuracy), percent(s.accuracy)],
    ['false-positive rate (ham called spam)', percent(m.falsePositiveRate), percent(s.falsePositiveRate)],
    ['spam recall', percent(m.spamRecall), percent(s.spamRecall)],
    ['precision', percent(m.precision), percent(s.precision)],
    ['F1', decimal(m.f1), decimal(s.f1)],
  ];
  const matrixRows: HtmlValue[][] = (['spam', 'ham'] as const).map((label) =>
    [label, ...[c[label].spam, c[label].ham, c[label].unsure, c[label].failed].map(count)]);
  return html`<h2>Accuracy (${count(a.labelled)} labelled messages, ${count(a.evaluated)} with a verdict)</h2>
<div class="charts">${table(['', 'unsure as ham', 'unsure as spam'], metricRows)}${table(['true label \\ verdict', 'spam', 'ham', 'unsure', 'failed'], matrixRows)}</div>
<p class="meta">${a.policy}</p>`;
}

function processorsSection(r: JobReport): SafeHtml {
  const rows = r.processors.map((p) => [
    p.processor, count(p.batches), count(p.messages), p.batches > 0 ? duration(p.activeMs) : 'n/a', rate(p.messagesPerSecond), duration(p.busyMs),
    count(p.lostClaims), count(p.reclaimed), count(p.fencedCommits),
    p.maxEventLoopStallMs === null ? 'n/a' : duration(p.maxEventLoopStallMs),
  ]);
  return html`<h2>Processors</h2>${table(['processor', 'batches', 'messages', 'active', 'msgs/s', 'busy', 'claims lost', 'reclaimed', 'fenced', 'max stall'], rows)}`;
}

function eventsSection(r: JobReport): SafeHtml {
  const reclaims = r.reclaims.map((e) => [timestamp(e.at), count(e.batch), e.fromProcessor || 'unknown', e.byProcessor, e.reason]);
  const fenced = r.fencedCommits.map((e) => [timestamp(e.at), count(e.batch), e.processor, count(e.claimSeq)]);
  const unknown = r.unknownCommits.map((e) => [timestamp(e.at), count(e.batch), e.processor, count(e.claimSeq), e.detail]);
  const quarantined = r.quarantined.map((q) => [
    count(q.batch), `${q.first}–${q.last}`, count(q.attempts), q.processor ?? '', q.at === undefined ? '' : timestamp(q.at), reason(q.lastError),
  ]);
  return html`<h2>Reclaims (${r.reclaims.length})</h2>${capped(['time', 'batch', 'taken from', 'taken by', 'reason'], reclaims)}
<h2>Fenced commits (${r.fencedCommits.length})</h2>${capped(['time', 'batch', 'processor', 'claim'], fenced)}
<h2>Commits of unknown outcome (${r.unknownCommits.length})</h2>${capped(['time', 'batch', 'processor', 'claim', 'detail'], unknown)}
<h2>Quarantined batches (${r.quarantined.length})</h2>${capped(['batch', 'keys', 'attempts', 'by', 'at', 'last error'], quarantined)}`;
}

function failedSection(r: JobReport): SafeHtml {
  const rows = r.failed.map((f) => [count(f.key), count(f.batch), f.processor, reason(f.reason)]);
  return html`<h2>Failed messages (${r.failed.length})</h2>${capped(['key', 'batch', 'processor', 'reason'], rows)}`;
}

function commitsSection(r: JobReport): SafeHtml {
  const rows = r.commits.map((c) => [
    count(c.batch), `${c.first}–${c.last}`, count(c.messages), c.processor, count(c.claimSeq), count(c.attempts),
    timestamp(c.committedAt), duration(c.durationMs),
  ]);
  return html`<h2>Batch commits (${r.commits.length})</h2>
<details><summary>Show the commit of each batch</summary>${capped(['batch', 'keys', 'messages', 'processor', 'claim', 'attempts', 'committed', 'duration'], rows)}</details>`;
}

function integritySection(r: JobReport): SafeHtml {
  const rows = r.integrity.checks.map((c) => [html`<span class="${c.status}">${c.status.toUpperCase()}</span>`, c.name, reason(c.detail)]);
  return html`<h2>Integrity</h2>${table(['', 'check', 'detail'], rows)}`;
}

function reason(text: string): SafeHtml {
  return html`<span class="reason">${oneLine(text, 500)}</span>`;
}

function capped(head: readonly string[], rows: readonly (readonly HtmlValue[])[]): SafeHtml {
  if (rows.length === 0) return html`<p class="none">None.</p>`;
  const more = rows.length > MAX_ROWS ? html`<p class="more">… and ${count(rows.length - MAX_ROWS)} more in report.json.</p>` : '';
  return html`${table(head, rows.slice(0, MAX_ROWS))}${more}`;
}

/** Cells that look like figures are right-aligned. */
function table(head: readonly string[], rows: readonly (readonly HtmlValue[])[]): SafeHtml {
  const isFigure = (v: HtmlValue) => typeof v === 'string' && /^[\d,.–%\s]+(ms|s|min|h|%)?$|^n\/a$/.test(v);
  return html`<table><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map((row) =>
    html`<tr>${row.map((v) => (isFigure(v) ? html`<td class="n">${v}</td>` : html`<td>${v}</td>`))}</tr>`)}</tbody></table>`;
}
