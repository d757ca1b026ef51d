// Conversion between feature rows (objects, as the API and the CLI carry them) and the columnar FeatureTable.

import { InputError } from './errors';
import type { FeatureRow, FeatureTable } from './types';

/**
 * Builds a table from rows. The feature columns are `featureNames` when given (a model's inputs: extra features
 * in a row are ignored), else the first row's features in their order. A row lacking a column, or giving a
 * value that is not a finite number, is an InputError naming `features.<name>` and the row index.
 */
export function rowsToTable(rows: FeatureRow[], featureNames?: string[]): FeatureTable {
  const names = featureNames ?? (rows.length > 0 ? Object.keys(rows[0].features ?? {}) : []);
  const width = names.length;
  const values = new Float64Array(rows.length * width);
  const windowStarts = new Float64Array(rows.length);
  const labels = new Int8Array(rows.length);
  const entities: string[] = new Array(rows.length);
  const scenarios: (string | undefined)[] = new Array(rows.length);
  let logType: string | undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const features = row.features ?? {};
    for (let j = 0; j < width; j++) {
      const name = names[j];
      const v = Object.prototype.hasOwnProperty.call(features, name) ? features[name] : undefined;
      if (v === undefined) {
        throw new InputError(`row ${i} has no feature "${name}"`, { field: `features.${name}` });
      }
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new InputError(`row ${i}: feature "${name}" must be a finite number, got ${String(v)}`, {
          field: `features.${name}`,
        });
      }
      values[i * width + j] = v;
    }
    entities[i] = row.entity;
    windowStarts[i] = Date.parse(row.windowStart);
    labels[i] = row.label === 1 ? 1 : row.label === 0 ? 0 : -1;
    scenarios[i] = row.scenario;
    logType ??= row.logType;
  }
  const table: FeatureTable = { featureNames: [...names], entities, windowStarts, values, labels, scenarios };
  if (logType !== undefined) table.logType = logType;
  return table;
}

/** The inverse of rowsToTable; a window start that was not a parseable time comes back as the empty string. */
export function tableToRows(table: FeatureTable): FeatureRow[] {
  const width = table.featureNames.length;
  const rows: FeatureRow[] = [];
  for (let i = 0; i < table.entities.length; i++) {
    const features: Record<string, number> = {};
    for (let j = 0; j < width; j++) features[table.featureNames[j]] = table.values[i * width + j];
    const t = table.windowStarts[i];
    const row: FeatureRow = { entity: table.entities[i], windowStart: Number.isNaN(t) ? '' : new Date(t).toISOString(), features };
    if (table.logType !== undefined) row.logType = table.logType;
    if (table.labels[i] === 0 || table.labels[i] === 1) row.label = table.labels[i] as 0 | 1;
    if (table.scenarios[i] !== undefined) row.scenario = table.scenarios[i];
    rows.push(row);
  }
  return rows;
}

/** Number of rows of a table. */
export function tableRows(table: FeatureTable): number {
  return table.entities.length;
}

/**
 * Checks that every value of a table is finite; the first one that is not is an InputError naming the column
 * (tables built by other readers than rowsToTable reach training and scoring through here).
 */
export function assertFiniteTable(table: FeatureTable): void {
  const width = table.featureNames.length;
  const { values } = table;
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) {
      const name = table.featureNames[k % width];
      throw new InputError(`row ${Math.floor(k / width)}: feature "${name}" must be a finite number, got ${values[k]}`, {
        field: `features.${name}`,
      });
    }
  }
  if (values.length !== table.entities.length * width) {
    throw new InputError(`table has ${values.length} values for ${table.entities.length} rows of ${width} features`, {
      field: 'values',
    });
  }
}
