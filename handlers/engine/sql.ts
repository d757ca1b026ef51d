// Compiles a feature spec to one SQL query per window range: Snowflake for Panther's data lake, DuckDB for tests.
import { InputError } from './errors';
import { textOf } from './fields';
import { compareRows, compareText } from './aggregate';
import { ruleMatchesTableName, tableName } from './spec';
import type { FeatureRow, FeatureSpec, FieldPath, Predicate } from './types';

export type SqlDialect = 'snowflake' | 'duckdb';

export interface SqlOptions {
  /** Inclusive lower bound on `p_event_time`. */
  start: Date;
  /** Exclusive upper bound on `p_event_time`. */
  end: Date;
  dialect: SqlDialect;
  /** Table to read instead of the spec's (e.g. a DuckDB table in tests). */
  table?: string;
}

// Snowflake's reserved keywords: a top-level column with one of these names must be double-quoted.
const SNOWFLAKE_RESERVED = new Set(
  (
    'ACCOUNT ALL ALTER AND ANY AS BETWEEN BY CASE CAST CHECK COLUMN CONNECT CONNECTION CONSTRAINT CREATE CROSS ' +
    'CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DATABASE DELETE DISTINCT DROP ELSE EXISTS ' +
    'FALSE FOLLOWING FOR FROM FULL GRANT GROUP GSCLUSTER HAVING ILIKE IN INCREMENT INNER INSERT INTERSECT INTO IS ' +
    'ISSUE JOIN LATERAL LEFT LIKE LOCALTIME LOCALTIMESTAMP MINUS NATURAL NOT NULL OF ON OR ORDER ORGANIZATION ' +
    'QUALIFY REGEXP REVOKE RIGHT RLIKE ROW ROWS SAMPLE SCHEMA SELECT SET SOME START TABLE TABLESAMPLE THEN TO ' +
    'TRIGGER TRUE TRY_CAST UNION UNIQUE UPDATE USING VALUES VIEW WHEN WHENEVER WHERE WINDOW WITH'
  ).split(' '),
);

/** A top-level column reference. DuckDB columns are always quoted (harmless there); Snowflake only when reserved. */
export function columnRef(name: string, dialect: SqlDialect): string {
  if (dialect === 'duckdb' || SNOWFLAKE_RESERVED.has(name.toUpperCase())) return `"${name.replace(/"/g, '""')}"`;
  return name;
}

/** A string literal. Snowflake also reads backslash escapes inside quotes, so backslashes are doubled there. */
export function stringLiteral(text: string, dialect: SqlDialect): string {
  const escaped = dialect === 'snowflake' ? text.replace(/\\/g, '\\\\') : text;
  return `'${escaped.replace(/'/g, "''")}'`;
}

/**
 * The text of a field, NULL when absent: `col:path.to.field::varchar` on Snowflake (VARIANT path, case-sensitive
 * element names), `json_extract_string(col, '$.path.to.field')` on DuckDB where nested columns are JSON.
 */
export function fieldSql(path: FieldPath, dialect: SqlDialect): string {
  const [head, ...rest] = path.split('.');
  const col = columnRef(head, dialect);
  if (dialect === 'snowflake') return rest.length ? `${col}:${rest.join('.')}::varchar` : `${col}::varchar`;
  return `json_extract_string(${col}, '$${rest.map((r) => `.${r}`).join('')}')`;
}

/** A predicate as a boolean that is never NULL, so NOT and OR agree with the aggregator on absent fields. */
export function predicateSql(p: Predicate, dialect: SqlDialect): string {
  switch (p.op) {
    case 'eq':
      return `COALESCE(${fieldSql(p.field, dialect)} = ${stringLiteral(textOf(p.value) ?? '', dialect)}, FALSE)`;
    case 'in':
      return `COALESCE(${fieldSql(p.field, dialect)} IN (${p.values
        .map((v) => stringLiteral(textOf(v) ?? '', dialect))
        .join(', ')}), FALSE)`;
    case 'prefix': {
      const fn = dialect === 'snowflake' ? 'STARTSWITH' : 'starts_with';
      return `COALESCE(${fn}(${fieldSql(p.field, dialect)}, ${stringLiteral(p.value, dialect)}), FALSE)`;
    }
    case 'exists':
      return `COALESCE(${fieldSql(p.field, dialect)} <> '', FALSE)`;
    case 'not':
      return `NOT ${predicateSql(p.predicate, dialect)}`;
    case 'and':
      return `(${p.predicates.map((q) => predicateSql(q, dialect)).join(' AND ')})`;
    case 'or':
      return `(${p.predicates.map((q) => predicateSql(q, dialect)).join(' OR ')})`;
  }
}

