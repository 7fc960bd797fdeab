/**
 * The mail side's protocol: a source has a stable identity, lists its message
 * keys in ascending order, and fetches key ranges as raw bytes. It knows
 * nothing of ZooKeeper or of the classifier.
 */

/** An IMAP UID, or a fixture message's 1-based ordinal. Ascending, with gaps. */
export type MessageKey = number;

/** Inclusive range of keys; keys missing inside it are simply absent. */
export interface KeyRange {
  readonly first: MessageKey;
  readonly last: MessageKey;
}

export type Label = 'spam' | 'ham';

export interface SourceIdentity {
  readonly kind: 'imap' | 'mbox' | 'maildir' | 'emldir';
  /**
   * Stable across runs and machines for the same messages under the same
   * numbering, e.g. `imap://user@host:993/INBOX;UIDVALIDITY=1700000000`.
   * Never holds a secret.
   */
  readonly id: string;
  /** IMAP UIDVALIDITY; fixtures derive a stable one from their content. */
  readonly uidValidity: number;
}

export interface RawMessage {
  readonly key: MessageKey;
  readonly raw: Buffer;
  /** Known for fixtures with ham/ spam/ folders or a labels file. */
  readonly label?: Label;
}

export interface MailSource {
  /** Connects (IMAP) or scans (fixtures); returns the identity. */
  open(): Promise<SourceIdentity>;
  /** All keys, ascending. */
  listKeys(): Promise<MessageKey[]>;
  /** Keys above `after`, ascending (new mail for the cadence). */
  listKeysAfter(after: MessageKey): Promise<MessageKey[]>;
  /**
   * The messages of a range in ascending key order. A remote source calls
   * `onProgress` with the count received so far as messages arrive, so that a
   * long fetch can show it is alive; a local one may return without calling it.
   */
  fetchRange(range: KeyRange, signal?: AbortSignal, onProgress?: (received: number) => void): Promise<RawMessage[]>;
  close(): Promise<void>;
}
