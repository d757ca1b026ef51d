// Scoring: z-scores against the baseline, the logistic layer on their positive and negative parts, and the
// per-feature explanation of every score (observed, expected, z, share of the log-odds).

import { baselineFor, profileOffset, slotOf } from './baseline';
import { InputError } from './errors';
import type { LogTypeModel } from './model-document';
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
  const z = new Float64Array(n * d);
  const ownBaseline = new Uint8Array(n);
  const kinds = model.transforms.map((t) => t.kind);
  for (let i = 0; i < n; i++) {
    const stats = baselineFor(model.baseline, table.entities[i]);
    ownBaseline[i] = stats.source === 'entity' ? 1 : 0;
    const slot = slotOf(table.windowStarts[i]);
    for (let j = 0; j < d; j++) {
      const v = table.values[i * width + columns[j]];
      if (!Number.isFinite(v)) {
        const name = model.featureNames[j];
        throw new InputError(`row ${i}: feature "${name}" must be a finite number, got ${v}`, { field: `features.${name}` });
      }
      const expected = stats.center[j] + profileOffset(model.baseline, slot, j);
      z[i * d + j] = (applyTransform(kinds[j], v) - expected) / stats.scale[j];
    }
  }
  return { z, ownBaseline };
}

/**
 * The logistic layer's inputs from z-scores: per feature min(z+, clip) then min(z-, clip), so a model can weigh
 * rises and drops of the same feature differently (and learn that one of them does not matter).
 */
export function logisticInputs(z: Float64Array, d: number, zClip: number): Float64Array {
  const n = d === 0 ? 0 : z.length / d;
  const x = new Float64Array(n * 2 * d);
  for (let k = 0; k < n * d; k++) {
    const v = z[k];
    x[2 * k] = v > 0 ? Math.min(v, zClip) : 0;
    x[2 * k + 1] = v < 0 ? Math.min(-v, zClip) : 0;
  }
  return x;
}

/** Anomaly probability of every row of a table, columnar and without per-row objects. */
export function scoreTable(model: LogTypeModel, table: FeatureTable): Float64Array {
  const d = model.featureNames.length;
  const { z } = zScores(model, table);
  const { weights, intercept, zClip } = model.logistic;
  const n = table.entities.length;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = intercept;
    for (let j = 0; j < d; j++) {
      const v = z[i * d + j];
      t += v > 0 ? weights[2 * j] * Math.min(v, zClip) : weights[2 * j + 1] * Math.min(-v, zClip);
    }
    scores[i] = sigmoid(t);
  }
  return scores;
}

/** Scores and explains feature rows; `top` features per result, strongest contribution first (default 5). */
export function scoreRows(model: LogTypeModel, rows: FeatureRow[], options: { top?: number } = {}): ScoreResult[] {
  const table = rowsToTable(rows, model.featureNames);
  const { z, ownBaseline } = zScores(model, table);
  return rows.map((row, i) => explain(model, table, z, ownBaseline, i, options.top ?? 5, row.windowStart));
}

/** Scores and explains row `i` of a table. */
export function explainTableRow(model: LogTypeModel, table: FeatureTable, i: number, top = 5): ScoreResult {
  const slice = sliceTable(table, i);
  const { z, ownBaseline } = zScores(model, slice);
  const t = table.windowStarts[i];
  return explain(model, slice, z, ownBaseline, 0, top, Number.isNaN(t) ? '' : new Date(t).toISOString());
}

function explain(
  model: LogTypeModel,
  table: FeatureTable,
  z: Float64Array,
  ownBaseline: Uint8Array,
  i: number,
  top: number,
  windowStart: string,
): ScoreResult {
  const d = model.featureNames.length;
  const width = table.featureNames.length;
  const columns = columnsFor(model, table);
  const stats = baselineFor(model.baseline, table.entities[i]);
  const slot = slotOf(table.windowStarts[i]);
  const { weights, intercept, zClip } = model.logistic;
  const explanations: FeatureExplanation[] = [];
  const zs: Record<string, number> = {};
  let t = intercept;
  for (let j = 0; j < d; j++) {
    const v = z[i * d + j];
    const contribution = v > 0 ? weights[2 * j] * Math.min(v, zClip) : v < 0 ? weights[2 * j + 1] * Math.min(-v, zClip) : 0;
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
