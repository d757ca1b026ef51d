// Training: split by time, choose transforms, fit the baseline, fit the logistic layer on real and synthetic
// anomalies, pick the threshold on held-out benign windows, and measure the held-out slice.

import { fitBaseline } from './baseline';
import { InputError } from './errors';
import { fitLogistic } from './logistic';
import { computeMetrics } from './metrics';
import type { LogTypeModel } from './model-document';
import { roundStored } from './model-document';
import { mulberry32 } from './random';
import { explainTableRow, logisticInputs, scoreTable, zScoresOfTransformed } from './score';
import { specHash } from './spec';
import { assertFiniteTable } from './table';
import { applyTransform, chooseTransforms } from './transform';
import type { Evaluation, FeatureSpec, FeatureTable } from './types';

export interface TrainOptions {
  /** Latest share of the windows held out for the threshold and the evaluation. Default 0.2. */
  holdoutFraction?: number;
  /** Share of held-out benign windows allowed above the threshold. Default 0.01. */
  targetFalsePositiveRate?: number;
  /** L2 penalty of the logistic layer. Default 1e-2. */
  l2?: number;
  /**
   * Synthetic anomalies per benign window fitted on. Default 1: the two classes weigh the same (see fitSet).
   */
  syntheticRate?: number;
  /**
   * How far beyond the observed range of a feature synthetic values may go, as a share of that range (see
   * fitSet). Default 0.5.
   */
  syntheticSpread?: number;
  /** Windows of own history before an entity gets its own baseline. Default 5. */
  minHistory?: number;
  /** Pseudo-windows of population behaviour mixed into each entity baseline. Default 2. */
  priorStrength?: number;
  /** Cap on each part of a z-score in the logistic layer. Default 10. */
  zClip?: number;
  /** Each side of a z-score counts by its excess over this margin. Default 1. */
  zMargin?: number;
  /** Keep logistic weights >= 0 (see logistic.ts). Default true. */
  nonNegative?: boolean;
  /** Most benign windows, and most attack windows, the logistic layer is fitted on (sampled). Default 50,000. */
  maxFitRows?: number;
  /** Held-out windows explained in the evaluation. Default 10. */
  topExplained?: number;
  /** Seed of the sampling and the synthetic anomalies: same data, same seed, same model. Default 1. */
  seed?: number;
  /** The spec the rows were built with, embedded with its hash; absent for CSV-trained models. */
  spec?: FeatureSpec;
  /** Log type the model is for; default the spec's, the table's, or `features`. */
  logType?: string;
  /** Called at the start (0) and end (1) of each phase, in order. */
  onProgress?: (phase: 'prepare' | 'baseline' | 'fit' | 'evaluate', fraction: number) => void;
}

export interface TrainResult {
  model: LogTypeModel;
  evaluation: Evaluation;
}

/**
 * Trains one model on a feature table. Labels: 1 attack, 0 benign, -1 unknown (fitted as benign). Attack rows
 * never shape the baseline. With or without labels, synthetic anomalies (benign windows with one to three
 * features replaced by values drawn over the feature's range, see fitSet) teach the logistic layer what "far
 * from normal" looks like on every feature, so labels of one attack kind do not make it blind to others.
 * The model is the one evaluated: fitted on the earlier rows, with its threshold chosen on the held-out ones.
 */
