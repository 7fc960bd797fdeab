/**
 * Chooses the classifier's hyperparameters and cutoffs on TRAIN only (TEST is
 * never read here):
 * 1. Hyperparameters: the TREC online protocol over the TRAIN split in
 *    arrival order, from empty (progressive validation: every message is
 *    scored before the model learns it, so each figure is out-of-sample).
 *    A coordinate search over a small grid, one option at a time from the
 *    defaults (textChars and headBytes jointly), keeps the value with the
 *    lowest 1-ROCA%.
 * 2. Training passes (epochs, batch training only): 5-fold cross-validation
 *    on TRAIN, the value with the best pooled held-out ROC AUC.
 * 3. Cutoffs: the same 5-fold cross-validation with the chosen options
 *    (folds by md5, the same hash family as the split: fold = md5 % 5 of its
 *    8-hex prefix / 5), each fold's model trained on the other four in
 *    arrival order. On the pooled held-out log-odds: spamCutoff is the
 *    lowest one that calls at most `maxFpr` of ham spam; hamCutoff the
 *    highest one below which at most 0.1% of spam falls.
 *
 *   npx tsx scripts/tune-classifier.ts [--quick | --cv-only]
 *
 * --quick searches rate and margin only; --cv-only skips the search (steps 2-3 from the defaults).
 *
 * It prints the grid and the winners; copy them into DEFAULT_MODEL_OPTIONS
 * (src/classifier/model.ts) and retrain with `spamzk train`.
 */
import { DEFAULT_MODEL_OPTIONS, rocAuc, runOnline, SpamModel, type ModelOptions, type OnlineOptions } from '../src/classifier/index.js';
import { inArrivalOrder, listCorpus, readCorpusMessage } from '../src/corpus/index.js';

/**
 * 0.1%: issue 10's target allows 0.12% on TEST; on the 3,296 held-out TRAIN
 * ham both allow the same 3 messages, so the stricter figure costs nothing here.
 */
const MAX_FPR = 0.001;

interface Msg { name: string; md5: string; raw: Buffer; label: 'spam' | 'ham' }

const train: Msg[] = inArrivalOrder(listCorpus('train').map((m) => ({ name: m.name, md5: m.md5, raw: readCorpusMessage(m), label: m.label })));
const provenance = { source: 'tune', trained: { spam: 0, ham: 0 }, learned: { spam: 0, ham: 0 } };

function onlineRoca(options: ModelOptions): number {
  return runOnline(SpamModel.empty(provenance, options), train, 'all').figures.oneMinusRocaPct;
}

function withOnline(base: ModelOptions, patch: Partial<OnlineOptions>): ModelOptions {
  return { ...base, online: { ...base.online, ...patch } };
}

const SCORING_GRID: Array<['robS' | 'minDev', number[]]> = [
  ['robS', [0.03, 0.1, 0.3, 1]],
  ['minDev', [0.1, 0.2, 0.3]],
];

type NumericOption = Exclude<keyof OnlineOptions, 'tokens'>;
type OnlinePatch = Partial<Record<NumericOption, number>>;
interface Step { readonly name: string; readonly patches: OnlinePatch[] }

function one(key: NumericOption, values: number[]): Step {
  return { name: key, patches: values.map((v) => ({ [key]: v })) };
}

/**
 * Two options searched jointly: the decoded text's 4-grams and the raw head's
 * overlap (a plain-text body is in both), so each pays only with the other
 * changed, which one option at a time cannot find.
 */
function pair(a: NumericOption, as: number[], b: NumericOption, bs: number[]): Step {
  return { name: `${a} x ${b}`, patches: as.flatMap((x) => bs.map((y) => ({ [a]: x, [b]: y }))) };
}

const GRID: Step[] = [
  one('rate', [5, 7, 10, 14, 20]),
  one('margin', [0.35, 0.4, 0.45, 0.5]),
  pair('textChars', [0, 5000, 10000, 20000, 40000, 80000], 'headBytes', [1000, 1500, 2500, 3500, 5000, 8000]),
  one('fisherScale', [5, 10, 20, 40]),
  one('fisherWeight', [0, 1, 2, 3, 4]),
  one('fusionRate', [0, 0.001, 0.01]),
];

function isCurrent(best: ModelOptions, patch: OnlinePatch): boolean {
  return Object.entries(patch).every(([k, v]) => (best.online[k as NumericOption] ?? 0) === v);
}

