export {
  CORPUS_GROUPS,
  corpusDataDir,
  labelOf,
  listCorpus,
  readCorpusMessage,
  splitOf,
  stripMboxEnvelope,
  type CorpusGroup,
  type CorpusLabel,
  type CorpusMessage,
  type CorpusSplit,
} from './spamassassin.js';
export { dateOf, inArrivalOrder, type Arriving } from './arrival.js';
export { CorpusError, readIndexedMessage, readTrecIndex, type IndexedMessage } from './trec-index.js';