export function trainModel(table: FeatureTable, options: TrainOptions = {}): TrainResult {
  const progress = options.onProgress ?? (() => undefined);
  const n = table.entities.length;
  const d = table.featureNames.length;
  if (n === 0) throw new InputError('no rows to train on', { field: 'rows' });
  if (d === 0) throw new InputError('rows have no feature columns', { field: 'features' });
  assertFiniteTable(table);
  const seed = options.seed ?? 1;
  const random = mulberry32(seed);
  const zClip = options.zClip ?? 10;
  const zMargin = Math.min(options.zMargin ?? 1, zClip / 2);
  progress('prepare', 0);

  const { train, holdout } = splitByTime(table, options.holdoutFraction ?? 0.2);
  const trainTable = subsetTable(table, train);
  const evalTable = holdout.length > 0 ? subsetTable(table, holdout) : trainTable;

  const transforms = chooseTransforms(trainTable.values, d);
  const kinds = transforms.map((t) => t.kind);
  const transformed = trainTable.values.slice();
  for (let j = 0; j < d; j++) {
    if (kinds[j] === 'identity') continue;
    for (let k = j; k < transformed.length; k += d) transformed[k] = applyTransform(kinds[j], transformed[k]);
  }

  progress('prepare', 1);
  progress('baseline', 0);
  // Known attacks must not define normal; when every row is an attack there is nothing else to learn from.
  const include = new Uint8Array(train.length);
  let benignRows = 0;
  for (let i = 0; i < train.length; i++) {
    include[i] = trainTable.labels[i] === 1 ? 0 : 1;
    benignRows += include[i];
  }
  if (benignRows === 0) include.fill(1);
  const baseline = roundBaseline(
    fitBaseline(transformed, d, trainTable.entities, trainTable.windowStarts, include, kinds, {
      minHistory: options.minHistory,
      priorStrength: options.priorStrength,
    }),
  );
  const part = { featureNames: [...table.featureNames], transforms, baseline };
  progress('baseline', 1);

  progress('fit', 0);
  const fit = fitSet(transformed, d, trainTable, random, {
    maxFitRows: options.maxFitRows ?? 50_000,
    syntheticRate: options.syntheticRate ?? 1,
    spread: options.syntheticSpread ?? 0.5,
  });
  const { z } = zScoresOfTransformed(part, fit.transformed, fit.entities, fit.windowStarts);
  const logistic = fitLogistic(logisticInputs(z, d, { zClip, zMargin }), fit.y, 2 * d, {
    l2: options.l2 ?? 1e-2,
    nonNegative: options.nonNegative ?? true,
  });

  const logType = options.logType ?? options.spec?.logType ?? table.logType ?? 'features';
  const model: LogTypeModel = {
    logType,
    spec: options.spec ?? null,
    specHash: options.spec ? specHash(options.spec) : null,
    featureNames: part.featureNames,
    transforms,
    baseline,
    logistic: {
      inputs: part.featureNames.flatMap((name) => [`${name}:up`, `${name}:down`]),
      weights: Array.from(logistic.weights, roundStored),
      intercept: roundStored(logistic.intercept),
      zClip,
      zMargin,
    },
    threshold: 0.5,
    metrics: computeMetrics([], [], [], 0.5),
    trainingWindow: windowOf(trainTable.windowStarts),
    trainedRows: train.length,
  };

  progress('fit', 1);

  progress('evaluate', 0);
  const scores = scoreTable(model, evalTable);
  model.threshold = thresholdOnBenign(model, scores, evalTable, trainTable, options.targetFalsePositiveRate ?? 0.01);
  model.metrics = computeMetrics(scores, evalTable.labels, evalTable.scenarios, model.threshold);
  const top = topIndices(scores, options.topExplained ?? 10).map((i) => explainTableRow(model, evalTable, i));
  progress('evaluate', 1);
  return {
    model,
    evaluation: {
      metrics: model.metrics,
      scores: Array.from(scores),
      labels: Array.from(evalTable.labels),
      scenarios: [...evalTable.scenarios],
      top,
    },
  };
}

/**
 * Splits rows into training and a held-out later slice: the latest window starts holding about `fraction` of
 * the rows. Rows without a parseable time, or all in one window, are split by row order instead. With fewer
 * than two rows (or a fraction of 0) nothing is held out and the evaluation is on the training rows.
 */
export function splitByTime(table: FeatureTable, fraction: number): { train: number[]; holdout: number[] } {
  const n = table.entities.length;
  const all = Array.from({ length: n }, (_, i) => i);
  const wanted = Math.round(n * Math.min(Math.max(fraction, 0), 0.9));
  if (n < 2 || wanted === 0) return { train: all, holdout: [] };
  const times = table.windowStarts;
  const sorted = times.slice().sort(); // NaN sorts last
  const timed = Number.isFinite(sorted[n - 1]) && sorted[0] !== sorted[n - 1];
  if (!timed) {
    const cut = Math.max(1, n - wanted);
    return { train: all.slice(0, cut), holdout: all.slice(cut) };
  }
  // Walk down from the latest window start, a whole window start at a time, until enough rows are held out;
  // the earliest window start always stays in training.
  let k = n;
  while (k > 0 && n - k < wanted) {
    const t = sorted[k - 1];
    while (k > 0 && sorted[k - 1] === t) k--;
  }
  if (k === 0) k = upperBoundOf(sorted, sorted[0]);
  const cutoff = sorted[k];
  const train: number[] = [];
  const holdout: number[] = [];
  for (let i = 0; i < n; i++) (times[i] < cutoff ? train : holdout).push(i);
  return { train, holdout };
}

