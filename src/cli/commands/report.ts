/**
 * `spamzk report --job ID`: reads a job back from the fleet's ZooKeeper, from
 * any machine, and writes report.json, report.md and report.html.
 */
import { Command } from 'commander';
import { join } from 'node:path';
import { gatherReportInput } from '../../pipeline/index.js';
import { buildReport, renderMarkdown, writeReportFiles, writeReportJsonLine } from '../../report/index.js';
import { reportError } from '../command-errors.js';
import { ConfigError } from '../config.js';
import { prepareReportDir } from '../validate.js';
import { EXIT } from '../exit-codes.js';
import { STDOUT_MESSAGE_ROWS } from '../output.js';
import { addInspectOptions, chooseJob, fleetAddress, inspect, type InspectFlags } from './inspect-options.js';

export function registerReport(program: Command): void {
  const cmd = new Command('report').description('write report.json, report.md and report.html of a job (from any machine)');
  addInspectOptions(cmd)
    .option('-o, --out <dir>', 'output folder (default reports/<job>)')
    .action(async (flags: InspectFlags & { out?: string }) => {
      try {
        fleetAddress(flags);
        prepareReportDir(flags.out ?? 'reports', '--out');
        await inspect(flags, async (i) => {
          const jobId = await chooseJob(i, flags.job);
          if (!jobId) throw new ConfigError('several jobs (or none) under this root: name one with --job ID (see spamzk status)');
          const report = buildReport(await gatherReportInput(i.session, i.root, jobId));
          const files = await writeReportFiles(report, flags.out ?? join('reports', jobId));
          if (flags.json) await writeReportJsonLine(report, process.stdout);
          else process.stdout.write(`${renderMarkdown(report, { maxMessageRows: STDOUT_MESSAGE_ROWS })}\nReport files: ${files.md}, ${files.html}, ${files.json}\n`);
        });
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
  program.addCommand(cmd);
}
