/**
 * Labelled messages for `train` and `eval` (issue 13 item 3): either one
 * labelled SOURCE (ham/ and spam/ subfolders, or a labels file, read by the
 * fixture scanner that replay uses), or --ham/--spam paths. A message never
 * gets both labels: the same path under --ham and --spam, or the same bytes
 * labelled both ways, stops the command (exit 2) naming them; a path whose
 * own labels contradict its flag is refused the same way. What cannot be
 * learned (an unlabelled message of a SOURCE, input that is not mail) is
 * skipped and reported on stderr with a count, never silently.
 */
import { createHash } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { notMailReason, type LabelledMessage } from '../classifier/index.js';
import { canonicalRaw } from '../sources/raw-message.js';
import { scanFixture } from '../sources/fixture/scan.js';
import { InputError } from './command-errors.js';
import { ConfigError } from './config-error.js';

export type NamedLabelled = LabelledMessage & { readonly name: string };

interface Scanned {
  readonly name: string;
  readonly raw: Buffer;
  readonly label?: 'spam' | 'ham';
}

export interface LabelledFiles {
  readonly messages: NamedLabelled[];
  /** Names skipped, by reason, already reported on stderr. */
  readonly skipped: { readonly unlabelled: string[]; readonly notMail: string[] };
}

/** Every message at a path, with the label its layout or labels file gives (mbox: path#000000001...). */
export async function scanMessages(path: string): Promise<Scanned[]> {
  if (!existsSync(path)) throw new InputError(`no such file or folder: ${path}`);
  const folder = statSync(path).isDirectory();
  const base = path.replace(/\/+$/, '');
  const { entries } = await scanFixture(path);
  const scanned = Array.from({ length: entries.length }, (_, i): Scanned => {
    const e = entries.at(i);
    return {
      name: folder ? `${base}/${e.name}` : `${base}#${e.name.padStart(9, '0')}`,
      raw: canonicalRaw(e.read()),
      ...(e.label ? { label: e.label } : {}),
    };
  });
  if (scanned.length === 0) throw new InputError(`no messages in ${path} (expected a folder of message files, a Maildir or an mbox file)`);
  return scanned;
}

/** One labelled source: each message with its own label; unlabelled ones are skipped and reported. */
export async function readLabelledSource(source: string): Promise<LabelledFiles> {
  const scanned = await scanMessages(source);
  const unlabelled = scanned.filter((m) => m.label === undefined).map((m) => m.name);
  if (unlabelled.length === scanned.length) {
    throw new InputError(`no labelled messages in ${source}: give it ham/ and spam/ subfolders or a labels file (labels.txt in a folder, FILE.labels beside an mbox FILE), or use --ham/--spam`);
  }
  report(unlabelled, `unlabelled message(s) of ${source} (in neither ham/ nor spam/, not in its labels file)`);
  return finish(scanned.filter((m): m is Scanned & { label: 'spam' | 'ham' } => m.label !== undefined), unlabelled);
}

/** --ham and --spam paths; a path's own labels must agree with its flag. */
export async function readFlaggedPaths(ham: readonly string[], spam: readonly string[]): Promise<LabelledFiles> {
  const byPath = new Map<string, string>();
  const messages: Array<Scanned & { label: 'spam' | 'ham' }> = [];
  for (const [label, paths] of [['ham', ham], ['spam', spam]] as const) {
    for (const path of paths) {
      const real = existsSync(path) ? realpathSync(path) : path;
      const other = byPath.get(real);
      if (other !== undefined && other !== label) throw new ConfigError(`${path} is given as both --ham and --spam: a message has one label`);
      byPath.set(real, label);
      const scanned = await scanMessages(path);
      const contrary = scanned.filter((m) => m.label !== undefined && m.label !== label);
      if (contrary.length > 0) {
        throw new ConfigError(
          `${path} is given as --${label}, but its own labels call ${contrary.length} of its ${scanned.length} messages ${contrary[0]!.label} ` +
            `(e.g. ${contrary[0]!.name}): give it as one labelled source (spamzk train ${path}) to learn each with its label`,
        );
      }
      for (const m of scanned) messages.push({ ...m, label });
    }
  }
  return finish(messages, []);
}

function finish(messages: Array<Scanned & { label: 'spam' | 'ham' }>, unlabelled: string[]): LabelledFiles {
  const seen = new Map<string, { name: string; label: string }>();
  for (const m of messages) {
    const hash = createHash('sha256').update(m.raw).digest('hex');
    const first = seen.get(hash);
    if (first && first.label !== m.label) {
      throw new ConfigError(`the same message is labelled ${first.label} (${first.name}) and ${m.label} (${m.name}): a message has one label`);
    }
    if (!first) seen.set(hash, { name: m.name, label: m.label });
  }
  const notMail = messages.filter((m) => notMailReason(m.raw) !== undefined).map((m) => m.name);
  report(notMail, 'input(s) that are not mail (no RFC 5322 header lines)');
  const skip = new Set(notMail);
  const kept = messages.filter((m) => !skip.has(m.name));
  return { messages: kept.map((m) => ({ name: m.name, raw: m.raw, label: m.label })), skipped: { unlabelled, notMail } };
}

function report(names: readonly string[], what: string): void {
  if (names.length === 0) return;
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length - 5} more)` : '');
  process.stderr.write(`spamzk: skipped ${names.length} ${what}: ${shown}\n`);
}
