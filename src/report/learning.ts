/**
 * The report's learning section (`--learn`, docs/design.md "Learning from the
 * mailbox it guards"): the model versions the job's batches were classified
 * with (from the done markers' `mv`) and the corrections learned (how many,
 * which way). Absent when the job used the base model only and no run learned.
 */
import { html, type SafeHtml } from './html-template.js';

/** Batches and messages committed with one model version (0 = the base model). */
export interface VersionUse {
  readonly version: number;
  readonly batches: number;
  readonly messages: number;
}

/** What a run with --learn did, as its member saw it. */
export interface LearnedByRun {
  /** The account's model head at report time, and every correction its lineage learned. */
  readonly headVersion: number;
  readonly headLearned: { readonly spam: number; readonly ham: number };
  /** Corrections this run detected and learned (the direction is the one the user corrected to). */
  readonly detected: { readonly spam: number; readonly ham: number };
  readonly learned: { readonly spam: number; readonly ham: number };
  /** Versions this run advanced the head to. */
  readonly versionsMade: readonly number[];
}

export interface ReportLearning {
  /** In version order. */
  readonly versionsUsed: readonly VersionUse[];
  /** Present when the report's writer was a run with --learn. */
  readonly run?: LearnedByRun;
}

export function copyLearning(l: ReportLearning): ReportLearning {
  const versionsUsed = [...l.versionsUsed].sort((a, b) => a.version - b.version).map((v) => ({ ...v }));
  if (!l.run) return { versionsUsed };
  const r = l.run;
  return {
    versionsUsed,
    run: { headVersion: r.headVersion, headLearned: { ...r.headLearned }, detected: { ...r.detected }, learned: { ...r.learned }, versionsMade: [...r.versionsMade] },
  };
}

function versionName(v: number): string {
  return v === 0 ? 'v0 (base model)' : `v${v}`;
}

function usedLine(v: VersionUse): string {
  return `${versionName(v.version)}: ${v.batches} ${v.batches === 1 ? 'batch' : 'batches'}, ${v.messages} messages`;
}

function runLines(r: LearnedByRun): string[] {
  const made = r.versionsMade.length ? `; this run made ${r.versionsMade.map((v) => `v${v}`).join(', ')}` : '';
  return [
    `Corrections learned by this run: ${r.learned.spam + r.learned.ham} (${r.learned.spam} to spam, ${r.learned.ham} to ham) of ${r.detected.spam + r.detected.ham} detected (${r.detected.spam} to spam, ${r.detected.ham} to ham)${made}.`,
    `Account's model now v${r.headVersion}: ${r.headLearned.spam + r.headLearned.ham} corrections learned in all (${r.headLearned.spam} to spam, ${r.headLearned.ham} to ham).`,
  ];
}

export function learningMarkdown(l: ReportLearning): string {
  return ['## Learning', '', ...l.versionsUsed.map((v) => `- Model ${usedLine(v)}`), ...(l.run ? ['', ...runLines(l.run)] : [])].join('\n');
}

export function learningHtml(l: ReportLearning): SafeHtml {
  const used = l.versionsUsed.map((v) => html`<li>Model ${usedLine(v)}</li>`);
  const run = l.run ? runLines(l.run).map((line) => html`<p>${line}</p>`) : [];
  return html`<h2>Learning</h2><ul>${used}</ul>${run}`;
}
