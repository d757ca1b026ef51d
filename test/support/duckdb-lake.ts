// A stand-in for Panther's data lake on DuckDB: events loaded into `panther_logs.public.<table>` and alert
// matches into `panther_rule_matches.public.<table>`, so the engine's compiled SQL (duckdb dialect) runs
// unchanged, three-part names included.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entityReader, eventTimeReader, logTypeOf } from '../../handlers/engine/aggregate';
import { DEFAULT_SPECS, ruleMatchesTableName, tableName } from '../../handlers/engine/spec';
import type { FeatureSpec, PantherEvent } from '../../handlers/engine/types';
import type { SqlRunner } from './panther-server';

export interface AlertedWindow {
  logType: string;
  entity: string;
  windowStart: string;
  scenario: string;
}

export interface DuckLake {
  run: SqlRunner;
  /** Rule-match rows loaded, per log type. */
  alertRows: Record<string, number>;
  close(): Promise<void>;
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Creates `<table>` holding the events: p_event_time as TIMESTAMP, every other top-level field as JSON. */
async function loadTable(
  connection: Awaited<ReturnType<DuckDBInstance['connect']>>,
  table: string,
  events: PantherEvent[],
  dir: string,
): Promise<void> {
  const columns = new Set<string>(['p_event_time']);
  for (const e of events) for (const key of Object.keys(e)) columns.add(key);
  const file = join(dir, `${table.replace(/\./g, '_')}.jsonl`);
  await writeFile(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const spec = [...columns].map((c) => `${sqlString(c)}: ${sqlString(c === 'p_event_time' ? 'TIMESTAMP' : 'JSON')}`);
  await connection.run(
    `CREATE TABLE ${table} AS SELECT * FROM read_json(${sqlString(file)}, format = 'newline_delimited', ` +
      `columns = {${spec.join(', ')}}, timestampformat = '%Y-%m-%d %H:%M:%S.%g')`,
  );
}

/**
 * Loads events by log type; events whose (entity, window) is in `alerted` are also written to the alert-match
 * table with a `p_alert_id`, as Panther does when a rule fires on them.
 */
export async function createDuckLake(
  events: readonly PantherEvent[],
  options: { alerted?: readonly AlertedWindow[]; specs?: readonly FeatureSpec[] } = {},
): Promise<DuckLake> {
  const specs = options.specs ?? DEFAULT_SPECS;
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const dir = await mkdtemp(join(tmpdir(), 'lake-'));
  const alertRows: Record<string, number> = {};
  try {
    for (const db of ['panther_logs', 'panther_rule_matches']) {
      await connection.run(`ATTACH ':memory:' AS ${db}`);
      await connection.run(`CREATE SCHEMA ${db}.public`);
    }
    const alertKeys = new Map<string, string>();
    for (const a of options.alerted ?? []) alertKeys.set(`${a.logType}\u0000${a.entity}\u0000${a.windowStart}`, a.scenario);
    for (const spec of specs) {
      const own = events.filter((e) => logTypeOf(e) === spec.logType);
      if (own.length === 0) continue;
      await loadTable(connection, tableName(spec), own, dir);
      const entity = entityReader(spec);
      const time = eventTimeReader(spec);
      const windowMs = spec.windowMinutes * 60_000;
      const matches: PantherEvent[] = [];
      for (const e of own) {
        const who = entity(e);
        const t = time(e);
        if (who === undefined || !Number.isFinite(t)) continue;
        const windowStart = new Date(Math.floor(t / windowMs) * windowMs).toISOString();
        const scenario = alertKeys.get(`${spec.logType}\u0000${String(who)}\u0000${windowStart}`);
        if (scenario === undefined) continue;
        matches.push({ ...e, p_alert_id: `${scenario}:${String(who)}:${windowStart}`, p_rule_id: `Sim.${scenario}`, p_alert_severity: 'HIGH' });
      }
      alertRows[spec.logType] = matches.length;
      const matchTable = ruleMatchesTableName(spec);
      if (matches.length > 0) await loadTable(connection, matchTable, matches, dir);
      else await connection.run(`CREATE TABLE ${matchTable} AS SELECT *, NULL::JSON AS p_alert_id FROM ${tableName(spec)} LIMIT 0`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    alertRows,
    async run(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
