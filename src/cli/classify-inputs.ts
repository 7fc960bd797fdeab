/**
 * What `spamzk classify` reads: each argument is one message file, "-"
 * (stdin), a folder (every message in it, read by the fixture scanner that
 * replay uses: Maildir, folder of message files, ham/ spam/ subfolders) or an
 * mbox file (each message in it). An argument that cannot be read yields a
 * failure, not an exception, so that one bad file among many is reported and
 * the rest go on.
 *
 * The fixture modules are imported directly, not through src/sources/index:
 * that one loads the IMAP client, which a one-file classify must not pay for.
 */
import { readFileSync, statSync } from 'node:fs';
import { splitMbox } from '../sources/fixture/mbox.js';
import { scanFixture } from '../sources/fixture/scan.js';

export type ClassifyInput =
  | { readonly name: string; readonly raw: Buffer }
  | { readonly name: string; readonly error: string };

export async function* classifyInputs(args: readonly string[]): AsyncGenerator<ClassifyInput> {
  for (const arg of args.length === 0 ? ['-'] : args) yield* inputsOf(arg);
}

async function* inputsOf(arg: string): AsyncGenerator<ClassifyInput> {
  let listed: Array<{ name: string; read: () => Buffer }>;
  try {
    if (arg === '-') {
      yield { name: '-', raw: readFileSync(0) };
      return;
    }
    if (statSync(arg).isDirectory()) {
      const { entries } = await scanFixture(arg);
      const base = arg.replace(/\/+$/, '');
      listed = Array.from({ length: entries.length }, (_, i) => {
        const e = entries.at(i);
        return { name: `${base}/${e.name}`, read: () => e.read() };
      });
    } else {
      const raw = readFileSync(arg);
      // An mbox starts with a "From " envelope line; a message file with a header.
      if (raw.subarray(0, 5).toString('latin1') !== 'From ') {
        yield { name: arg, raw };
        return;
      }
      const messages = splitMbox(raw, arg);
      if (messages.length === 1) {
        yield { name: arg, raw };
        return;
      }
      listed = messages.map((m, i) => ({ name: `${arg}#${i + 1}`, read: () => m }));
    }
  } catch (err) {
    yield { name: arg, error: `cannot read ${arg}: ${(err as Error).message}` };
    return;
  }
  for (const m of listed) {
    try {
      yield { name: m.name, raw: m.read() };
    } catch (err) {
      yield { name: m.name, error: `cannot read ${m.name}: ${(err as Error).message}` };
    }
  }
}
