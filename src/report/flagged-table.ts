/**
 * report.html's table of spam and unsure messages, sortable by clicking a
 * column header with no script (the report stays a file safe to mail around):
 * a hidden radio button per column, its label in the header; each row carries
 * its rank under every column as a CSS variable, and the checked button sets
 * the rows' flex `order` from its variable. Unchecked, rows keep their order:
 * highest score first.
 */
import { count } from './figures.js';
import { cutoffWords, flaggedMessages, type FlaggedMessage } from './flagged.js';
import { html, trusted, type SafeHtml } from './html-template.js';
import type { JobReport } from './job-report.js';

interface Column {
  readonly id: string;
  readonly title: string;
  readonly cell: (m: FlaggedMessage) => string;
  /** The order rows take when this column is clicked. */
  readonly compare: (a: FlaggedMessage, b: FlaggedMessage) => number;
}

const text = (pick: (m: FlaggedMessage) => string | undefined) => (a: FlaggedMessage, b: FlaggedMessage) =>
  (pick(a) ?? '\uffff').localeCompare(pick(b) ?? '\uffff') || a.key - b.key;

const COLUMNS: readonly Column[] = [
  { id: 'score', title: 'score', cell: (m) => m.score.toFixed(3), compare: (a, b) => b.score - a.score || a.key - b.key },
  { id: 'verdict', title: 'verdict', cell: (m) => m.verdict, compare: (a, b) => a.verdict.localeCompare(b.verdict) || b.score - a.score },
  { id: 'key', title: 'key', cell: (m) => String(m.key), compare: (a, b) => a.key - b.key },
  { id: 'date', title: 'date', cell: (m) => m.date ?? '', compare: text((m) => m.date) },
  { id: 'from', title: 'from', cell: (m) => m.from ?? '', compare: text((m) => m.from?.toLowerCase()) },
  { id: 'subject', title: 'subject', cell: (m) => m.subject ?? '', compare: text((m) => m.subject?.toLowerCase()) },
];

export const FLAGGED_TABLE_STYLE = trusted(`
.sortable input[type=radio] { position: absolute; opacity: 0; pointer-events: none; }
table.flagged { width: 100%; }
table.flagged tbody { display: flex; flex-direction: column; }
table.flagged tr { display: grid; grid-template-columns: 64px 66px 70px 170px minmax(160px, 1fr) minmax(200px, 2fr); }
table.flagged td, table.flagged th { overflow-wrap: anywhere; }
table.flagged th label { cursor: pointer; text-decoration: underline dotted; }
${COLUMNS.map((c) => `#sort-${c.id}:checked ~ table.flagged tbody tr { order: var(--${c.id}); }
#sort-${c.id}:checked ~ table.flagged th.${c.id} label::after { content: " \\25BE"; }`).join('\n')}
`);

export function flaggedSection(report: JobReport): SafeHtml {
  const { rows, total } = flaggedMessages(report);
  const cutoffs = cutoffWords(report);
  const title = html`<h2>Spam and unsure messages (${count(total)})</h2>`;
  if (total === 0) return html`${title}<p class="none">None.</p>`;
  const ranks = COLUMNS.map((c) => rankOf(rows, c.compare));
  const shown = rows.length < total ? html` The ${count(rows.length)} with the highest scores are shown; report.json lists every verdict.` : '';
  return html`${title}<p class="meta">Click a column to sort by it. Score: the model's spam probability, 0 to 1. Key: the IMAP UID, or the message's number in a fixture. ${cutoffs ?? ''}${shown}</p>
<div class="sortable">${COLUMNS.map((c, i) => html`<input type="radio" name="flagged-sort" id="sort-${c.id}"${i === 0 ? trusted(' checked') : ''}>`)}
<table class="flagged"><thead><tr>${COLUMNS.map((c) => html`<th class="${c.id}"><label for="sort-${c.id}">${c.title}</label></th>`)}</tr></thead>
<tbody>${rows.map((m, r) => html`<tr style="${COLUMNS.map((c, i) => `--${c.id}:${ranks[i]![r]}`).join(';')}">${COLUMNS.map((c) => html`<td>${c.cell(m)}</td>`)}</tr>`)}</tbody></table></div>`;
}

/** rank[i] = the position of row i when the rows are sorted by `compare`. */
function rankOf(rows: readonly FlaggedMessage[], compare: Column['compare']): number[] {
  const order = rows.map((_, i) => i).sort((a, b) => compare(rows[a]!, rows[b]!));
  const rank = new Array<number>(rows.length);
  order.forEach((row, position) => (rank[row] = position));
  return rank;
}
