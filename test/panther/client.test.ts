// The Panther client against the loopback Panther: execute, poll, page, cancel, alerts, and every typed failure.
import assert from 'node:assert/strict';
import { createPantherClient, pollDelayMs, retryDelayMs, type PantherClientOptions } from '../../handlers/panther/client';
import {
  PantherAuthError,
  PantherHttpError,
  PantherQueryFailedError,
  PantherSchemaError,
  PantherThrottledError,
  PantherTimeoutError,
} from '../../handlers/panther/errors';
import { staticToken, tokenFromSecretString, type TokenSource } from '../../handlers/panther/token';
import { LoopbackPanther } from '../support/panther-server';

const TOKEN = 'test-token-1';

/** Rows 0..n-1 for any SQL, so paging can be counted exactly. */
function numberedRows(n: number) {
  return async () => Array.from({ length: n }, (_, i) => ({ entity: `e${i}`, events: i }));
}

/** A clock that only the injected sleep moves, so poll schedules are observed without waiting. */
function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

describe('Panther client', () => {
  let panther: LoopbackPanther;
  let url: string;
  let time: ReturnType<typeof fakeTime>;
  let rowCount = 2100;

  const client = (extra: Partial<PantherClientOptions> = {}) =>
    createPantherClient({ url, token: staticToken(TOKEN), sleep: time.sleep, now: time.now, ...extra });

  beforeEach(async () => {
    // Prepare
    rowCount = 2100;
    panther = new LoopbackPanther(() => numberedRows(rowCount)(), TOKEN);
    url = await panther.start();
    time = fakeTime();
  });
  afterEach(() => panther.stop());

  it('executes, polls with a growing sleep and pages at 999 rows until the last cursor', async () => {
    panther.behaviour = { pollsBeforeDone: 6 };
    // Act
    const result = await client().runQuery('select 1', { databaseName: 'panther_logs' });
    // Assess
    assert.equal(result.rows.length, 2100);
    assert.deepEqual(result.rows[1000], { entity: 'e1000', events: 1000 });
    assert.deepEqual(result.columns, ['entity', 'events']);
    // 6 polls answered running: sleeps 1, 2, 3, 4, 5, 5 s.
    assert.deepEqual(time.sleeps, [1000, 2000, 3000, 4000, 5000, 5000]);
    const gets = panther.callsOf('GetDataLakeQuery');
    // 7 polls (the last one carries page 1), then pages 2 and 3.
    assert.equal(gets.length, 9);
    assert.deepEqual(gets[7].variables.resultsInput, { pageSize: 999, cursor: '999' });
    assert.deepEqual(gets[8].variables.resultsInput, { pageSize: 999, cursor: '1998' });
    assert.equal(panther.calls[0].apiKey, TOKEN);
    assert.deepEqual(panther.callsOf('ExecuteDataLakeQuery')[0].variables, {
      input: { sql: 'select 1', databaseName: 'panther_logs' },
    });
  });

  it('returns an empty result when the query matches no rows', async () => {
    rowCount = 0;
    const result = await client().runQuery('select 1');
    assert.deepEqual(result.rows, []);
  });

  it('turns a failed query into PantherQueryFailedError carrying the Snowflake text', async () => {
    panther.behaviour = { pollsBeforeDone: 0, failWith: "SQL compilation error: invalid identifier 'FOO'" };
    await assert.rejects(client().runQuery('select foo'), (err: unknown) => {
      assert.ok(err instanceof PantherQueryFailedError);
      assert.equal(err.snowflakeMessage, "SQL compilation error: invalid identifier 'FOO'");
      assert.match(err.message, /invalid identifier 'FOO'/);
      return true;
    });
  });

  it('cancels a query that outlives its own timeout', async () => {
    panther.behaviour = { pollsBeforeDone: 0, neverFinish: true };
    await assert.rejects(client({ queryTimeoutMs: 12_000 }).runQuery('select slow'), PantherTimeoutError);
    assert.deepEqual(panther.cancelled, ['q-1']);
    // 1 + 2 + 3 + 4 = 10 s slept; the next 5 s sleep would pass 12 s, so it cancels instead.
    assert.deepEqual(time.sleeps, [1000, 2000, 3000, 4000]);
  });

  it('cancels the query when the caller aborts', async () => {
    panther.behaviour = { pollsBeforeDone: 0, neverFinish: true };
    const controller = new AbortController();
    const sleep = async (ms: number) => {
      time.sleeps.push(ms);
      if (time.sleeps.length === 2) controller.abort(new Error('invocation ending'));
    };
    await assert.rejects(client({ sleep }).runQuery('select slow', { signal: controller.signal }), /invocation ending/);
    assert.deepEqual(panther.cancelled, ['q-1']);
  });

  it('waits as Retry-After says on 429 and then succeeds', async () => {
    panther.faults.push({ kind: 'status', status: 429, retryAfter: '7' }, { kind: 'status', status: 503 });
    const result = await client().runQuery('select 1');
    assert.equal(result.rows.length, 2100);
    // 7 s from Retry-After, then 2 s (exponential, second retry), then the normal 1 s poll.
    assert.deepEqual(time.sleeps, [7000, 2000, 1000]);
  });

  it('gives up with PantherThrottledError after the last retry', async () => {
    for (let i = 0; i < 3; i++) panther.faults.push({ kind: 'status', status: 429, retryAfter: '1' });
    await assert.rejects(client({ maxRetries: 2 }).runQuery('select 1'), PantherThrottledError);
    assert.deepEqual(time.sleeps, [1000, 1000]);
  });

  it('gives up on repeated 5xx with PantherHttpError naming the status', async () => {
    for (let i = 0; i < 2; i++) panther.faults.push({ kind: 'status', status: 502 });
    await assert.rejects(client({ maxRetries: 1 }).runQuery('select 1'), (err: unknown) => {
      assert.ok(err instanceof PantherHttpError);
      assert.equal(err.status, 502);
      return true;
    });
  });

  it('reads the token again once after a 401, then reports PantherAuthError with the new-token note', async () => {
    let reads = 0;
    const tokens: TokenSource = { get: async () => (reads++, 'stale-token'), invalidate: () => undefined };
    await assert.rejects(client({ token: tokens }).runQuery('select 1'), (err: unknown) => {
      assert.ok(err instanceof PantherAuthError);
      assert.equal(err.status, 401);
      assert.match(err.message, /about a minute/);
      assert.match(err.message, /CIDR/);
      return true;
    });
    assert.equal(reads, 2);
  });

  it('recovers when the re-read token is the rotated one', async () => {
    let current = 'old-token';
    const tokens: TokenSource = {
      get: async () => current,
      invalidate: () => {
        current = TOKEN;
      },
    };
    const result = await client({ token: tokens }).runQuery('select 1');
    assert.equal(result.rows.length, 2100);
  });

  it('maps GRAPHQL_VALIDATION_FAILED to PantherSchemaError naming the field', async () => {
    panther.faults.push({ kind: 'validation', field: 'columnInfo' });
    await assert.rejects(client().runQuery('select 1'), (err: unknown) => {
      assert.ok(err instanceof PantherSchemaError);
      assert.match(err.message, /columnInfo/);
      return true;
    });
  });

  it('times out a single hung HTTP call', async () => {
    const hung: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    await assert.rejects(client({ fetch: hung, requestTimeoutMs: 50 }).runQuery('select 1'), PantherTimeoutError);
  });

  it('lists alerts in the window across pages with the documented time format', async () => {
    panther.alerts = Array.from({ length: 120 }, (_, i) => ({
      id: `a${i}`,
      title: 'Brute force',
      severity: 'HIGH',
      status: 'OPEN',
      createdAt: new Date(Date.UTC(2026, 0, 1) + i * 3600_000).toISOString(),
    }));
    const alerts = await client().listAlerts({
      createdAfter: new Date(Date.UTC(2026, 0, 1, 10)),
      createdBefore: new Date(Date.UTC(2026, 0, 4, 10)),
    });
    assert.equal(alerts.length, 72);
    assert.equal(alerts[0].id, 'a10');
    const calls = panther.callsOf('ListAlerts');
    assert.equal(calls.length, 2);
    assert.equal((calls[0].variables.input as { createdAtAfter: string }).createdAtAfter, '2026-01-01T10:00:00.000Z');
  });
});

