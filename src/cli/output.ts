/** How the job commands print: what fits a terminal, and words that agree with their numbers. */

/** Spam/unsure rows a command prints with the report on stdout (report.md holds up to 500). */
export const STDOUT_MESSAGE_ROWS = 20;

/** "1 batch", "2 batches", "1 processor". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
