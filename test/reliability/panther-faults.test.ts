// Panther failing in every way it does, under the real training job: calls that never answer, queries that never
// finish, 5xx storms, 429 with Retry-After, a query that ends `failed`, malformed JSON and a result that pages
// forever. After each: the stored current model and pointer are byte-identical, detection still answers with
// that model, and the structured log says what failed.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { DEFAULT_SPECS } from '../../handlers/engine/spec';
import { createPantherClient, type PantherClientOptions } from '../../handlers/panther/client';
import {
  PantherHttpError,
  PantherQueryFailedError,
  PantherThrottledError,
  PantherTimeoutError,
} from '../../handlers/panther/errors';
import { staticToken } from '../../handlers/panther/token';
import { createDetectionApp, type DetectionApp } from '../../handlers/runtime/app';
import { pantherSource } from '../../handlers/runtime/feature-source';
import { runTrainingJob } from '../../handlers/runtime/training-job';
import { createModelStore, type ModelStore, type ObjectStore } from '../../handlers/store/model-store';
import { s3Objects } from '../../handlers/store/s3';
import { createDuckLake, type DuckLake } from '../support/duckdb-lake';
import { LoopbackPanther } from '../support/panther-server';
import { startLoopbackS3, type LoopbackS3 } from '../support/s3rver';
import {
  SIM_END,
  SIM_START,
  SMALL_GATE,
  capturedLogger,
  currentHashes,
  detectEvent,
  eventsBody,
  smallSimulation,
  trainSmallModel,
  trainingFailure,
  type CapturedLog,
} from './setup';

const TOKEN = 'faults-panther-token';