/** First index of an ascending array whose value is above x. */
function upperBoundOf(sorted: Float64Array, x: number): number {
  let k = 0;
  while (k < sorted.length && sorted[k] <= x) k++;
  return k;
}

/** The rows at `indices`, as a new table. */
export function subsetTable(table: FeatureTable, indices: number[]): FeatureTable {
  const d = table.featureNames.length;
  const values = new Float64Array(indices.length * d);
  const windowStarts = new Float64Array(indices.length);
  const labels = new Int8Array(indices.length);
  const source = table.values;
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    for (let j = 0; j < d; j++) values[r * d + j] = source[i * d + j];
    windowStarts[r] = table.windowStarts[i];
    labels[r] = table.labels[i];
  }
  return {
    featureNames: table.featureNames,
    entities: indices.map((i) => table.entities[i]),
    windowStarts,
    values,
    labels,
    scenarios: indices.map((i) => table.scenarios[i]),
    logType: table.logType,
  };
}

/**
 * The threshold that flags at most `rate` of the benign (label != 1) windows: just above the benign score ranked
 * floor(rate x benign) from the top. 0.5 when there are no benign windows to choose on.
 */
export function thresholdFor(scores: ArrayLike<number>, labels: ArrayLike<number>, rate: number): number {
  const benign: number[] = [];
  for (let i = 0; i < scores.length; i++) if (labels[i] !== 1) benign.push(scores[i]);
  if (benign.length === 0) return 0.5;
  benign.sort((a, b) => b - a);
  // A positive rate lets at least the top window through: on fewer than 1 / rate windows the rate rounds to
  // none, and a threshold above every window would flag nothing, not even an outlier hidden among them.
  const allowed = rate > 0 ? Math.max(1, Math.floor(rate * benign.length)) : 0;
  if (allowed >= benign.length) return benign[benign.length - 1];
  return nextUp(benign[allowed]);
}

/**
 * The threshold for the target rate on held-out benign windows. When there are too few of them to resolve the
 * rate (fewer than 1 / rate), the trained-on windows' scores join them: in-sample scores run a little low, which
 * errs towards flagging, and a quantile of many windows beats one of a handful.
 */
function thresholdOnBenign(
  model: LogTypeModel,
  heldOutScores: Float64Array,
  heldOut: FeatureTable,
  trained: FeatureTable,
  rate: number,
): number {
  let benign = 0;
  for (const label of heldOut.labels) if (label !== 1) benign++;
  if (rate <= 0 || benign * rate >= 1 || heldOut === trained) return thresholdFor(heldOutScores, heldOut.labels, rate);
  const pooledScores = [...heldOutScores, ...scoreTable(model, trained)];
  const pooledLabels = [...heldOut.labels, ...trained.labels];
  return thresholdFor(pooledScores, pooledLabels, rate);
}

/** The smallest double above x (x finite). */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const buffer = new DataView(new ArrayBuffer(8));
  buffer.setFloat64(0, x);
  const bits = buffer.getBigUint64(0);
  buffer.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return buffer.getFloat64(0);
}

/**
 * The rows the logistic layer is fitted on, in transformed space with their entity and window: attack and benign
 * windows, each sampled down to `maxFitRows` (the weights need a representative sample, not every window), and
 * synthetic anomalies.
 *
 * A synthetic anomaly is a benign window with one to three features replaced by a value drawn uniformly over
 * that feature's observed range, widened by `spread` of the range on each side. Against this reference the
 * logistic layer learns a density ratio: a feature whose windows sit tightly around each entity's baseline makes
 * most replaced values stand out and gets weight; a feature that already roams its whole range gets little.
 * Shifting z-scores by a fixed amount instead was tried: for mostly-zero counts, benign z-scores already exceed
 * any fixed shift, and the model learned to ignore exactly the rare features (MFA denials, admin actions) attacks
 * light up.
 *
 * The reference is the only evidence about attack kinds no label shows, so it must not be outweighed:
 * - As many synthetic rows as benign ones by default. The unknown windows hold attacks of unlabeled kinds, fitted
 *   as benign, and with a reference of a fifth of their weight those hidden attacks decided the weights of the
 *   features they move: a password spray hidden in 6 % of the simulated Okta windows set the weight of login
 *   failures to 0, and labels of one other kind then tipped ordinary quiet windows above the spray (held-out
 *   ROC-AUC 0.84; 0.97 with the balanced reference). Five times the draws at a fifth of the weight each did no
 *   better than the old rate: it is the reference's total weight that counts, not its number of draws.
 * - A column that never went below 0 gets no value below its smallest observed one: a count's minimum is a
 *   floor of the data (a window exists only when its entity logged something), and values under it (no events,
 *   no source IP) never occur, so weight learned on them would only fire on ordinary quiet windows.
 */
