/**
 * Writes report.json, report.md and report.html into a folder. Each file is
 * written beside its final name and renamed into place, so a reader (or a
 * second `spamzk report` run) never sees half a report.
 *
 * report.json is streamed: one element of a list at a time goes into a
 * buffered chunk, never the whole document into one string, and the verdict
 * list is walked from the job's outcome groups as it is written. A 120k-message
 * report is 12 MB of JSON; built as one string (plus the lines it was joined
 * from) it cost the report command more than the report itself (issue 12).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { renderHtml } from './html.js';
import type { JobReport } from './job-report.js';
import { renderMarkdown } from './markdown.js';
import { ReportVerdicts } from './verdict-list.js';

export interface ReportFiles {
  readonly json: string;
  readonly md: string;
  readonly html: string;
}

/** Text is handed to the stream in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

export async function writeReportFiles(report: JobReport, dir: string): Promise<ReportFiles> {
  const folder = resolve(dir);
  await mkdir(folder, { recursive: true });
  const files = {
    json: join(folder, 'report.json'),
    md: join(folder, 'report.md'),
    html: join(folder, 'report.html'),
  };
  await writeJsonAtomically(files.json, report);
  await writeAtomically(files.md, renderMarkdown(report));
  await writeAtomically(files.html, renderHtml(report));
  return files;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, 'utf8');
  await rename(temporary, path);
}

async function writeJsonAtomically(path: string, report: JobReport): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const file = createWriteStream(temporary, { encoding: 'utf8' });
  const closed = new Promise<void>((resolveClose, reject) => {
    file.once('error', reject);
    file.once('close', resolveClose);
  });
  await writeReportJson(report, file);
  file.end();
  await closed;
  await rename(temporary, path);
}

/**
 * report.json's text, streamed: pretty where it helps, one line per element
 * in lists of records (verdicts, commits...) and one line per list of
 * numbers, so a 100k-message report stays greppable and diffable without
 * becoming a million lines of indentation.
 */
export async function writeReportJson(report: JobReport, out: Writable): Promise<void> {
  const sink = new ChunkedSink(out);
  await writePretty(report, '', sink);
  await sink.write('\n');
  await sink.flush();
}

/** The report as one line of compact JSON (what `--json` prints), streamed; equal to JSON.stringify(report). */
export async function writeReportJsonLine(report: JobReport, out: Writable): Promise<void> {
  const sink = new ChunkedSink(out);
  const fields = Object.entries(report).filter(([, v]) => v !== undefined);
  await sink.write('{');
  for (let i = 0; i < fields.length; i++) {
    const [key, value] = fields[i]!;
    await sink.write(`${i ? ',' : ''}${JSON.stringify(key)}:`);
    if (Array.isArray(value) || value instanceof ReportVerdicts) {
      await sink.write('[');
      let j = 0;
      for (const element of value as Iterable<unknown>) await sink.write(`${j++ ? ',' : ''}${JSON.stringify(element) ?? 'null'}`);
      await sink.write(']');
    } else {
      await sink.write(JSON.stringify(value));
    }
  }
  await sink.write('}\n');
  await sink.flush();
}

async function writePretty(value: unknown, indent: string, sink: ChunkedSink): Promise<void> {
  const inner = `${indent}  `;
  if (value instanceof ReportVerdicts) return writeRecords(value, value.length, indent, sink);
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return sink.write(JSON.stringify(value));
    return writeRecords(value, value.length, indent, sink);
  }
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    if (fields.length === 0) return sink.write('{}');
    await sink.write('{\n');
    for (let i = 0; i < fields.length; i++) {
      const [k, v] = fields[i]!;
      await sink.write(`${i ? ',\n' : ''}${inner}${JSON.stringify(k)}: `);
      await writePretty(v, inner, sink);
    }
    return sink.write(`\n${indent}}`);
  }
  return sink.write(JSON.stringify(value));
}

/** A list of records, one per line (an empty one as []). */
async function writeRecords(records: Iterable<unknown>, length: number, indent: string, sink: ChunkedSink): Promise<void> {
  if (length === 0) return sink.write('[]');
  await sink.write('[\n');
  let i = 0;
  for (const record of records) await sink.write(`${i++ ? ',\n' : ''}${indent}  ${JSON.stringify(record)}`);
  return sink.write(`\n${indent}]`);
}

/** Collects small pieces into chunks and respects the stream's backpressure. */
class ChunkedSink {
  private pending: string[] = [];
  private size = 0;

  constructor(private readonly out: Writable) {}

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= CHUNK_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.size = 0;
    if (!this.out.write(chunk)) await new Promise<void>((r) => this.out.once('drain', r));
  }
}
