/** The classifier's protocol. It knows nothing of ZooKeeper, IMAP or batches. */

export type VerdictLabel = 'spam' | 'ham' | 'unsure';

export interface Verdict {
  readonly label: VerdictLabel;
  /** Spam probability in [0, 1]. */
  readonly score: number;
  /**
   * The same evidence as unclamped log-odds (score = 1 / (1 + e^-logOdds)):
   * ranks stay distinct where score saturates at 0 or 1 (ROC, TREC metrics).
   */
  readonly logOdds?: number;
  /** Why the verdict was reached from partial input (size cap hit, undecodable part...). */
  readonly notes?: readonly string[];
}
