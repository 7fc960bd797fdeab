/**
 * The online half of scripts/bench-classifier.ts: the TREC immediate-feedback
 * protocol on one ordered stream (the whole SpamAssassin corpus by Date, ties
 * by name), run by bogofilter and by spamzk from empty models in the same run.
 * bogofilter gets each message on stdin: `-T` for its score, then `-s` or `-n`
 * with the true label, its own temp database (before the first registration
 * it has no wordlist and cannot score: those messages count as 0.5, its
 * neutral score). Both rows come from the same metric code (trecFigures).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runOnline, SpamModel, trecFigures, type StreamScore, type TrecFigures } from '../src/classifier/index.js';
import { readCorpusInput } from '../src/cli/commands/train.js';
import { markdownTable } from './markdown-table.js';

export interface OnlineRow extends TrecFigures {
  readonly tool: string;
  readonly msgsPerSec: number;
}

type Stream = ReadonlyArray<{ raw: Buffer; label: 'spam' | 'ham' }>;

function bogofilterOnline(dir: string, stream: Stream): OnlineRow {
  const db = join(dir, 'bogofilter-online-db');
  mkdirSync(db, { recursive: true });
  const scores: StreamScore[] = [];
  const started = performance.now();
  for (const msg of stream) {
    let score = 0.5;
    let calledSpam = false;
    if (existsSync(join(db, 'wordlist.db'))) {
      const t = spawnSync('bogofilter', ['-d', db, '-T'], { input: msg.raw });
      // Exit status: 0 spam, 1 ham, 2 unsure, 3 error.
      if (t.status === null || t.status > 2) throw new Error(`bogofilter -T failed (status ${t.status}): ${t.stderr.toString().slice(0, 300)}`);
      const [code, value] = t.stdout.toString().trim().split(/\s+/);
      score = Number(value);
      calledSpam = code === 'S';
    }
    scores.push({ truth: msg.label, score, calledSpam });
    const r = spawnSync('bogofilter', ['-d', db, msg.label === 'spam' ? '-s' : '-n'], { input: msg.raw });
    if (r.status !== 0) throw new Error(`bogofilter ${msg.label === 'spam' ? '-s' : '-n'} failed (status ${r.status}): ${r.stderr.toString().slice(0, 300)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  return { tool: 'bogofilter (defaults), -T then -s/-n, one process per call', msgsPerSec: stream.length / seconds, ...trecFigures(scores) };
}

function spamzkOnline(stream: Stream): OnlineRow {
  const model = SpamModel.empty({ source: 'empty', trained: { spam: 0, ham: 0 }, learned: { spam: 0, ham: 0 } });
  const run = runOnline(model, stream, 'all');
  return { tool: 'spamzk, from empty, train on all', msgsPerSec: run.msgsPerSec, ...run.figures };
}

export function benchOnline(dir: string): OnlineRow[] {
  const input = readCorpusInput();
  const stream = input.messages;
  console.log(`\nOnline protocol (TREC immediate feedback): ${stream.length} messages, ${input.from.split}`);
  const bogo = bogofilterOnline(dir, stream);
  const ours = spamzkOnline(stream);
  const header = ['tool', '1-ROCA%', 'lam%', 'h=.1%', 'ham miscl.%', 'spam miscl.%', 'msgs/s'];
  const cells = [bogo, ours].map((r) => [
    r.tool, r.oneMinusRocaPct.toFixed(4), r.lamPct.toFixed(3), r.h01Pct.toFixed(2), r.hamMisclassPct.toFixed(3), r.spamMisclassPct.toFixed(3), r.msgsPerSec.toFixed(0),
  ]);
  console.log(markdownTable(header, cells));
  console.log(`1-ROCA% ratio spamzk / bogofilter: ${(ours.oneMinusRocaPct / bogo.oneMinusRocaPct).toFixed(3)} (target <= 0.333)`);
  console.log('bogofilter msgs/s counts two process starts per message; spamzk classifies and learns in this process.');
  return [bogo, ours];
}
