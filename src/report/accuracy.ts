/**
 * Accuracy against known labels. Rows of the confusion matrix are the true
 * label, columns what the processors said, with unsure and failed kept apart.
 *
 * Primary figures count an unsure message as ham, because an unsure message is
 * not moved out of the inbox: to the user it behaves as ham (bogofilter's own
 * convention). The figures with unsure counted as spam come alongside, so the
 * price of the unsure band is visible both ways. Failed messages got no verdict
 * and are left out of every metric; the matrix still shows them.
 */
import { confusionRates } from '../classifier/index.js';
import type { AccuracyReport, ClassificationMetrics, ConfusionRow } from './job-report.js';
import type { MessageOutcome } from './types.js';

type MutableRow = { -readonly [K in keyof ConfusionRow]: number };

const POLICY =
  'Metrics cover labelled messages that got a verdict. Unsure counts as ham (not flagged) in "metrics" ' +
  'and as spam in "metricsUnsureAsSpam". Failed messages appear in the confusion matrix but in no metric.';

export class ConfusionTally {
  private readonly rows: { spam: MutableRow; ham: MutableRow } = {
    spam: { spam: 0, ham: 0, unsure: 0, failed: 0 },
    ham: { spam: 0, ham: 0, unsure: 0, failed: 0 },
  };
  private unlabelled = 0;

  add(outcome: MessageOutcome): void {
    if (outcome.label === undefined) this.unlabelled++;
    else this.rows[outcome.label][outcome.verdict]++;
  }

  /** Null when no message had a known label. */
  finish(): AccuracyReport | null {
    const { spam, ham } = this.rows;
    const labelled = rowTotal(spam) + rowTotal(ham);
    if (labelled === 0) return null;
    return {
      labelled,
      unlabelled: this.unlabelled,
      evaluated: labelled - spam.failed - ham.failed,
      confusion: { spam: { ...spam }, ham: { ...ham } },
      metrics: metricsFrom(spam.spam, spam.ham + spam.unsure, ham.spam, ham.ham + ham.unsure),
      metricsUnsureAsSpam: metricsFrom(spam.spam + spam.unsure, spam.ham, ham.spam + ham.unsure, ham.ham),
      policy: POLICY,
    };
  }
}

function rowTotal(row: ConfusionRow): number {
  return row.spam + row.ham + row.unsure + row.failed;
}

/** tp: spam called spam, fn: spam let through, fp: ham called spam, tn: ham let through (the classifier's definitions). */
function metricsFrom(tp: number, fn: number, fp: number, tn: number): ClassificationMetrics {
  const rates = confusionRates({ tp, fn, fp, tn });
  return { accuracy: rates.accuracy, falsePositiveRate: rates.fpr, spamRecall: rates.recall, precision: rates.precision, f1: rates.f1 };
}
