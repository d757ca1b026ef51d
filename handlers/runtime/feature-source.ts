// Where training's feature rows and alert labels come from: Panther's data lake (compiled SQL, run in chunks of
// days) or, for the local run and tests, events in memory aggregated in process.
import { aggregateEvents } from '../engine/aggregate';
import {
  compileLabelSql,
  compileSql,
  labelsFromQueryResult,
  rowsFromQueryResult,
  type AlertWindow,
  type SqlDialect,
} from '../engine/sql';
import type { FeatureRow, FeatureSpec, PantherEvent } from '../engine/types';
import type { PantherClient } from '../panther/client';
import { RULE_MATCHES_DATABASE } from '../panther/schema';
import { silentLogger, type Logger } from './logger';

export interface FeatureSource {
  /** Feature rows of one spec for windows in [start, end). */
  featureRows(spec: FeatureSpec, start: Date, end: Date, signal?: AbortSignal): Promise<FeatureRow[]>;
  /** Windows in which Panther alerts matched the entity. */
  alertWindows(spec: FeatureSpec, start: Date, end: Date, signal?: AbortSignal): Promise<AlertWindow[]>;
}

const DAY_MS = 86_400_000;

/**
 * [start, end) cut into consecutive spans of at most `days` days. Spans start at `start`; when `start` is at
 * UTC midnight every cut is too, and since window lengths divide a day no window straddles two spans.
 */
export function chunkWindow(start: Date, end: Date, days: number): { start: Date; end: Date }[] {
  const out: { start: Date; end: Date }[] = [];
  const step = Math.max(1, Math.floor(days)) * DAY_MS;
  for (let t = start.getTime(); t < end.getTime(); t += step) {
    out.push({ start: new Date(t), end: new Date(Math.min(t + step, end.getTime())) });
  }
  return out;
}

/*
 * How far one invocation goes: queries run one after another, so a training run costs about (days / chunkDays) x
 * (log types) x 2 queries (features and alert labels). Each returns only aggregated rows (one per entity and
 * window), and Lambda's 15 minutes hold a few dozen warehouse queries of a minute or so each: 30 to 90 days of a
 * busy tenant. Past that, the next step is a Step Functions map over the chunks (one invocation per chunk writing
 * rows to S3) with a final training invocation reading them back.
 */
export interface PantherSourceOptions {
  /** Days per data-lake query: each query stays small and one slow chunk does not lose the others' work. */
  chunkDays?: number;
  /** 'snowflake' for Panther; 'duckdb' only where the data lake is a DuckDB stand-in (the loopback tests). */
  dialect?: SqlDialect;
  logger?: Logger;
}

export function pantherSource(client: PantherClient, options: PantherSourceOptions = {}): FeatureSource {
  const dialect = options.dialect ?? 'snowflake';
  const chunkDays = options.chunkDays ?? 7;
  const logger = options.logger ?? silentLogger;
  return {
    async featureRows(spec, start, end, signal) {
      const rows: FeatureRow[] = [];
      for (const chunk of chunkWindow(start, end, chunkDays)) {
        const sql = compileSql(spec, { ...chunk, dialect });
        const result = await client.runQuery(sql, { signal });
        const chunkRows = rowsFromQueryResult(spec, result.rows);
        logger.debug('feature query done', {
          logType: spec.logType,
          queryId: result.queryId,
          start: chunk.start.toISOString(),
          rows: chunkRows.length,
          bytesScanned: result.bytesScanned,
        });
        rows.push(...chunkRows);
      }
      return rows;
    },
    async alertWindows(spec, start, end, signal) {
      const windows: AlertWindow[] = [];
      for (const chunk of chunkWindow(start, end, chunkDays)) {
        const sql = compileLabelSql(spec, { ...chunk, dialect });
        const result = await client.runQuery(sql, { databaseName: RULE_MATCHES_DATABASE, signal });
        windows.push(...labelsFromQueryResult(result.rows, spec.logType));
      }
      return windows;
    },
  };
}

/** Events held in memory (the simulator's sample, a file), with alert windows given directly. */
export function eventSource(events: readonly PantherEvent[], alerts: readonly AlertWindow[] = []): FeatureSource {
  return {
    async featureRows(spec, start, end) {
      return aggregateEvents(spec, events, { start, end });
    },
    async alertWindows(spec, start, end) {
      const from = start.toISOString();
      const to = end.toISOString();
      return alerts.filter(
        (a) => (a.logType === undefined || a.logType === spec.logType) && a.windowStart >= from && a.windowStart < to,
      );
    },
  };
}
