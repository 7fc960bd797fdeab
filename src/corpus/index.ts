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