describe('faults: Panther', function () {
  this.timeout(60_000);
  let s3: LoopbackS3;
  let objects: ObjectStore;
  let store: ModelStore;
  let lake: DuckLake;
  let panther: LoopbackPanther;
  let url: string;
  let app: DetectionApp;
  let good: Awaited<ReturnType<typeof currentHashes>>;

  before(async () => {
    s3 = await startLoopbackS3('faults-panther');
    objects = s3Objects(s3.client, s3.bucket);
    store = createModelStore(objects, 'models/');
    await trainSmallModel(store);
    lake = await createDuckLake(smallSimulation().events);
    panther = new LoopbackPanther(lake.run, TOKEN);
    url = await panther.start();
    // Refresh 0: every request reads the pointer again, so a moved or broken pointer would show at once.
    app = createDetectionApp({ store, refreshSeconds: 0, maxBodyBytes: 1_048_576 });
    good = await currentHashes(store, (k) => objects.get(k), 'models/');
  });
  after(async () => {
    await panther?.stop();
    await lake?.close();
    await s3?.stop();
  });
  beforeEach(() => {
    panther.faults.length = 0;
    panther.behaviour = { pollsBeforeDone: 1 };
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'passed') return;
    // Assess, after every fault: nothing detection reads has changed, and it still answers with that model.
    assert.deepEqual(await currentHashes(store, (k) => objects.get(k), 'models/'), good);
    const res = await app.handle(detectEvent(eventsBody()));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(JSON.parse(res.body).modelVersion, good.version);
  });

  interface Outcome {
    error: Error;
    log: CapturedLog;
    sleeps: number[];
  }

  /** Runs the training job through a Panther client with the given options; it must fail. */
  async function trainThroughPanther(options: Partial<PantherClientOptions> = {}): Promise<Outcome> {
    const log = capturedLogger();
    const sleeps: number[] = [];
    let clock = Date.parse('2026-01-10T00:00:00Z');
    const client = createPantherClient({
      url,
      token: staticToken(TOKEN),
      // Waits are recorded and advance a fake clock, so backoff and deadlines run without real waiting.
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      now: () => clock,
      maxRetries: 3,
      ...options,
    });
    const job = runTrainingJob({
      specs: DEFAULT_SPECS,
      start: SIM_START,
      end: SIM_END,
      source: pantherSource(client, { dialect: 'duckdb', logger: log.logger }),
      store,
      logger: log.logger,
      gate: SMALL_GATE,
    });
    const error = await job.then(
      () => assert.fail('training should have failed'),
      (err: Error) => err,
    );
    return { error, log, sleeps };
  }

  /** The log names the failure and the step it happened in. */
  function assertLogged(outcome: Outcome, name: string, message: RegExp): void {
    const failure = trainingFailure(outcome.log);
    assert.equal(failure.error.name, name);
    assert.match(failure.error.message, message);
    assert.match(failure.stage, /^reading AWS\.CloudTrail feature rows/);
    assert.equal(failure.version, null, 'no version was written');
  }

  it('an HTTP call that never answers times out with PantherTimeoutError', async () => {
    // Prepare: a Panther that accepts connections and never says a word.
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      // Act
      const outcome = await trainThroughPanther({ url: `http://127.0.0.1:${port}/public/graphql`, requestTimeoutMs: 300 });
      // Assess
      assert.ok(outcome.error instanceof PantherTimeoutError, String(outcome.error));
      assert.match(outcome.error.message, /^Panther ExecuteDataLakeQuery did not finish within 300 ms$/);
      assertLogged(outcome, 'PantherTimeoutError', /ExecuteDataLakeQuery did not finish within 300 ms/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('a query that never finishes is cancelled at the query deadline', async () => {
    panther.behaviour = { pollsBeforeDone: 0, neverFinish: true };
    const outcome = await trainThroughPanther({ queryTimeoutMs: 20_000 });
    assert.ok(outcome.error instanceof PantherTimeoutError);
    // Polls wait 1, 2, 3, 4, 5, 5 s (20 s in all); the next 5 s would pass 20 s, so the query is cancelled instead.
    assert.deepEqual(outcome.sleeps, [1000, 2000, 3000, 4000, 5000, 5000]);
    assert.equal(panther.cancelled.length, 1);
    assert.match(panther.cancelled[0], /^q-\d+$/);
    assertLogged(outcome, 'PantherTimeoutError', /^Panther data-lake query q-\d+ did not finish within 20000 ms$/);
  });

  it('a 5xx storm ends in PantherHttpError after the retries, with exponential backoff', async () => {
    panther.faults.push(...Array.from({ length: 10 }, () => ({ kind: 'status' as const, status: 503 })));
    const outcome = await trainThroughPanther();
    assert.ok(outcome.error instanceof PantherHttpError);
    assert.deepEqual(outcome.sleeps, [1000, 2000, 4000]);
    assertLogged(outcome, 'PantherHttpError', /^Panther ExecuteDataLakeQuery answered 503 4 times$/);
  });

  it('429 with Retry-After is waited out as asked, then PantherThrottledError', async () => {
    panther.faults.push(...Array.from({ length: 10 }, () => ({ kind: 'status' as const, status: 429, retryAfter: '7' })));
    const outcome = await trainThroughPanther();
    assert.ok(outcome.error instanceof PantherThrottledError);
    assert.deepEqual(outcome.sleeps, [7000, 7000, 7000]);
    assertLogged(outcome, 'PantherThrottledError', /throttled the request \(429\) 4 times/);
  });

  it('a storm shorter than the retries is ridden out', async () => {
    panther.faults.push({ kind: 'status', status: 502 }, { kind: 'status', status: 429, retryAfter: '3' });
    const sleeps: number[] = [];
    const client = createPantherClient({ url, token: staticToken(TOKEN), sleep: async (ms) => void sleeps.push(ms) });
    const result = await client.runQuery('SELECT 41 + 1 AS answer');
    assert.deepEqual(result.rows, [{ answer: 42 }]);
    // Exponential after the 502, Retry-After's 3 s after the 429.
    assert.deepEqual(sleeps.slice(0, 2), [1000, 3000]);
  });

  it('a query that ends `failed` carries the Snowflake text', async () => {
    const snowflake = "SQL compilation error: error line 3 at position 9 invalid identifier 'EVENTNAME'";
    panther.behaviour = { pollsBeforeDone: 1, failWith: snowflake };
    const outcome = await trainThroughPanther();
    assert.ok(outcome.error instanceof PantherQueryFailedError);
    assert.equal(outcome.error.snowflakeMessage, snowflake);
    assertLogged(outcome, 'PantherQueryFailedError', /failed: SQL compilation error: .*invalid identifier 'EVENTNAME'$/);
  });

  it('malformed JSON from Panther is a PantherHttpError saying the body is not JSON', async () => {
    const truncating: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const text = await res.text();
      const op = JSON.parse(String(init?.body)).operationName as string;
      const body = op === 'GetDataLakeQuery' ? text.slice(0, Math.floor(text.length / 2)) : text;
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const outcome = await trainThroughPanther({ fetch: truncating });
    assert.ok(outcome.error instanceof PantherHttpError);
    assertLogged(outcome, 'PantherHttpError', /^Panther GetDataLakeQuery answered 200 with a body that is not JSON$/);
  });

  it('a result that always has a next page stops at maxPages with an error saying so', async () => {
    // Prepare: every page of results claims another one after it, with a new cursor each time.
    let pages = 0;
    const endless: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const json = (await res.json()) as { data?: { dataLakeQuery?: { results?: { pageInfo: unknown } | null } } };
      const results = json.data?.dataLakeQuery?.results;
      if (results) results.pageInfo = { hasNextPage: true, endCursor: String(999 * ++pages) };
      return new Response(JSON.stringify(json), { status: res.status, headers: { 'content-type': 'application/json' } });
    };
    const outcome = await trainThroughPanther({ fetch: endless, maxPages: 25 });
    assert.ok(outcome.error instanceof PantherHttpError);
    assert.equal(pages, 25);
    assertLogged(outcome, 'PantherHttpError', /^Panther data-lake query q-\d+ still had more pages after 25 pages \(\d+ rows\); stopped reading$/);
  });
});
