/**
 * Per-token document counts: how many spam and ham messages held each token,
 * as two columns of plain numbers indexed by row.
 *
 * A loaded model's tokens arrive sorted, and are found by binary search until
 * enough lookups have been made to pay for a hash map (which then replaces
 * the search). A one-message `spamzk classify` thus never builds a map of
 * 90,000 tokens, while a batch builds it after its first ~150 messages.
 * Tokens learned after loading get new rows in a small map of their own.
 */

/** Lookups by binary search before the map is built: about 150 messages' worth. */
const LOOKUPS_BEFORE_MAP = 50_000;

export class TokenCounts {
  readonly spam: number[];
  readonly ham: number[];
  readonly #sorted: readonly string[];
  #index: Map<string, number> | undefined;
  readonly #added = new Map<string, number>();
  #lookups = 0;

  /** `sorted` must be in ascending code-unit order; spam[i], ham[i] are its counts. */
  constructor(sorted: readonly string[] = [], spam: number[] = [], ham: number[] = []) {
    this.#sorted = sorted;
    this.spam = spam;
    this.ham = ham;
  }

  get size(): number {
    return this.#sorted.length + this.#added.size;
  }

  rowOf(token: string): number | undefined {
    const added = this.#added.size > 0 ? this.#added.get(token) : undefined;
    if (added !== undefined) return added;
    if (this.#index !== undefined) return this.#index.get(token);
    if (++this.#lookups > LOOKUPS_BEFORE_MAP) {
      this.#index = new Map(this.#sorted.map((t, i) => [t, i]));
      return this.#index.get(token);
    }
    return this.#search(token);
  }

  /** The token's row, created with zero counts if it is new. */
  rowFor(token: string): number {
    const row = this.rowOf(token);
    if (row !== undefined) return row;
    const created = this.spam.length;
    this.#added.set(token, created);
    this.spam.push(0);
    this.ham.push(0);
    return created;
  }

  /** Every token and its row, in no particular order. */
  *rows(): IterableIterator<[string, number]> {
    for (let i = 0; i < this.#sorted.length; i++) yield [this.#sorted[i]!, i];
    yield* this.#added;
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
