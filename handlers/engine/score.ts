// Scoring: z-scores against the baseline, the logistic layer on their positive and negative parts, and the
// per-feature explanation of every score (observed, expected, z, share of the log-odds).

import { baselineFor, profileOffset, slotOf } from './baseline';
import { InputError } from './errors';
import type { LogisticLayer, LogTypeModel } from './model-document';
import { rowsToTable } from './table';
import { applyTransform, invertTransform } from './transform';
import type { FeatureExplanation, FeatureRow, FeatureTable, ScoreResult } from './types';
import { sigmoid } from './logistic';

/** The parts of a model z-scores need; training computes them before the logistic layer exists. */
export type BaselinePart = Pick<LogTypeModel, 'featureNames' | 'transforms' | 'baseline'>;

/**
 * For each model feature, its column in `table`. Extra table columns are ignored; a missing one is an
 * InputError naming `features.<name>`.
 */
export function columnsFor(model: Pick<LogTypeModel, 'featureNames'>, table: FeatureTable): number[] {
  const index = new Map(table.featureNames.map((name, j) => [name, j]));
  return model.featureNames.map((name) => {
    const j = index.get(name);
    if (j === undefined) throw new InputError(`the model needs feature "${name}", which the rows lack`, { field: `features.${name}` });
    return j;
  });
}

/**
 * z-scores (row-major, rows x model features) of a table, and per row whether the entity's own baseline was used.
 * Non-finite inputs are an InputError naming the feature and the row.
 */
export function zScores(model: BaselinePart, table: FeatureTable): { z: Float64Array; ownBaseline: Uint8Array } {
  const columns = columnsFor(model, table);
  const width = table.featureNames.length;
  const d = columns.length;
  const n = table.entities.length;
  const transformed = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const kind = model.transforms[j].kind;
    for (let i = 0; i < n; i++) {
      const v = table.values[i * width + columns[j]];
      if (!Number.isFinite(v)) {
        const name = model.featureNames[j];
        throw new InputError(`row ${i}: feature "${name}" must be a finite number, got ${v}`, { field: `features.${name}` });
      }
      transformed[i * d + j] = applyTransform(kind, v);
    }
  }
  return zScoresOfTransformed(model, transformed, table.entities, table.windowStarts);
}

/** z-scores of values already transformed and in the model's feature order; the values are overwritten. */
export function zScoresOfTransformed(
  model: BaselinePart,
  transformed: Float64Array,
  entities: string[],
  windowStarts: Float64Array,
): { z: Float64Array; ownBaseline: Uint8Array } {
  const d = model.featureNames.length;
  const n = entities.length;
  const ownBaseline = new Uint8Array(n);
  const lookup = new Map<string, ReturnType<typeof baselineFor>>();
  const profile = model.baseline.profile;
  for (let i = 0; i < n; i++) {
    let stats = lookup.get(entities[i]);
    if (stats === undefined) {
      stats = baselineFor(model.baseline, entities[i]);
      lookup.set(entities[i], stats);
    }
    ownBaseline[i] = stats.source === 'entity' ? 1 : 0;
    const slot = slotOf(windowStarts[i]);
    const offsets = slot < 0 || profile.length === 0 ? undefined : profile[slot];
    const { center, scale } = stats;
    for (let j = 0; j < d; j++) {
      const k = i * d + j;
      transformed[k] = (transformed[k] - center[j] - (offsets === undefined ? 0 : offsets[j])) / scale[j];
    }
  }
  return { z: transformed, ownBaseline };
}

/**
 * The logistic layer's inputs from z-scores: per feature min(z+, clip) then min(z-, clip), so a model can weigh
 * rises and drops of the same feature differently (and learn that one of them does not matter).
 */
export function logisticInputs(z: Float64Array, d: number, layer: Pick<LogisticLayer, 'zClip' | 'zMargin'>): Float64Array {
  const n = d === 0 ? 0 : z.length / d;
  const x = new Float64Array(n * 2 * d);
  for (let k = 0; k < n * d; k++) {
    x[2 * k] = part(z[k], layer);
    x[2 * k + 1] = part(-z[k], layer);
  }
  return x;
}