function fitSet(
  transformed: Float64Array,
  d: number,
  table: FeatureTable,
  random: () => number,
  options: { maxFitRows: number; syntheticRate: number; spread: number },
): { transformed: Float64Array; entities: string[]; windowStarts: Float64Array; y: Uint8Array } {
  const n = table.labels.length;
  const attacks: number[] = [];
  const benign: number[] = [];
  for (let i = 0; i < n; i++) (table.labels[i] === 1 ? attacks : benign).push(i);
  const sampleDown = (list: number[]): number[] => {
    const rate = options.maxFitRows / Math.max(list.length, 1);
    return rate >= 1 ? list : list.filter(() => random() < rate);
  };
  const kept = sampleDown(benign);
  const attackRows = sampleDown(attacks);
  const synthetic = kept.length === 0 || options.syntheticRate <= 0 ? 0 : Math.max(1, Math.round(kept.length * options.syntheticRate));

  const low = new Float64Array(d).fill(Infinity);
  const high = new Float64Array(d).fill(-Infinity);
  for (let k = 0; k < transformed.length; k++) {
    const j = k % d;
    if (transformed[k] < low[j]) low[j] = transformed[k];
    if (transformed[k] > high[j]) high[j] = transformed[k];
  }

  const sources = [...attackRows, ...kept];
  const rows = sources.length + synthetic;
  const out = new Float64Array(rows * d);
  const entities: string[] = new Array(rows);
  const windowStarts = new Float64Array(rows);
  const y = new Uint8Array(rows);
  sources.forEach((i, r) => {
    out.set(transformed.subarray(i * d, (i + 1) * d), r * d);
    entities[r] = table.entities[i];
    windowStarts[r] = table.windowStarts[i];
    y[r] = table.labels[i] === 1 ? 1 : 0;
  });
  for (let r = sources.length; r < rows; r++) {
    const source = kept[Math.floor(random() * kept.length)];
    out.set(transformed.subarray(source * d, (source + 1) * d), r * d);
    entities[r] = table.entities[source];
    windowStarts[r] = table.windowStarts[source];
    y[r] = 1;
    const replaced = Math.min(d, 1 + Math.floor(random() * 3));
    for (let m = 0; m < replaced; m++) {
      const j = Math.floor(random() * d);
      const range = Math.max(high[j] - low[j], 1);
      const from = low[j] - options.spread * range;
      const value = from + random() * (range * (1 + 2 * options.spread));
      out[r * d + j] = low[j] >= 0 ? Math.max(value, low[j]) : value;
    }
  }
  return { transformed: out, entities, windowStarts, y };
}

function roundBaseline(b: ReturnType<typeof fitBaseline>): ReturnType<typeof fitBaseline> {
  const round = (a: number[]): number[] => a.map(roundStored);
  const entities = Object.fromEntries(
    Object.entries(b.entities).map(([entity, s]) => [entity, { n: s.n, center: round(s.center), scale: round(s.scale) }]),
  );
  return {
    ...b,
    population: { center: round(b.population.center), scale: round(b.population.scale) },
    profile: b.profile.map(round),
    entities,
  };
}

function windowOf(times: Float64Array): { start: string | null; end: string | null } {
  let start = Infinity;
  let end = -Infinity;
  for (const t of times) {
    if (!Number.isFinite(t)) continue;
    start = Math.min(start, t);
    end = Math.max(end, t);
  }
  return Number.isFinite(start) ? { start: new Date(start).toISOString(), end: new Date(end).toISOString() } : { start: null, end: null };
}

function topIndices(scores: Float64Array, count: number): number[] {
  return Array.from(scores.keys())
    .sort((a, b) => scores[b] - scores[a])
    .slice(0, Math.max(0, count));
}

