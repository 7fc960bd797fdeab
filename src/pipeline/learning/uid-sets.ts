/** UID sets for the cursors' record of what was corrected: compact ranges ("1:3,7"), as IMAP writes them. */
import { parseUidSet as parse, uidSet } from '../../sources/index.js';

export function parseUidSet(set: string): number[] {
  return set === '' ? [] : parse(set);
}

export function uidSetOf(uids: Iterable<number>): string {
  return uidSet([...uids]);
}
