// The scores CSV of a whole table, computed column-wise: one z-score pass and no per-row result objects, so
// half a million rows score in seconds. Each line explains its score the way the engine's explainTableRow does.

import type { LogTypeModel } from '../engine/model-document';
import { part, scoreTable, zScores } from '../engine/score';
import type { FeatureTable } from '../engine/types';
import { csvField } from './csv';

export const SCORES_HEADER = 'entity,window_start,score,anomaly,top_features';

/** `events:+4.1`: a feature and its z-score, one decimal, signed. */
export function featureText(feature: string, z: number): string {
  return `${feature}:${z >= 0 ? '+' : ''}${z.toFixed(1)}`;
}

/** A score as written: 6 significant digits, as short as that allows. */
export function scoreText(score: number): string {
  return String(Number(score.toPrecision(6)));
}

/**
 * Indices of the `top` strongest features of one row: largest contribution to the log-odds first, ties by the
 * larger |z| (the order of the engine's explanations). `contributions` and `z` hold the row's d values.
 */
export function strongest(contributions: Float64Array, z: Float64Array, top: number): number[] {
  const order: number[] = [];
  for (let j = 0; j < contributions.length; j++) {
    let k = order.length;
    while (k > 0) {
      const o = order[k - 1];
      const better = contributions[j] > contributions[o] || (contributions[j] === contributions[o] && Math.abs(z[j]) > Math.abs(z[o]));
      if (!better) break;
      k--;
    }
    if (k < top) {
      order.splice(k, 0, j);
      if (order.length > top) order.pop();
    }
  }
  return order;
}

/** Lines of the scores CSV (without the header), one per table row in order, with the `top` features each. */
export function scoreLines(model: LogTypeModel, table: FeatureTable, top: number, onRow?: (rows: number) => void): { lines: string[]; anomalies: number } {
  const scores = scoreTable(model, table);
  const { z } = zScores(model, table);
  const d = model.featureNames.length;
  const layer = model.logistic;
  const { weights } = layer;
  const contributions = new Float64Array(d);
  const lines: string[] = new Array(table.entities.length);
  const windows = new Map<number, string>();
  let anomalies = 0;
  for (let i = 0; i < lines.length; i++) {
    const row = z.subarray(i * d, (i + 1) * d);
    for (let j = 0; j < d; j++) contributions[j] = weights[2 * j] * part(row[j], layer) + weights[2 * j + 1] * part(-row[j], layer);
    const features = strongest(contributions, row, top)
      .map((j) => featureText(model.featureNames[j], row[j]))
      .join(';');
    const ms = table.windowStarts[i];
    let window = windows.get(ms);
    if (window === undefined) {
      window = Number.isNaN(ms) ? '' : new Date(ms).toISOString();
      windows.set(ms, window);
    }
    // Rows read from a CSV keep their own window_start text, so scores join back to the input on (entity, window).
    if (table.windowTexts !== undefined) window = csvField(table.windowTexts[i]);
    const anomaly = scores[i] >= model.threshold;
    if (anomaly) anomalies++;
    lines[i] = `${csvField(table.entities[i])},${window},${scoreText(scores[i])},${anomaly ? 1 : 0},${csvField(features)}`;
    if (onRow !== undefined && (i & 0xffff) === 0) onRow(i);
  }
  return { lines, anomalies };
}
