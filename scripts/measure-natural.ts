/**
 * Does natural pay as a feature source? Porter stems and word bigrams (natural submodules) added to the tokens,
 * measured on TRAIN only: online protocol 1-ROCA% and 5-fold CV. Kept in history only: the dependency was removed after it.
 *   npx tsx scripts/measure-natural.ts
 */
import { DEFAULT_MODEL_OPTIONS, rocAuc, runOnline, SpamModel, type ModelOptions } from '../src/classifier/index.js';
import { inArrivalOrder, listCorpus, readCorpusMessage } from '../src/corpus/index.js';
const train = inArrivalOrder(listCorpus('train').map((m) => ({ name: m.name, md5: m.md5, raw: readCorpusMessage(m), label: m.label })));
const prov = { source: 't', trained: { spam: 0, ham: 0 }, learned: { spam: 0, ham: 0 } };
const fold = (md5: string) => Math.floor(parseInt(md5.slice(0, 8), 16) / 5) % 5;
for (const [stems, bigrams] of [[false, false], [true, false], [false, true]] as const) {
  const o: ModelOptions = { ...DEFAULT_MODEL_OPTIONS, tokenizer: { ...DEFAULT_MODEL_OPTIONS.tokenizer, stems, bigrams } };
  const m0 = SpamModel.empty(prov, o);
  let t = performance.now();
  for (const m of train) m0.tokensOf(m.raw);
  const tokS = (performance.now() - t) / 1000;
  const on = runOnline(SpamModel.empty(prov, o), train, 'all');
  const held: Array<{ z: number; label: 'spam' | 'ham' }> = [];
  t = performance.now();
  for (let k = 0; k < 5; k++) {
    const model = SpamModel.train(train.filter((m) => fold(m.md5) !== k), { source: 'cv' }, o);
    for (const m of train.filter((x) => fold(x.md5) === k)) held.push({ z: model.classify(m.raw).logOdds!, label: m.label });
  }
  const auc = rocAuc(held.map((h) => ({ truth: h.label, label: 'ham' as const, score: h.z })));
  const hams = held.filter((h) => h.label === 'ham').map((h) => h.z).sort((a, b) => b - a);
  const spams = held.filter((h) => h.label === 'spam').map((h) => h.z);
  const z = hams[Math.floor(0.001 * hams.length)]! + 1e-9;
  console.log(`stems=${stems} bigrams=${bigrams}: tokenize TRAIN ${tokS.toFixed(2)} s (${(train.length / tokS).toFixed(0)} msgs/s); online TRAIN 1-ROCA% ${on.figures.oneMinusRocaPct.toFixed(4)}, ${on.msgsPerSec.toFixed(0)} msgs/s; 5-fold CV AUC ${auc.toFixed(5)}, recall at FPR<=0.1% ${(100 * spams.filter((s) => s > z).length / spams.length).toFixed(2)}%`);
}
