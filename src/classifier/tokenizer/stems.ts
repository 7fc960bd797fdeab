/**
 * Word stems from natural's Porter stemmer ("offers", "offering" -> "offer"),
 * so that inflected forms share evidence. Only the stemmer's own module is
 * loaded: natural's main entry runs dotenv and can print to stdout.
 */
import { createRequire } from 'node:module';

interface Stemmer {
  stem(word: string): string;
}

let stemmer: Stemmer | undefined;

export function porterStem(word: string): string {
  stemmer ??= createRequire(import.meta.url)('natural/lib/natural/stemmers/porter_stemmer.js') as Stemmer;
  return stemmer.stem(word);
}

interface NGrams {
  bigrams(sequence: string[]): string[][];
}

let ngrams: NGrams | undefined;

/** Adjacent word pairs ("click here") from natural's n-gram helper. */
export function wordBigrams(words: string[]): string[][] {
  ngrams ??= createRequire(import.meta.url)('natural/lib/natural/ngrams/ngrams.js') as NGrams;
  return ngrams.bigrams(words);
}
