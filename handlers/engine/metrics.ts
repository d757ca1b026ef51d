// Detection quality measures: ROC-AUC, average precision, rates at a threshold, per-scenario AUC, ROC points.
// Labels: 1 is an attack; 0 and -1 (unknown) count as benign, as they do in training.

import type { Metrics } from './types';

const isPositive = (label: number): boolean => label === 1;

/**
 * ROC-AUC as the Mann-Whitney statistic: the probability that a random attack scores above a random benign
 * window, ties counting one half. Null when either class is empty.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const { positives, negatives } = splitByLabel(scores, labels);
  return aucOf(positives, negatives);
}

/** Mann-Whitney AUC of attack scores against ascending-sorted benign scores. */
function aucOf(positives: Float64Array, sortedNegatives: Float64Array): number | null {
  if (positives.length === 0 || sortedNegatives.length === 0) return null;
  let wins = 0;
  for (const s of positives) {
    const below = lowerBound(sortedNegatives, s);
    wins += below + (upperBound(sortedNegatives, s) - below) / 2;
  }
  return wins / (positives.length * sortedNegatives.length);
}

/**
 * Average precision (the step-wise area under the precision-recall curve). Windows with equal scores are taken
 * as one step, so the order of ties does not change the result. Null when there are no attacks.
 */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const { positives, negatives } = splitByLabel(scores, labels);
  if (positives.length === 0) return null;
  let ap = 0;
  for (const step of descendingSteps(positives, negatives)) {
    if (step.newPositives > 0) ap += (step.newPositives / positives.length) * (step.tp / (step.tp + step.fp));
  }
  return ap;
}

/** ROC curve from (0, 0) to (1, 1), one point per distinct score, for charts. */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): { fpr: number; tpr: number }[] {
  const { positives, negatives } = splitByLabel(scores, labels);
  const points = [{ fpr: 0, tpr: 0 }];
  for (const step of descendingSteps(positives, negatives)) {
    points.push({
      fpr: negatives.length === 0 ? 0 : step.fp / negatives.length,
      tpr: positives.length === 0 ? 0 : step.tp / positives.length,
    });
  }
  return points;
}

/** Attack and benign scores, each sorted ascending (native typed-array sorts: fast on a million scores). */
function splitByLabel(scores: ArrayLike<number>, labels: ArrayLike<number>): { positives: Float64Array; negatives: Float64Array } {
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (isPositive(labels[i])) count++;
  const positives = new Float64Array(count);
  const negatives = new Float64Array(scores.length - count);
  let p = 0;
  let q = 0;
  for (let i = 0; i < scores.length; i++) {
    if (isPositive(labels[i])) positives[p++] = scores[i];
    else negatives[q++] = scores[i];
  }
  return { positives: positives.sort(), negatives: negatives.sort() };
}

/** Walks both ascending-sorted score lists from the top, one step per distinct score, with running counts. */
function* descendingSteps(
  positives: Float64Array,
  negatives: Float64Array,
): Generator<{ tp: number; fp: number; newPositives: number }> {
  let p = positives.length - 1;
  let q = negatives.length - 1;
  let tp = 0;
  let fp = 0;
  while (p >= 0 || q >= 0) {
    const v = Math.max(p >= 0 ? positives[p] : -Infinity, q >= 0 ? negatives[q] : -Infinity);
    let newPositives = 0;
    while (p >= 0 && positives[p] === v) {
      p--;
      newPositives++;
    }
    while (q >= 0 && negatives[q] === v) {
      q--;
      fp++;
    }
    tp += newPositives;
    yield { tp, fp, newPositives };
  }
}

/** First index whose value is >= x. */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > x. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Precision, recall and false-positive rate when windows scoring at or above `threshold` are flagged. */
export function ratesAt(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): { precision: number | null; recall: number | null; falsePositiveRate: number | null } {
  let tp = 0;
  let fp = 0;
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i] >= threshold;
    if (isPositive(labels[i])) {
      positives++;
      if (flagged) tp++;
    } else {
      negatives++;
      if (flagged) fp++;
    }
  }
  return {
    precision: tp + fp === 0 ? null : tp / (tp + fp),
    recall: positives === 0 ? null : tp / positives,
    falsePositiveRate: negatives === 0 ? null : fp / negatives,
  };
}

/**
 * All metrics of one scored set. Each scenario is measured by its own attack windows against every benign
 * window, so a scenario that is rare is not hidden by one that is common.
 */
export function computeMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  scenarios: ArrayLike<string | undefined>,
  threshold: number,
): Metrics {
  let positives = 0;
  const benign: number[] = [];
  const byScenario = new Map<string, number[]>();
  for (let i = 0; i < scores.length; i++) {
    if (isPositive(labels[i])) {
      positives++;
      const name = scenarios[i];
      if (name !== undefined && name !== '') {
        const list = byScenario.get(name) ?? [];
        list.push(scores[i]);
        byScenario.set(name, list);
      }
    } else {
      benign.push(scores[i]);
    }
  }
  const sortedBenign = Float64Array.from(benign).sort();
  // Scenario names are data: fromEntries defines them as own keys, whatever they are called.
  const perScenario: Metrics['perScenario'] = Object.fromEntries(
    [...byScenario.keys()].sort().map((name) => {
      const attack = byScenario.get(name)!;
      let caught = 0;
      for (const v of attack) if (v >= threshold) caught++;
      return [name, { rows: attack.length, rocAuc: aucOf(Float64Array.from(attack), sortedBenign), recall: caught / attack.length }];
    }),
  );
  return {
    rows: scores.length,
    positives,
    rocAuc: rocAuc(scores, labels),
    prAuc: prAuc(scores, labels),
    ...ratesAt(scores, labels, threshold),
    threshold,
    perScenario,
  };
}
