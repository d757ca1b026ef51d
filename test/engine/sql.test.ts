// The compiled SQL: Snowflake text fragments, and on DuckDB the very rows the in-process aggregator produces.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { aggregateEvents } from '../../handlers/engine/aggregate';
import { InputError } from '../../handlers/engine/errors';
import { simulate } from '../../handlers/engine/simulator';
import { DEFAULT_SPECS, parseFeatureSpecs } from '../../handlers/engine/spec';
import { compileLabelSql, compileSql, labelsFromQueryResult, rowsFromQueryResult } from '../../handlers/engine/sql';
import type { FeatureSpec, PantherEvent } from '../../handlers/engine/types';

const FIXTURES = join(__dirname, '..', 'fixtures', 'events');
const [CLOUDTRAIL, OKTA] = DEFAULT_SPECS;
const START = new Date('2026-01-05T00:00:00Z');
const END = new Date('2026-01-07T00:00:00Z');

function readJsonl(path: string): PantherEvent[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as PantherEvent);
}

/**
 * Loads a JSONL file into a DuckDB table shaped like Panther's: p_event_time a TIMESTAMP, every other top-level
 * field a JSON column (what a VARIANT is to Snowflake), so the compiled SQL runs on it unchanged.
 */
async function loadTable(conn: DuckDBConnection, table: string, path: string): Promise<void> {
  const keys = new Set<string>();
  for (const e of readJsonl(path)) for (const k of Object.keys(e)) keys.add(k);
  const columns = [...keys].map((k) => `'${k}': '${k === 'p_event_time' ? 'TIMESTAMP' : 'JSON'}'`).join(', ');
  await conn.run(`CREATE TABLE ${table} AS SELECT * FROM read_json('${path.replace(/'/g, "''")}', format = 'newline_delimited', columns = {${columns}})`);
}

