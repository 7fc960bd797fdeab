/** The benchmarks print their figures as Markdown tables, ready for a note or an issue. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align: 'left' | 'right' = 'left'): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const pad = (cell: string, i: number): string => (align === 'left' ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!));
  const line = (cells: readonly string[]): string => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((w) => (align === 'left' ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
