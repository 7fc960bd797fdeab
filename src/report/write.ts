/**
 * Writes report.json, report.md and report.html into a folder. Each file is
 * written beside its final name and renamed into place, so a reader (or a
 * second `spamzk report` run) never sees half a report.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { renderHtml } from './html.js';
import type { JobReport } from './job-report.js';
import { renderMarkdown } from './markdown.js';

export interface ReportFiles {
  readonly json: string;
  readonly md: string;
  readonly html: string;
}

export async function writeReportFiles(report: JobReport, dir: string): Promise<ReportFiles> {
  const folder = resolve(dir);
  await mkdir(folder, { recursive: true });
  const files = {
    json: join(folder, 'report.json'),
    md: join(folder, 'report.md'),
    html: join(folder, 'report.html'),
  };
  await Promise.all([
    writeAtomically(files.json, reportJson(report)),
    writeAtomically(files.md, renderMarkdown(report)),
    writeAtomically(files.html, renderHtml(report)),
  ]);
  return files;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, 'utf8');
  await rename(temporary, path);
}

/**
 * Pretty where it helps, one line per element in lists of records (verdicts,
 * commits...) and one line per list of numbers: a 100k-message report stays
 * greppable and diffable without becoming a million lines of indentation.
 */
function reportJson(report: JobReport): string {
  return `${formatJson(report, '')}\n`;
}

function formatJson(value: unknown, indent: string): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return JSON.stringify(value);
    return `[\n${value.map((v) => inner + JSON.stringify(v)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    if (fields.length === 0) return '{}';
    return `{\n${fields.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