describe('Panther retry and poll schedules', () => {
  it('grows the poll sleep by a second up to 5 s', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map(pollDelayMs), [1000, 2000, 3000, 4000, 5000, 5000, 5000]);
  });
  it('honours Retry-After in seconds and as an HTTP date, else backs off exponentially, capped at a minute', () => {
    assert.equal(retryDelayMs('3', 0, 0), 3000);
    assert.equal(retryDelayMs('Thu, 01 Jan 1970 00:00:10 GMT', 0, 4000), 6000);
    assert.equal(retryDelayMs(null, 0, 0), 1000);
    assert.equal(retryDelayMs(null, 3, 0), 8000);
    assert.equal(retryDelayMs('3600', 0, 0), 60_000);
    assert.equal(retryDelayMs('soon', 1, 0), 2000);
  });
});

describe('Panther token', () => {
  it('reads a bare token or a JSON object with a token field, and refuses empty ones', () => {
    assert.equal(tokenFromSecretString(' abc \n'), 'abc');
    assert.equal(tokenFromSecretString('{"token":"xyz"}'), 'xyz');
    assert.throws(() => tokenFromSecretString('{"apiKey":"xyz"}'), /"token" field/);
    assert.throws(() => tokenFromSecretString('  '), /empty/);
    assert.throws(() => staticToken(''), /empty/);
  });
});
