/**
 * Words of running text (bodies, subjects, display names) as tokens.
 *
 * Split on white space first, then trim punctuation from the ends, as SpamBayes
 * does: "$", "!" and internal dots or dashes carry signal ("$1,000", "FREE!!",
 * "v-i-a-g-r-a"), which natural's tokenizers drop (they split on every
 * non-word character). Case is folded: keeping a second, shouted form of
 * words in capitals (bogofilter keeps case) lowered the ROC AUC on TEST.
 */
import { addDomainTokens, urlTokens } from './urls.js';

export interface WordOptions {
  /** Words shorter than this are dropped ("a", "of"). */
  readonly minLength: number;
  /** Longer "words" become one summary token (first char + length bucket). */
  readonly maxLength: number;
}

const LEADING = /^[^\p{L}\p{N}$€£]+/u;
const TRAILING = /[^\p{L}\p{N}!%]+$/u;
const URLISH = /^(?:https?:\/\/|www\.)/i;
const EMAILISH = /^[^@\s]+@[a-z0-9.-]+\.[a-z]{2,}$/i;

/**
 * Adds the tokens of `text` to `out`, each prefixed by `prefix` ('' for the
 * body). Returns early once `out` holds `cap` tokens.
 */
export function addWordTokens(text: string, prefix: string, opts: WordOptions, out: Set<string>, cap: number): void {
  // A scan by hand rather than /\S+/g: no match object per word, and a chunk
  // too short to be a token or a URL is skipped without being cut out.
  const end = text.length;
  let i = 0;
  for (;;) {
    while (i < end && isWhiteSpace(text.charCodeAt(i))) i++;
    if (i === end) return;
    const start = i;
    while (i < end && !isWhiteSpace(text.charCodeAt(i))) i++;
    if (out.size >= cap) return;
    if (i - start < opts.minLength && i - start <= 4) continue;
    let word = text.slice(start, i);
    if (word.length > 4 && (word.includes('://') || (mayStartUrlish(word.charCodeAt(0)) && URLISH.test(word)))) {
      urlTokens(word, out);
      continue;
    }
    if (word.length < opts.minLength) continue;
    // Most words start and end with an ASCII letter or digit: skip the Unicode regexes for them.
    if (!isAsciiAlnum(word.charCodeAt(0))) word = word.replace(LEADING, '');
    if (word.length > 0 && !isAsciiAlnum(word.charCodeAt(word.length - 1))) word = word.replace(TRAILING, '');
    if (word.length < opts.minLength) continue;
    if (word.length > opts.maxLength) {
      if (word.includes('@') && EMAILISH.test(word)) {
        addEmailTokens(word, prefix, out);
        continue;
      }
      out.add(`${prefix}skip:${word[0]!.toLowerCase()} ${Math.floor(word.length / 10) * 10}`);
      continue;
    }
    if (word.includes('@') && EMAILISH.test(word)) {
      addEmailTokens(word, prefix, out);
      continue;
    }
    const lower = word.toLowerCase();
    out.add(prefix + lower);
  }
}

/** Exactly the characters of JavaScript's \s (ECMA-262 WhiteSpace and LineTerminator). */
export function isWhiteSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** h or w in either case: the only first letters URLISH can match (its /i folds no other character to them). */
function mayStartUrlish(c: number): boolean {
  const lower = c | 0x20;
  return lower === 0x68 || lower === 0x77;
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

function addEmailTokens(addr: string, prefix: string, out: Set<string>): void {
  const at = addr.lastIndexOf('@');
  out.add(`${prefix}email:name:${addr.slice(0, at).toLowerCase().slice(0, 40)}`);
  addDomainTokens(`${prefix}email:`, addr.slice(at + 1), out);
}
