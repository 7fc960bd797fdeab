/**
 * `spamzk learn --spam|--ham FILE... | -`: what `bogofilter -s/-n` and
 * `sa-learn` do. Each message is learned into the model file: --model or
 * $SPAMZK_MODEL (a named file that does not exist yet starts from an empty
 * model), else the user's model ~/.spamzk/model.json, which the first learn
 * creates as a copy of the shipped model, so that, as with bogofilter's
 * wordlist, learning adds to what is already known. The output says which.
 * The shipped model itself is never written without --force. Learning goes through the same SpamModel.learn() that feedback uses, then the
 * file is written atomically once. A FILE may be one message, "-" for one
 * message on stdin, or a folder of .eml files, a Maildir or an mbox file.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_MODEL_PATH, SpamModel } from '../../classifier/index.js';
import { InputError, reportError } from '../command-errors.js';
import { ConfigError } from '../config.js';
import { describeModel, modelToWrite } from '../model-path.js';
import { readMessagesAt } from './train.js';

interface LearnFlags {
  spam?: boolean;
  ham?: boolean;
  model?: string;
  force?: boolean;
  json?: boolean;
}

export function registerLearn(program: Command): void {
  program
    .command('learn')
    .description('learn messages as spam or ham into a model file (like bogofilter -s/-n, sa-learn)')
    .argument('<files...>', 'message files, "-" for stdin, or folders/mbox files')
    .option('--spam', 'the messages are spam')
    .option('--ham', 'the messages are ham')
    .option('-m, --model <file>', 'model file to update [SPAMZK_MODEL] (default: ~/.spamzk/model.json, first made from the shipped model)')
    .option('--force', 'allow writing the shipped model')
    .option('--json', 'print one JSON object')
    .action(async (files: string[], opts: LearnFlags) => {
      try {
        if (opts.spam === opts.ham) throw new ConfigError('give exactly one of --spam or --ham');
        if (files.filter((f) => f === '-').length > 1) throw new ConfigError('"-" (stdin) can be given once');
        const label = opts.spam ? 'spam' : 'ham';
        const target = modelToWrite(opts.model, opts.force === true);
        const created = !existsSync(target.path);
        const startedFrom = !created ? 'itself' : target.origin === 'user' ? 'the shipped model' : 'an empty model';
        const model = !created
          ? SpamModel.load(target.path)
          : target.origin === 'user'
            ? SpamModel.load(DEFAULT_MODEL_PATH)
            : SpamModel.empty({ source: 'spamzk learn', trained: { spam: 0, ham: 0 }, learned: { spam: 0, ham: 0 } });
        let learned = 0;
        for (const file of files) {
          for (const raw of await messagesOf(file)) {
            model.learn(raw, label);
            learned++;
          }
        }
        mkdirSync(dirname(target.path), { recursive: true });
        model.save(target.path);
        const summary = { model: target.path, created, startedFrom, label, learned, id: model.id, totalLearned: model.provenance.learned };
        const verb = created ? `created from ${startedFrom}` : 'updated';
        process.stdout.write(
          opts.json ? JSON.stringify(summary) + '\n' : `${verb}: ${describeModel(target)}: learned ${learned} ${label}\nmodel id ${model.id}\n`,
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
