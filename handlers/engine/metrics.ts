// Detection quality measures: ROC-AUC, average precision, rates at a threshold, per-scenario AUC, ROC points.
// Labels: 1 is an attack; 0 and -1 (unknown) count as benign, as they do in training.

import type { Metrics } from './types';

const isPositive = (label: number): boolean => label === 1;

/**
 * ROC-AUC as the Mann-Whitney statistic: the probability that a random attack scores above a random benign
 * window, ties counting one half (average ranks). Null when either class is empty.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const n = scores.length;
  const order = sortedIndices(scores);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]] === scores[order[start]]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (isPositive(labels[order[k]])) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Average precision (the step-wise area under the precision-recall curve). Windows with equal scores are taken
 * as one step, so the order of ties does not change the result. Null when there are no attacks.
 */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const order = sortedIndices(scores).reverse();
  let total = 0;
  for (let i = 0; i < labels.length; i++) if (isPositive(labels[i])) total++;
  if (total === 0) return null;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    let groupTp = 0;
    for (let k = start; k <= end; k++) if (isPositive(labels[order[k]])) groupTp++;
    tp += groupTp;
    seen += end - start + 1;
    ap += (groupTp / total) * (tp / seen);
    start = end + 1;
  }
  return ap;
}

/** ROC curve from (0, 0) to (1, 1), one point per distinct score, for charts. */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): { fpr: number; tpr: number }[] {
  const order = sortedIndices(scores).reverse();
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (isPositive(labels[i])) positives++;
  const negatives = labels.length - positives;
  const points = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    for (let k = start; k <= end; k++) {
      if (isPositive(labels[order[k]])) tp++;
      else fp++;
    }
    points.push({ fpr: negatives === 0 ? 0 : fp / negatives, tpr: positives === 0 ? 0 : tp / positives });
    start = end + 1;
  }
  return points;
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
  const perScenario: Metrics['perScenario'] = {};
  for (const name of [...byScenario.keys()].sort()) {
    const attack = byScenario.get(name)!;
    const s = [...attack, ...benign];
    const l = s.map((_, k) => (k < attack.length ? 1 : 0));
    let caught = 0;
    for (const v of attack) if (v >= threshold) caught++;
    perScenario[name] = { rows: attack.length, rocAuc: rocAuc(s, l), recall: caught / attack.length };
  }
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

/** Indices ordered by ascending score. */
function sortedIndices(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[a] - scores[b]);
}
