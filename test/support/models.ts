// Small deterministic models for the runtime tests, trained by the real engine on generated feature rows.
import { MODEL_KIND, SCHEMA_VERSION, serializeModel, type ModelDocument } from '../../handlers/engine/model-document';
import { rowsToTable } from '../../handlers/engine/table';
import { trainModel } from '../../handlers/engine/train';
import type { FeatureRow } from '../../handlers/engine/types';
import type { ModelStore } from '../../handlers/store/model-store';

export const ROWS_LOG_TYPE = 'Test.Rows';

/** 30 entities x 72 hourly windows of quiet, regular behaviour: events ~8-13, 1-2 IPs, rare errors. */
export function quietRows(): FeatureRow[] {
  const rows: FeatureRow[] = [];
  const start = Date.UTC(2026, 0, 17);
  for (let i = 0; i < 30; i++) {
    for (let w = 0; w < 72; w++) {
      rows.push({
        entity: i === 0 ? 'alice' : `user-${i}`,
        windowStart: new Date(start + w * 3_600_000).toISOString(),
        features: { events: 8 + ((i * 7 + w * 3) % 6), distinct_ips: 1 + ((i + w) % 2), errors: (i + w) % 17 === 0 ? 1 : 0 },
      });
    }
  }
  return rows;
}

export function rowsModel(version: string): ModelDocument {
  const { model } = trainModel(rowsToTable(quietRows()), { logType: ROWS_LOG_TYPE, seed: 7 });
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: MODEL_KIND,
    version,
    createdAt: '2026-01-20T00:00:00.000Z',
    trainingWindow: { start: '2026-01-17T00:00:00.000Z', end: '2026-01-20T00:00:00.000Z' },
    models: [model],
  };
}

/** Writes and promotes a rows model under `version`. */
export async function storeRowsModel(store: ModelStore, version: string): Promise<ModelDocument> {
  const doc = rowsModel(version);
  await store.writeVersion(version, { 'model.json': serializeModel(doc) });
  await store.promote(version);
  return doc;
}
