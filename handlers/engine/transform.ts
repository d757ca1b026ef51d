// Per-feature value transforms, chosen from the training data, that put every column on a scale where a
// robust z-score means the same thing: counts and byte sizes on a log scale, rates and flags as they are.

/**
 * `identity` keeps the value (rates in [0, 1], flags, small signed scores); `signedLog1p` is
 * sign(x) * log(1 + |x|): a log scale for counts and sizes spanning orders of magnitude that stays defined at 0
 * and for negative values, so a column of balances or deltas can use it too.
 */
export type TransformKind = 'identity' | 'signedLog1p';

export interface FeatureTransform {
  kind: TransformKind;
}

export function applyTransform(kind: TransformKind, x: number): number {
  if (kind === 'identity') return x;
  return x < 0 ? -Math.log1p(-x) : Math.log1p(x);
}

/** The inverse, so an expected value can be reported in the feature's own units. */
export function invertTransform(kind: TransformKind, y: number): number {
  if (kind === 'identity') return y;
  return y < 0 ? -Math.expm1(-y) : Math.expm1(y);
}

/**
 * Chooses the transform of one column from its values. A column that stays within [-1, 1] is a rate, a flag or a
 * normalised score: its differences are already on a comparable scale, and a log would only bend them. Anything
 * larger is treated as a magnitude (counts, bytes, durations), where a change from 10 to 20 should weigh like one
 * from 1,000 to 2,000: the signed log gives that, and it compresses columns spanning 1..1e9 into 0..21.
 */
export function chooseTransform(column: ArrayLike<number>): FeatureTransform {
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (v > 1 || v < -1) return { kind: 'signedLog1p' };
  }
  return { kind: 'identity' };
}

/** chooseTransform for every column of a row-major table of `width` columns, in one pass over the values. */
export function chooseTransforms(values: Float64Array, width: number): FeatureTransform[] {
  const wide = new Uint8Array(width);
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (v > 1 || v < -1) wide[k % width] = 1;
  }
  return Array.from(wide, (w) => ({ kind: w === 1 ? 'signedLog1p' : 'identity' }));
}
