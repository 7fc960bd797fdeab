/**
 * Per-token document counts: how many spam and ham messages held each token,
 * as two columns of plain numbers indexed by row.
 *
 * A loaded model's tokens arrive sorted, and are found by binary search until
 * enough lookups have been made to pay for a hash table (which then replaces
 * the search). A one-message `spamzk classify` thus never builds a table of
 * 90,000 tokens, while a batch builds it after its first ~150 messages.
 * Tokens learned after loading get new rows, found in the same table.
 */
import { hashString } from './online/features.js';

/** Lookups by binary search before the table is built: about 150 messages' worth. */
const LOOKUPS_BEFORE_TABLE = 50_000;

export class TokenCounts {
  readonly spam: number[];
  readonly ham: number[];
  readonly #sorted: readonly string[];
  /** Learned tokens, and the sorted ones too once #indexed. */
  readonly #table = new TokenTable();
  /** Tokens learned after loading, in row order (row = #sorted.length + position). */
  readonly #added: string[] = [];
  #indexed = false;
  #lookups = 0;

  /** `sorted` must be in ascending code-unit order; spam[i], ham[i] are its counts. */
  constructor(sorted: readonly string[] = [], spam: number[] = [], ham: number[] = []) {
    this.#sorted = sorted;
    this.spam = spam;
    this.ham = ham;
  }

  get size(): number {
    return this.#sorted.length + this.#added.length;
  }

  rowOf(token: string): number | undefined {
    if (this.#indexed) return this.#table.get(token, hashString(token));
    if (this.#added.length > 0) {
      const added = this.#table.get(token, hashString(token));
      if (added !== undefined) return added;
    }
    if (++this.#lookups > LOOKUPS_BEFORE_TABLE) {
      for (let i = 0; i < this.#sorted.length; i++) this.#table.add(this.#sorted[i]!, hashString(this.#sorted[i]!), i);
      this.#indexed = true;
      return this.#table.get(token, hashString(token));
    }
    return this.#search(token);
  }

  /** The token's row, created with zero counts if it is new. */
  rowFor(token: string): number {
    const row = this.rowOf(token);
    if (row !== undefined) return row;
    const created = this.spam.length;
    this.#table.add(token, hashString(token), created);
    this.#added.push(token);
    this.spam.push(0);
    this.ham.push(0);
    return created;
  }

  /** Every token and its row: the sorted ones, then those learned since, in row order. */
  *rows(): IterableIterator<[string, number]> {
    for (let i = 0; i < this.#sorted.length; i++) yield [this.#sorted[i]!, i];
    for (let i = 0; i < this.#added.length; i++) yield [this.#added[i]!, this.#sorted.length + i];
  }

  #search(token: string): number | undefined {
    let lo = 0;
    let hi = this.#sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.#sorted[mid]!;
      if (t < token) lo = mid + 1;
      else if (t > token) hi = mid - 1;
      else return mid;
    }
    return undefined;
  }
}

/**
 * Token to row by open addressing (linear probing) on the token's 32-bit
 * hash, at most half full. A slot holds the row, the whole hash and the
 * token side by side in three flat arrays, so a lookup reads one slot, and
 * the hash turns away almost every other token before its text is compared.
 * It replaced a Map<string, number>, whose lookups cost about a third more
 * on a 90,000-token model: the classifier's hottest lookup.
 */
class TokenTable {
  /** row + 1; 0 marks an empty slot. */
  #rows = new Int32Array(16);
  #hashes = new Int32Array(16);
  #keys: string[] = new Array<string>(16).fill('');
  #shift = 28;
  #size = 0;

  get(token: string, hash: number): number | undefined {
    const mask = this.#rows.length - 1;
    for (let i = hash >>> this.#shift; ; i = (i + 1) & mask) {
      const row = this.#rows[i]!;
      if (row === 0) return undefined;
      if (this.#hashes[i] === (hash | 0) && this.#keys[i] === token) return row - 1;
    }
  }

  /** Adds a token known to be absent. */
  add(token: string, hash: number, row: number): void {
    if ((this.#size + 1) * 2 > this.#rows.length) this.#grow();
    this.#place(token, hash, row + 1);
    this.#size++;
  }

  #place(token: string, hash: number, rowPlusOne: number): void {
    const mask = this.#rows.length - 1;
    let i = hash >>> this.#shift;
    while (this.#rows[i] !== 0) i = (i + 1) & mask;
    this.#rows[i] = rowPlusOne;
    this.#hashes[i] = hash;
    this.#keys[i] = token;
  }

  #grow(): void {
    const rows = this.#rows;
    const hashes = this.#hashes;
    const keys = this.#keys;
    const capacity = rows.length * 2;
    this.#rows = new Int32Array(capacity);
    this.#hashes = new Int32Array(capacity);
    this.#keys = new Array<string>(capacity).fill('');
    this.#shift--;
    for (let i = 0; i < rows.length; i++) if (rows[i] !== 0) this.#place(keys[i]!, hashes[i]! >>> 0, rows[i]!);
  }
}