/**
 * One side of a z-score as the logistic layer sees it: the excess over `zMargin`, capped at `zClip`. The margin
 * keeps the ordinary jitter of many features from adding up to the weight of one real excursion.
 */
export function part(z: number, layer: Pick<LogisticLayer, 'zClip' | 'zMargin'>): number {
  return z > layer.zMargin ? Math.min(z, layer.zClip) - layer.zMargin : 0;
}

/** Anomaly probability of every row of a table, columnar and without per-row objects. */
export function scoreTable(model: LogTypeModel, table: FeatureTable): Float64Array {
  const d = model.featureNames.length;
  const { z } = zScores(model, table);
  const layer = model.logistic;
  const { weights, intercept } = layer;
  const n = table.entities.length;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = intercept;
    for (let j = 0; j < d; j++) {
      const v = z[i * d + j];
      t += v > 0 ? weights[2 * j] * part(v, layer) : weights[2 * j + 1] * part(-v, layer);
    }
    scores[i] = sigmoid(t);
  }
  return scores;
}

/** Scores and explains feature rows; `top` features per result, strongest contribution first (default 5). */
export function scoreRows(model: LogTypeModel, rows: FeatureRow[], options: { top?: number } = {}): ScoreResult[] {
  const table = rowsToTable(rows, model.featureNames);
  const { z, ownBaseline } = zScores(model, table);
  const columns = columnsFor(model, table);
  return rows.map((row, i) => explain(model, table, columns, z, ownBaseline, i, options.top ?? 5, row.windowStart));
}

/** Scores and explains row `i` of a table. */
export function explainTableRow(model: LogTypeModel, table: FeatureTable, i: number, top = 5): ScoreResult {
  const slice = sliceTable(table, i);
  const { z, ownBaseline } = zScores(model, slice);
  const t = table.windowStarts[i];
  return explain(model, slice, columnsFor(model, slice), z, ownBaseline, 0, top, Number.isNaN(t) ? '' : new Date(t).toISOString());
}

function explain(
  model: LogTypeModel,
  table: FeatureTable,
  columns: number[],
  z: Float64Array,
  ownBaseline: Uint8Array,
  i: number,
  top: number,
  windowStart: string,
): ScoreResult {
  const d = model.featureNames.length;
  const width = table.featureNames.length;
  const stats = baselineFor(model.baseline, table.entities[i]);
  const slot = slotOf(table.windowStarts[i]);
  const layer = model.logistic;
  const { weights, intercept } = layer;
  const explanations: FeatureExplanation[] = [];
  const zs: Record<string, number> = {};
  let t = intercept;
  for (let j = 0; j < d; j++) {
    const v = z[i * d + j];
    const contribution = weights[2 * j] * part(v, layer) + weights[2 * j + 1] * part(-v, layer);
    t += contribution;
    const name = model.featureNames[j];
    zs[name] = v;
    explanations.push({
      feature: name,
      value: table.values[i * width + columns[j]],
      expected: invertTransform(model.transforms[j].kind, stats.center[j] + profileOffset(model.baseline, slot, j)),
      z: v,
      contribution,
    });
  }
  explanations.sort((a, b) => b.contribution - a.contribution || Math.abs(b.z) - Math.abs(a.z));
  const score = sigmoid(t);
  const result: ScoreResult = {
    entity: table.entities[i],
    windowStart,
    score,
    anomaly: score >= model.threshold,
    zScores: zs,
    topFeatures: explanations.slice(0, Math.max(0, top)),
    baselineSource: ownBaseline[i] === 1 ? 'entity' : 'population',
  };
  const logType = table.logType ?? model.logType;
  if (logType) result.logType = logType;
  return result;
}

function sliceTable(table: FeatureTable, i: number): FeatureTable {
  const width = table.featureNames.length;
  return {
    featureNames: table.featureNames,
    entities: [table.entities[i]],
    windowStarts: table.windowStarts.subarray(i, i + 1),
    values: table.values.subarray(i * width, (i + 1) * width),
    labels: table.labels.subarray(i, i + 1),
    scenarios: [table.scenarios[i]],
    logType: table.logType,
  };
}
