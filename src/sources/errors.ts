/**
 * Every failure of the mail side is one of these classes: a stable `code` for
 * programs, and a message that names the thing and the fix for people.
 * None of them ever carries a password.
 */
export abstract class SourceError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The location string is neither a usable path nor an imap(s):// URL. */
export class SourceLocationError extends SourceError {
  readonly code = 'SOURCE_BAD_LOCATION';
}

/** A fixture file or folder is malformed (an mbox without a From_ line, a bad labels line...). */
export class FixtureFormatError extends SourceError {
  readonly code = 'FIXTURE_BAD_FORMAT';
}

/** No password in the environment variable or file the options name. */
export class ImapPasswordMissingError extends SourceError {
  readonly code = 'IMAP_PASSWORD_MISSING';
}

/** The server rejected the user name or password. Never retried. */
export class ImapAuthError extends SourceError {
  readonly code = 'IMAP_AUTH_FAILED';
}

/** TLS could not be established or the certificate is not trusted. Never retried. */
export class ImapTlsError extends SourceError {
  readonly code = 'IMAP_TLS_FAILED';
}

/** The server could not be reached, or kept dropping the connection past the retry budget. */
export class ImapConnectionError extends SourceError {
  readonly code = 'IMAP_UNREACHABLE';
}

/** The mailbox does not exist or cannot be selected. */
export class ImapMailboxError extends SourceError {
  readonly code = 'IMAP_MAILBOX_UNAVAILABLE';
}

/**
 * The mailbox's UIDVALIDITY is not the one the source opened with: every UID
 * planned so far now names a different message (RFC 3501 §2.3.1.1). The job
 * must stop and be re-planned; mixing the two numberings would skip or repeat mail.
 */
export class UidValidityChangedError extends SourceError {
  readonly code = 'IMAP_UIDVALIDITY_CHANGED';
  constructor(
    readonly mailbox: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      `UIDVALIDITY of ${mailbox} changed from ${expected} to ${actual}: the mailbox was recreated or renumbered; ` +
        'stop this job and plan a new one (its UIDs name different messages now)',
    );
  }
}

/** The server refused the write-back (flags not permanent, no Junk mailbox, read-only source). */
export class WriteBackError extends SourceError {
  readonly code = 'SOURCE_WRITE_BACK_REFUSED';
}

/** The source was used before open() or after close(). */
/**
 * `--write-back move` has nowhere to move spam: no mailbox carries the
 * SPECIAL-USE \\Junk attribute (RFC 6154), or the one named does not exist.
 * The server's state, not a batch's: the run stops before any work starts.
 */
export class JunkMailboxError extends SourceError {
  readonly code = 'IMAP_NO_JUNK_MAILBOX';
}

export class SourceStateError extends SourceError {
  readonly code = 'SOURCE_BAD_STATE';
}

/** fetchRange was aborted through its AbortSignal. */
export class SourceAbortedError extends SourceError {
  readonly code = 'SOURCE_ABORTED';
}