/** First present entity field, the same rule as the aggregator: absent, null and '' are skipped. */
export function entitySql(spec: FeatureSpec, dialect: SqlDialect): string {
  const parts = spec.entity.map((f) => `NULLIF(${fieldSql(f, dialect)}, '')`);
  return parts.length === 1 ? parts[0] : `COALESCE(${parts.join(', ')})`;
}

/** Window start as a timestamp: tumbling windows from UTC midnight (windowMinutes divides 1440). */
export function windowSql(spec: FeatureSpec, dialect: SqlDialect): string {
  const m = spec.windowMinutes;
  return dialect === 'snowflake'
    ? `time_slice(p_event_time, ${m}, 'MINUTE')`
    : `time_bucket(INTERVAL '${m} minutes', p_event_time)`;
}

/** Window start as `YYYY-MM-DDTHH:MM:SS.000Z` text, so both engines and the aggregator return the same string. */
function windowTextSql(column: string, dialect: SqlDialect): string {
  return dialect === 'snowflake'
    ? `to_varchar(${column}, 'YYYY-MM-DD"T"HH24:MI:SS".000Z"')`
    : `strftime(${column}, '%Y-%m-%dT%H:%M:%S.000Z')`;
}

function timestampLiteral(d: Date, dialect: SqlDialect): string {
  const text = d.toISOString().replace('T', ' ').replace('Z', '');
  return dialect === 'snowflake' ? `'${text}'::timestamp_ntz` : `TIMESTAMP '${text}'`;
}

/** Explicit `p_event_time` bounds; portable, unlike Panther's p_occurs_between macro. */
function boundsSql(options: SqlOptions): string {
  const { start, end, dialect } = options;
  if (!(start instanceof Date) || Number.isNaN(start.getTime())) throw new InputError('start is not a valid time', { field: 'start' });
  if (!(end instanceof Date) || Number.isNaN(end.getTime())) throw new InputError('end is not a valid time', { field: 'end' });
  if (start.getTime() >= end.getTime()) throw new InputError('start must be before end', { field: 'end' });
  return `p_event_time >= ${timestampLiteral(start, dialect)} AND p_event_time < ${timestampLiteral(end, dialect)}`;
}

function checkTable(table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$/.test(table)) {
    throw new InputError(`table "${table}" is not a (database.schema.)table name`, { field: 'table' });
  }
  return table;
}

/**
 * One query that returns one row per (entity, window) in `[start, end)`: columns `"entity"`, `"window_start"`
 * (ISO text) and one per feature, named exactly like the feature. Only aggregated rows leave the warehouse.
 */
export function compileSql(spec: FeatureSpec, options: SqlOptions): string {
  const { dialect } = options;
  const table = checkTable(options.table ?? tableName(spec));
  const derived: string[] = [];
  const aggregates: string[] = [];
  const column = new Map<string, string>();
  spec.features.forEach((f, i) => {
    const alias = `f${i}`;
    column.set(f.name, alias);
    if (f.kind === 'count') {
      aggregates.push(`COUNT(*) AS ${alias}`);
    } else if (f.kind === 'distinct') {
      derived.push(`${fieldSql(f.field, dialect)} AS v${i}`);
      aggregates.push(`COUNT(DISTINCT NULLIF(v${i}, '')) AS ${alias}`);
    } else if (f.kind === 'countWhere') {
      derived.push(`CASE WHEN ${predicateSql(f.where, dialect)} THEN 1 ELSE 0 END AS v${i}`);
      aggregates.push(`SUM(v${i}) AS ${alias}`);
    }
  });
  const outputs = spec.features.map((f) => {
    const name = `"${f.name}"`;
    if (f.kind !== 'ratio') return `${column.get(f.name)} AS ${name}`;
    const num = column.get(f.numerator);
    const den = column.get(f.denominator);
    if (!num || !den) throw new InputError(`ratio ${f.name} refers to a feature the spec lacks`, { field: f.name });
    // DOUBLE division on both engines, as in JavaScript; Snowflake's NUMBER division would round to 6 places.
    return `CASE WHEN ${den} = 0 THEN 0 ELSE CAST(${num} AS DOUBLE) / ${den} END AS ${name}`;
  });
  const ind = '    ';
  return [
    `-- ${spec.logType}: features per entity and ${spec.windowMinutes}-minute window`,
    'WITH events AS (',
    '  SELECT',
    [`${entitySql(spec, dialect)} AS entity`, `${windowSql(spec, dialect)} AS window_ts`, ...derived]
      .map((s) => ind + s)
      .join(',\n'),
    `  FROM ${table}`,
    `  WHERE ${boundsSql(options)}`,
    '),',
    'windows AS (',
    '  SELECT',
    ['entity', 'window_ts', ...aggregates].map((s) => ind + s).join(',\n'),
    '  FROM events',
    '  WHERE entity IS NOT NULL',
    '  GROUP BY entity, window_ts',
    ')',
    'SELECT',
    ['entity AS "entity"', `${windowTextSql('window_ts', dialect)} AS "window_start"`, ...outputs]
      .map((s) => '  ' + s)
      .join(',\n'),
    'FROM windows',
    'ORDER BY "entity", "window_start"',
  ].join('\n');
}

