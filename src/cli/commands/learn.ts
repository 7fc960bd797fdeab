/**
 * `spamzk learn --spam|--ham FILE... | -`: what `bogofilter -s/-n` and
 * `sa-learn` do. Each message is learned into the model file (--model; a
 * file that does not exist yet starts from an empty model, and the output
 * says so), through the same SpamModel.learn() that feedback uses, then the
 * file is written atomically once. A FILE may be one message, "-" for one
 * message on stdin, or a folder of .eml files, a Maildir or an mbox file.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { DEFAULT_MODEL_PATH, SpamModel } from '../../classifier/index.js';
import { InputError, reportError } from '../command-errors.js';
import { ConfigError } from '../config.js';
import { readMessagesAt } from './train.js';

interface LearnFlags {
  spam?: boolean;
  ham?: boolean;
  model: string;
  json?: boolean;
}

export function registerLearn(program: Command): void {
  program
    .command('learn')
    .description('learn messages as spam or ham into a model file (like bogofilter -s/-n, sa-learn)')
    .argument('<files...>', 'message files, "-" for stdin, or folders/mbox files')
    .option('--spam', 'the messages are spam')
    .option('--ham', 'the messages are ham')
    .option('-m, --model <file>', 'model file to update (created if missing)', DEFAULT_MODEL_PATH)
    .option('--json', 'print one JSON object')
    .action(async (files: string[], opts: LearnFlags) => {
      try {
        if (opts.spam === opts.ham) throw new ConfigError('give exactly one of --spam or --ham');
        if (files.filter((f) => f === '-').length > 1) throw new ConfigError('"-" (stdin) can be given once');
        const label = opts.spam ? 'spam' : 'ham';
        const created = !existsSync(opts.model);
        const model = created
          ? SpamModel.empty({ source: 'spamzk learn', trained: { spam: 0, ham: 0 }, learned: { spam: 0, ham: 0 } })
          : SpamModel.load(opts.model);
        let learned = 0;
        for (const file of files) {
          for (const raw of await messagesOf(file)) {
            model.learn(raw, label);
            learned++;
          }
        }
        model.save(opts.model);
        const summary = { model: opts.model, created, label, learned, id: model.id, totalLearned: model.provenance.learned };
        process.stdout.write(
          opts.json ? JSON.stringify(summary) + '\n' : `${created ? 'created' : 'updated'} ${opts.model}: learned ${learned} ${label}\nmodel id ${model.id}\n`,
        );
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}

async function messagesOf(file: string): Promise<Buffer[]> {
  if (file === '-') return [readFileSync(0)];
  if (!existsSync(file)) throw new InputError(`no such file or folder: ${file}`);
  if (statSync(file).isDirectory()) return readMessagesAt(file);
  const raw = readFileSync(file);
  // An mbox file starts with an envelope line; a single message starts with a header.
  return raw.subarray(0, 5).toString('latin1') === 'From ' ? readMessagesAt(file) : [raw];
}