function searchOnline(quick: boolean): ModelOptions {
  let best = DEFAULT_MODEL_OPTIONS;
  let bestRoca = onlineRoca(best);
  console.log(`online protocol on TRAIN (${train.length} messages, arrival order), defaults: 1-ROCA% ${bestRoca.toFixed(4)}`);
  for (const step of quick ? GRID.slice(0, 2) : GRID) {
    const row: string[] = [];
    let chosen = step.patches.find((p) => isCurrent(best, p))!;
    for (const patch of step.patches) {
      const roca = isCurrent(best, patch) ? bestRoca : onlineRoca(withOnline(best, patch));
      row.push(`${Object.values(patch).join('/')}: ${roca.toFixed(4)}`);
      if (roca < bestRoca) {
        bestRoca = roca;
        chosen = patch;
      }
    }
    best = withOnline(best, chosen);
    console.log(`  ${step.name.padEnd(12)} ${row.join('  ')}  -> ${Object.values(chosen).join('/')}`);
  }
  for (const [key, values] of quick ? [] : SCORING_GRID) {
    const row: string[] = [];
    for (const value of values) {
      const candidate = { ...best, scoring: { ...best.scoring, [key]: value } };
      const roca = value === best.scoring[key] ? bestRoca : onlineRoca(candidate);
      row.push(`${value}: ${roca.toFixed(4)}`);
      if (roca < bestRoca) {
        bestRoca = roca;
        best = candidate;
      }
    }
    console.log(`  ${key.padEnd(12)} ${row.join('  ')}  -> ${String(best.scoring[key])}`);
  }
  console.log(`chosen scoring options: robS ${best.scoring.robS}, minDev ${best.scoring.minDev}`);
  console.log(`chosen online options: ${JSON.stringify(best.online)} (TRAIN online 1-ROCA% ${bestRoca.toFixed(4)})`);
  return best;
}

function foldOf(md5: string): number {
  return Math.floor(parseInt(md5.slice(0, 8), 16) / 5) % 5;
}

type Held = Array<{ z: number; label: 'spam' | 'ham' }>;

function crossValidate(options: ModelOptions): Held {
  const held: Held = [];
  for (let k = 0; k < 5; k++) {
    const model = SpamModel.train(train.filter((m) => foldOf(m.md5) !== k), { source: 'cv' }, options);
    for (const m of train.filter((x) => foldOf(x.md5) === k)) held.push({ z: model.classify(m.raw).logOdds!, label: m.label });
  }
  return held;
}

function heldAuc(held: Held): number {
  return rocAuc(held.map((h) => ({ truth: h.label, label: 'ham' as const, score: h.z })));
}

function chooseEpochs(options: ModelOptions): { options: ModelOptions; held: Held } {
  const first = withOnline(options, { epochs: 1 });
  let best = { options: first, held: crossValidate(first) };
  let bestAuc = heldAuc(best.held);
  const row = [`1: ${bestAuc.toFixed(5)}`];
  for (const epochs of [2, 4, 8, 16]) {
    const candidate = withOnline(options, { epochs });
    const held = crossValidate(candidate);
    const auc = heldAuc(held);
    row.push(`${epochs}: ${auc.toFixed(5)}`);
    if (auc > bestAuc) {
      bestAuc = auc;
      best = { options: candidate, held };
    }
  }
  console.log(`5-fold CV on TRAIN, ROC AUC by epochs: ${row.join('  ')} -> ${best.options.online.epochs}`);
  return best;
}

function crossValidatedCutoffs(held: Held): { spamCutoff: number; hamCutoff: number } {
  const hams = held.filter((h) => h.label === 'ham').map((h) => h.z).sort((a, b) => b - a);
  const spams = held.filter((h) => h.label === 'spam').map((h) => h.z).sort((a, b) => a - b);
  // Spam at z >= cutoff: at most floor(maxFpr * hams) hams may reach it.
  const allowedHam = Math.floor(MAX_FPR * hams.length);
  const spamZ = nextUp(hams[allowedHam]!);
  const allowedSpam = Math.floor(0.001 * spams.length);
  const hamZ = Math.min(spams[allowedSpam]!, spamZ);
  const fpr = hams.filter((z) => z >= spamZ).length / hams.length;
  const recall = spams.filter((z) => z >= spamZ).length / spams.length;
  const auc = heldAuc(held);
  for (const f of [0.0005, 0.001, 0.0012, 0.002, 0.005]) {
    const z = nextUp(hams[Math.floor(f * hams.length)]!);
    console.log(`  CV at FPR <= ${f * 100}%: recall ${((100 * spams.filter((s) => s >= z).length) / spams.length).toFixed(2)}%`);
  }
  console.log(`  CV ROC AUC ${auc.toFixed(5)}`);
  console.log(`5-fold CV on TRAIN: ${hams.length} ham, ${spams.length} spam held out; spam at log-odds >= ${spamZ.toFixed(3)}: FPR ${(fpr * 100).toFixed(3)}%, recall ${(recall * 100).toFixed(2)}%`);
  return { spamCutoff: round(sigmoid(spamZ)), hamCutoff: round(sigmoid(hamZ)) };
}

function nextUp(z: number): number {
  return z + Math.max(1e-9, Math.abs(z) * 1e-9);
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Cutoffs are written into the source: 6 significant digits, rounded away from the ham side. */
function round(p: number): number {
  return Number(p.toPrecision(6));
}

const quick = process.argv.includes('--quick');
const online = process.argv.includes('--cv-only') ? DEFAULT_MODEL_OPTIONS : searchOnline(quick);
const { held } = chooseEpochs(online); // prints the epochs it chose
const cutoffs = crossValidatedCutoffs(held);
console.log(`chosen cutoffs: spamCutoff ${cutoffs.spamCutoff}, hamCutoff ${cutoffs.hamCutoff}`);