/**
 * Alerts per (entity, window) from Panther's alert matches (`panther_rule_matches.public.<table>`), with the
 * same entity and window expressions as compileSql: columns `"entity"`, `"window_start"`, `"alerts"`.
 */
export function compileLabelSql(spec: FeatureSpec, options: SqlOptions): string {
  const { dialect } = options;
  const table = checkTable(options.table ?? ruleMatchesTableName(spec));
  return [
    `-- ${spec.logType}: Panther alerts per entity and ${spec.windowMinutes}-minute window`,
    'WITH matches AS (',
    '  SELECT',
    `    ${entitySql(spec, dialect)} AS entity,`,
    `    ${windowSql(spec, dialect)} AS window_ts,`,
    '    p_alert_id',
    `  FROM ${table}`,
    `  WHERE ${boundsSql(options)}`,
    ')',
    'SELECT',
    '  entity AS "entity",',
    `  ${windowTextSql('window_ts', dialect)} AS "window_start",`,
    '  COUNT(DISTINCT p_alert_id) AS "alerts"',
    'FROM matches',
    'WHERE entity IS NOT NULL',
    'GROUP BY entity, window_ts',
    'ORDER BY "entity", "window_start"',
  ].join('\n');
}

/** Result rows keyed by lower-cased column name: warehouses and drivers disagree on case. */
function lowerKeys(row: Record<string, unknown>): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const k of Object.keys(row)) m.set(k.toLowerCase(), row[k]);
  return m;
}

function numberOf(value: unknown, where: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new InputError(`${where}: expected a number, got ${JSON.stringify(String(value))}`, { field: where });
  return n;
}

function windowStartOf(value: unknown, where: string): string {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  if (typeof value === 'string') {
    const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  throw new InputError(`${where}: expected an ISO-8601 window start, got ${JSON.stringify(String(value))}`, { field: where });
}

function textColumn(cols: Map<string, unknown>, name: string, where: string): string {
  const v = cols.get(name);
  if (typeof v !== 'string' || v === '') throw new InputError(`${where}.${name}: missing or empty`, { field: `${where}.${name}` });
  return v;
}

/**
 * Maps compileSql result rows to FeatureRows (logType set), sorted like the aggregator's. Column names may come
 * in any case; numbers as numbers, numeric strings or bigint. A missing or non-numeric column is an InputError.
 */
export function rowsFromQueryResult(spec: FeatureSpec, rows: Record<string, unknown>[]): FeatureRow[] {
  const out = rows.map((row, i) => {
    const where = `rows[${i}]`;
    const cols = lowerKeys(row);
    const features: Record<string, number> = {};
    for (const f of spec.features) {
      if (!cols.has(f.name)) throw new InputError(`${where}: no column "${f.name}" in the query result`, { field: `${where}.${f.name}` });
      features[f.name] = numberOf(cols.get(f.name), `${where}.${f.name}`);
    }
    return {
      entity: textColumn(cols, 'entity', where),
      windowStart: windowStartOf(cols.get('window_start'), `${where}.window_start`),
      logType: spec.logType,
      features,
    };
  });
  return out.sort(compareRows);
}

/** Panther alerts that matched one entity in one window. */
export interface AlertWindow {
  entity: string;
  windowStart: string;
  alerts: number;
  logType?: string;
}

/** Maps compileLabelSql result rows to AlertWindows, sorted by entity then window start. */
export function labelsFromQueryResult(rows: Record<string, unknown>[], logType?: string): AlertWindow[] {
  const out = rows.map((row, i) => {
    const where = `rows[${i}]`;
    const cols = lowerKeys(row);
    const w: AlertWindow = {
      entity: textColumn(cols, 'entity', where),
      windowStart: windowStartOf(cols.get('window_start'), `${where}.window_start`),
      alerts: numberOf(cols.get('alerts'), `${where}.alerts`),
    };
    if (logType !== undefined) w.logType = logType;
    return w;
  });
  return out.sort((a, b) => compareText(a.entity, b.entity) || compareText(a.windowStart, b.windowStart));
}
