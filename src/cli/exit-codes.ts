/** Documented in the README ("Exit codes"). */
export const EXIT = {
  ok: 0,
  /** An unexpected failure. */
  failure: 1,
  /** Bad flags, environment or config file: nothing was started. */
  usage: 2,
  /** ZooKeeper, the IMAP server or a file could not be reached. */
  unavailable: 3,
  /** The job completed, but some batches were quarantined. */
  quarantined: 4,
  /** Interrupted (SIGINT/SIGTERM) before the job completed. */
  interrupted: 130,
} as const;