async function query(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

describe('compileSql (Snowflake)', () => {
  const sql = compileSql(CLOUDTRAIL, { start: START, end: END, dialect: 'snowflake' });

  it('reads nested fields as VARIANT paths cast to text', () => {
    assert.ok(sql.includes("COALESCE(NULLIF(userIdentity:arn::varchar, ''), NULLIF(userIdentity:sessionContext.sessionIssuer.arn::varchar, ''), NULLIF(userIdentity:invokedBy::varchar, ''), NULLIF(userIdentity:principalId::varchar, ''), NULLIF(userIdentity:accountId::varchar, '')) AS entity"), sql);
    assert.ok(sql.includes("COALESCE(responseElements:ConsoleLogin::varchar = 'Failure', FALSE)"));
    assert.ok(sql.includes("COALESCE(readOnly::varchar = 'false', FALSE)"));
    assert.ok(sql.includes("COALESCE(STARTSWITH(eventName::varchar, 'List'), FALSE)"));
  });

  it('bounds p_event_time explicitly and windows with time_slice', () => {
    assert.ok(sql.includes("FROM panther_logs.public.aws_cloudtrail\n  WHERE p_event_time >= '2026-01-05 00:00:00.000'::timestamp_ntz AND p_event_time < '2026-01-07 00:00:00.000'::timestamp_ntz"));
    assert.ok(sql.includes("time_slice(p_event_time, 60, 'MINUTE') AS window_ts"));
    assert.ok(sql.includes('GROUP BY entity, window_ts'));
    assert.ok(sql.includes(`to_varchar(window_ts, 'YYYY-MM-DD"T"HH24:MI:SS".000Z"') AS "window_start"`));
  });

  it('names output columns exactly like the features, quoted, with ratios defined at zero', () => {
    assert.ok(sql.includes('entity AS "entity"'));
    for (const f of CLOUDTRAIL.features) assert.ok(sql.includes(` AS "${f.name}"`), f.name);
    assert.ok(sql.includes('CASE WHEN f0 = 0 THEN 0 ELSE CAST(f6 AS DOUBLE) / f0 END AS "error_ratio"'));
    assert.ok(sql.includes('COUNT(DISTINCT NULLIF(v1, \'\')) AS f1'));
  });

  it('quotes reserved column names and escapes literals for Snowflake', () => {
    const spec = parseFeatureSpecs({
      logType: 'Custom.Groups',
      entity: ['group.name'],
      windowMinutes: 15,
      features: [{ name: 'odd', kind: 'countWhere', where: { op: 'eq', field: 'order.note', value: "O'Brien \\n" } }],
    })[0];
    const text = compileSql(spec, { start: START, end: END, dialect: 'snowflake' });
    assert.ok(text.includes(`NULLIF("group":name::varchar, '') AS entity`), text);
    assert.ok(text.includes(`"order":note::varchar = 'O''Brien \\\\n'`), text);
    assert.ok(text.includes("time_slice(p_event_time, 15, 'MINUTE')"));
    assert.ok(text.includes('FROM panther_logs.public.custom_groups'));
  });

  it('rejects reversed or invalid bounds and unsafe table names', () => {
    assert.throws(() => compileSql(CLOUDTRAIL, { start: END, end: START, dialect: 'snowflake' }), InputError);
    assert.throws(() => compileSql(CLOUDTRAIL, { start: new Date('nope'), end: END, dialect: 'snowflake' }), InputError);
    assert.throws(() => compileSql(CLOUDTRAIL, { start: START, end: END, dialect: 'snowflake', table: 't; drop table x' }), InputError);
  });
});

describe('compileLabelSql (Snowflake)', () => {
  it('counts distinct alerts per entity and window in panther_rule_matches', () => {
    const sql = compileLabelSql(OKTA, { start: START, end: END, dialect: 'snowflake' });
    assert.ok(sql.includes('FROM panther_rule_matches.public.okta_systemlog'));
    assert.ok(sql.includes("COALESCE(NULLIF(actor:alternateId::varchar, ''), NULLIF(actor:id::varchar, '')) AS entity"));
    assert.ok(sql.includes('COUNT(DISTINCT p_alert_id) AS "alerts"'));
    assert.ok(sql.includes('GROUP BY entity, window_ts'));
  });
});

describe('rowsFromQueryResult and labelsFromQueryResult', () => {
  it('accept any column case, numeric strings and bigint', () => {
    const spec = parseFeatureSpecs({ logType: 'X.Y', entity: ['a'], windowMinutes: 60, features: [{ name: 'events', kind: 'count' }, { name: 'n', kind: 'distinct', field: 'b' }] })[0];
    const rows = rowsFromQueryResult(spec, [
      { ENTITY: 'z', WINDOW_START: '2026-01-05T13:00:00.000Z', EVENTS: '3', N: 2n },
      { entity: 'a', window_start: '2026-01-05 14:00:00.000', events: 1, n: '0' },
    ]);
    assert.deepEqual(rows, [
      { entity: 'a', windowStart: '2026-01-05T14:00:00.000Z', logType: 'X.Y', features: { events: 1, n: 0 } },
      { entity: 'z', windowStart: '2026-01-05T13:00:00.000Z', logType: 'X.Y', features: { events: 3, n: 2 } },
    ]);
    assert.deepEqual(labelsFromQueryResult([{ Entity: 'e', Window_Start: '2026-01-05T13:00:00.000Z', ALERTS: '2' }], 'X.Y'), [
      { entity: 'e', windowStart: '2026-01-05T13:00:00.000Z', alerts: 2, logType: 'X.Y' },
    ]);
  });

  it('name the row and column of a missing or non-numeric value', () => {
    const spec = parseFeatureSpecs({ logType: 'X.Y', entity: ['a'], windowMinutes: 60, features: [{ name: 'events', kind: 'count' }] })[0];
    assert.throws(() => rowsFromQueryResult(spec, [{ entity: 'a', window_start: '2026-01-05T13:00:00.000Z' }]), (e: InputError) => e.field === 'rows[0].events');
    assert.throws(() => rowsFromQueryResult(spec, [{ entity: 'a', window_start: '2026-01-05T13:00:00.000Z', events: 'x' }]), (e: InputError) => e.field === 'rows[0].events');
    assert.throws(() => rowsFromQueryResult(spec, [{ entity: 'a', window_start: 'soon', events: 1 }]), (e: InputError) => e.field === 'rows[0].window_start');
    assert.throws(() => rowsFromQueryResult(spec, [{ entity: '', window_start: '2026-01-05T13:00:00.000Z', events: 1 }]), (e: InputError) => e.field === 'rows[0].entity');
  });
});

describe('SQL on DuckDB equals the aggregator', function () {
  this.timeout(120000);
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panther-anomaly-sql-'));
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    await loadTable(conn, 'fixture_cloudtrail', join(FIXTURES, 'cloudtrail.jsonl'));
    await loadTable(conn, 'fixture_okta', join(FIXTURES, 'okta.jsonl'));
  });

  after(() => {
    conn?.closeSync();
    instance?.closeSync();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function compare(spec: FeatureSpec, table: string, events: PantherEvent[], start: Date, end: Date): Promise<number> {
    const sql = compileSql(spec, { start, end, dialect: 'duckdb', table });
    const fromSql = rowsFromQueryResult(spec, await query(conn, sql));
    const fromEvents = aggregateEvents(spec, events, { start, end });
    assert.deepEqual(fromSql, fromEvents);
    return fromSql.length;
  }

  it('on the CloudTrail fixtures (entity fallbacks, bounds, window edges, empty values)', async () => {
    const n = await compare(CLOUDTRAIL, 'fixture_cloudtrail', readJsonl(join(FIXTURES, 'cloudtrail.jsonl')), START, END);
    assert.equal(n, 7);
  });

  it('on the Okta fixtures', async () => {
    const n = await compare(OKTA, 'fixture_okta', readJsonl(join(FIXTURES, 'okta.jsonl')), START, END);
    assert.equal(n, 3);
  });

  it('for predicates on absent fields, quotes, backslashes, numbers and booleans', async () => {
    const spec = parseFeatureSpecs({
      logType: 'AWS.CloudTrail',
      entity: ['userIdentity.accountId', 'eventSource'],
      windowMinutes: 30,
      features: [
        { name: 'events', kind: 'count' },
        { name: 'not_read_only', kind: 'countWhere', where: { op: 'not', predicate: { op: 'eq', field: 'readOnly', value: true } } },
        { name: 'quoted_agent', kind: 'countWhere', where: { op: 'eq', field: 'userAgent', value: "aws-cli/2.15.30 O'Brien \\build" } },
        { name: 'any_prefix', kind: 'countWhere', where: { op: 'prefix', field: 'errorCode', value: '' } },
        { name: 'no_error', kind: 'countWhere', where: { op: 'not', predicate: { op: 'exists', field: 'errorCode' } } },
        { name: 'either', kind: 'countWhere', where: { op: 'or', predicates: [{ op: 'in', field: 'awsRegion', values: ['eu-west-1', 'us-west-2'] }, { op: 'eq', field: 'responseElements.ConsoleLogin', value: 'Success' }] } },
        { name: 'keys', kind: 'distinct', field: 'requestParameters.key' },
        { name: 'ratio', kind: 'ratio', numerator: 'keys', denominator: 'not_read_only' },
      ],
    })[0];
    const events = readJsonl(join(FIXTURES, 'cloudtrail.jsonl'));
    const n = await compare(spec, 'fixture_cloudtrail', events, START, END);
    assert.ok(n >= 4);
    const rows = aggregateEvents(spec, events, { start: START, end: END });
    assert.equal(rows.reduce((s, r) => s + r.features.quoted_agent, 0), 1);
  });

  it('on a few thousand simulated events, for both default specs', async () => {
    // Prepare
    const sim = simulate({ days: 3, principals: 8, seed: 11 });
    const path = join(dir, 'sim.jsonl');
    writeFileSync(path, sim.events.map((e) => JSON.stringify(e)).join('\n'));
    await loadTable(conn, 'sim', path);
    const start = new Date('2026-01-05T00:00:00Z');
    const end = new Date('2026-01-09T00:00:00Z');
    // Act and assess
    let rows = 0;
    for (const spec of DEFAULT_SPECS) {
      const events = sim.events.filter((e) => e.p_log_type === spec.logType);
      rows += await compare(spec, 'sim', events, start, end);
    }
    assert.ok(sim.events.length > 2000, `${sim.events.length} events`);
    assert.ok(rows > 100, `${rows} rows`);
  });

  it('counts alerts per entity and window from an alert-match table', async () => {
    // Prepare: three matches of two alerts for bob at 13:00, one for alice, one outside the bounds.
    const events = readJsonl(join(FIXTURES, 'cloudtrail.jsonl'));
    const byRow = new Map(events.map((e) => [e.p_row_id, e]));
    const matches = [
      { ...byRow.get('ct01'), p_alert_id: 'a1', p_rule_id: 'AWS.Console.LoginFailed', p_alert_severity: 'MEDIUM' },
      { ...byRow.get('ct04'), p_alert_id: 'a2', p_rule_id: 'AWS.CloudTrail.Stopped', p_alert_severity: 'HIGH' },
      { ...byRow.get('ct03'), p_alert_id: 'a2', p_rule_id: 'AWS.CloudTrail.Stopped', p_alert_severity: 'HIGH' },
      { ...byRow.get('ct06'), p_alert_id: 'a3', p_rule_id: 'AWS.Secrets.Denied', p_alert_severity: 'LOW' },
      { ...byRow.get('ct16'), p_alert_id: 'a4', p_rule_id: 'AWS.Old', p_alert_severity: 'LOW' },
    ];
    const path = join(dir, 'matches.jsonl');
    writeFileSync(path, matches.map((e) => JSON.stringify(e)).join('\n'));
    await loadTable(conn, 'rule_matches', path);
    // Act
    const sql = compileLabelSql(CLOUDTRAIL, { start: START, end: END, dialect: 'duckdb', table: 'rule_matches' });
    const labels = labelsFromQueryResult(await query(conn, sql), 'AWS.CloudTrail');
    // Assess
    assert.deepEqual(labels, [
      { entity: 'arn:aws:iam::111122223333:user/bob', windowStart: '2026-01-05T13:00:00.000Z', alerts: 2, logType: 'AWS.CloudTrail' },
      { entity: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_abc/alice@example.com', windowStart: '2026-01-05T13:00:00.000Z', alerts: 1, logType: 'AWS.CloudTrail' },
    ]);
  });
});
