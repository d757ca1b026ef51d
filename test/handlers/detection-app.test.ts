// The detection API on API Gateway event fixtures: every route, every /detect error with its status and body,
// and the model cache (pointer refresh, corrupt model kept out).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { BadRequestError } from '../../handlers/http/errors';
import { createDetectionApp, routeOf, type DetectionApp } from '../../handlers/runtime/app';
import { createLogger } from '../../handlers/runtime/logger';
import { directoryObjects } from '../../handlers/store/directory';
import { createModelStore, type ModelStore } from '../../handlers/store/model-store';
import { storeRowsModel } from '../support/models';

const fixture = (name: string): APIGatewayProxyEvent =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'apigw', `${name}.json`), 'utf8'));
const bodyOf = (res: APIGatewayProxyResult) => JSON.parse(res.body) as Record<string, any>;

describe('detection API', () => {
  let dir: string;
  let store: ModelStore;
  let app: DetectionApp;
  let clock: number;
  let logLines: string[];

  const makeApp = (maxBodyBytes = 1_048_576) =>
    createDetectionApp({
      store,
      refreshSeconds: 60,
      maxBodyBytes,
      now: () => clock,
      logger: createLogger({ write: (l) => logLines.push(l) }),
    });

  beforeEach(async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'detect-'));
    store = createModelStore(directoryObjects(dir));
    clock = 1_000_000;
    logLines = [];
    app = makeApp();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  describe('with no model', () => {
    it('GET /health answers 503 with a JSON body saying no model was promoted', async () => {
      const res = await app.handle(fixture('health-get'));
      assert.equal(res.statusCode, 503);
      assert.equal(bodyOf(res).status, 'unavailable');
      assert.match(bodyOf(res).message, /no model has been promoted/);
    });
    it('POST /detect answers 503, after validating the request', async () => {
      const res = await app.handle(fixture('detect-rows'));
      assert.equal(res.statusCode, 503);
      assert.equal(bodyOf(res).error, 'ServiceUnavailable');
    });
  });

  describe('with a model', () => {
    beforeEach(() => storeRowsModel(store, 'v1'));

    it('GET /health reports the version, training time and log types', async () => {
      const res = await app.handle(fixture('health-get'));
      assert.equal(res.statusCode, 200);
      const body = bodyOf(res);
      assert.equal(body.status, 'ok');
      assert.equal(body.modelVersion, 'v1');
      assert.equal(body.trainedAt, '2026-01-20T00:00:00.000Z');
      assert.deepEqual(body.logTypes, ['Test.Rows']);
    });

    for (const variant of ['detect-rows', 'detect-rows-base64', 'detect-rows-charset']) {
      it(`scores feature rows (${variant}): the quiet window is normal, the loud one anomalous`, async () => {
        // Act
        const res = await app.handle(fixture(variant));
        // Assess
        assert.equal(res.statusCode, 200);
        const body = bodyOf(res);
        assert.equal(body.modelVersion, 'v1');
        assert.equal(typeof body.threshold, 'number');
        assert.equal(body.results.length, 2);
        const [quiet, loud] = body.results;
        assert.equal(quiet.entity, 'alice');
        assert.equal(quiet.windowStart, '2026-01-20T10:00:00.000Z');
        assert.equal(quiet.anomaly, false);
        assert.equal(loud.anomaly, true);
        assert.ok(loud.score > body.threshold && quiet.score < body.threshold);
        assert.ok(loud.topFeatures.length > 0);
        const top = loud.topFeatures[0];
        assert.ok(['events', 'distinct_ips', 'errors'].includes(top.feature));
        for (const key of ['feature', 'value', 'expected', 'z', 'contribution']) assert.ok(key in top, key);
        assert.deepEqual(Object.keys(loud.zScores).sort(), ['distinct_ips', 'errors', 'events']);
      });
    }

    const errors: [string, number, string, RegExp][] = [
      ['detect-text-plain', 415, 'content-type', /text\/plain.*application\/json/],
      ['detect-no-content-type', 415, 'content-type', /\(none\)/],
      ['detect-malformed-json', 400, 'body', /malformed JSON/],
      ['detect-wrong-type', 400, 'rows[0].features.events', /expected number/],
      ['detect-missing-feature', 400, 'rows[0].features.distinct_ips', /distinct_ips/],
      ['detect-unknown-log-type', 400, 'events[0].p_log_type', /no model for log type "AWS.CloudTrail"/],
      ['detect-event-without-log-type', 400, 'events[0].p_log_type', /p_log_type/],
      ['detect-empty-object', 400, 'body', /either "events" or "rows"/],
      ['detect-array-body', 400, 'body', /either "events" or "rows"/],
      ['detect-empty-body', 400, 'body', /malformed JSON/],
    ];
    for (const [name, status, field, message] of errors) {
      it(`${name} -> ${status} naming ${field}`, async () => {
        const res = await app.handle(fixture(name));
        assert.equal(res.statusCode, status);
        assert.match(res.headers?.['content-type'] as string, /application\/json/);
        const body = bodyOf(res);
        assert.equal(body.field, field);
        assert.match(body.message, message);
        assert.equal('stack' in body, false);
      });
    }

    it('413 for a body over the limit, counted in bytes after base64 decoding', async () => {
      const small = makeApp(100);
      const res = await small.handle(fixture('detect-rows-base64'));
      assert.equal(res.statusCode, 413);
      const body = bodyOf(res);
      assert.equal(body.field, 'body');
      assert.equal(body.details.limit, 100);
      assert.equal(body.details.bytes, Buffer.from(fixture('detect-rows-base64').body!, 'base64').length);
    });

    it('405 with Allow for the wrong method, 404 for an unknown route', async () => {
      const get = await app.handle(fixture('detect-get'));
      assert.equal(get.statusCode, 405);
      assert.equal(get.headers?.allow, 'POST');
      assert.equal((await app.handle(fixture('health-post'))).statusCode, 405);
      const missing = await app.handle(fixture('unknown-route'));
      assert.equal(missing.statusCode, 404);
      assert.match(bodyOf(missing).message, /GET \/health and POST \/detect/);
    });

    it('logs one JSON line per request with sizes and status, never the body or the API key', async () => {
      await app.handle(fixture('detect-rows'));
      const requestLines = logLines.map((l) => JSON.parse(l)).filter((l) => l.message === 'request');
      assert.equal(requestLines.length, 1);
      const line = requestLines[0];
      assert.equal(line.status, 200);
      assert.equal(line.items, 2);
      assert.equal(line.anomalies, 1);
      assert.equal(line.requestId, 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
      const all = logLines.join('\n');
      assert.equal(all.includes('fixture-api-key-not-a-secret'), false);
      assert.equal(all.includes('distinct_ips'), false);
    });

    it('picks up a newly promoted version only after the refresh interval', async () => {
      await storeRowsModel(store, 'v2');
      // No request was served yet, so the first one reads the pointer, already at v2.
      assert.equal(bodyOf(await app.handle(fixture('health-get'))).modelVersion, 'v2');
      await store.rollback();
      clock += 59_000;
      assert.equal(bodyOf(await app.handle(fixture('health-get'))).modelVersion, 'v2');
      clock += 2_000;
      assert.equal(bodyOf(await app.handle(fixture('health-get'))).modelVersion, 'v1');
    });

    it('keeps serving the last good model when the new current one is corrupt', async () => {
      assert.equal(bodyOf(await app.handle(fixture('health-get'))).modelVersion, 'v1');
      await store.writeVersion('v2', { 'model.json': '{"schemaVersion": 1, "kind": "panther-anomaly-model"' });
      await store.promote('v2');
      clock += 61_000;
      const res = await app.handle(fixture('detect-rows'));
      assert.equal(res.statusCode, 200);
      assert.equal(bodyOf(res).modelVersion, 'v1');
      const warning = logLines.map((l) => JSON.parse(l)).find((l) => l.message.startsWith('model refresh failed'));
      assert.ok(warning, 'a warning names the failed refresh');
    });

    it('fetches a corrupt version once, not at every refresh, and still answers 503 for it', async () => {
      await store.writeVersion('v2', { 'model.json': '{"schemaVersion": 99}' });
      await store.promote('v2');
      let reads = 0;
      const readModel = store.readModel.bind(store);
      store.readModel = (version) => (reads++, readModel(version));
      for (let i = 0; i < 3; i++) {
        clock += 61_000;
        assert.equal((await app.handle(fixture('detect-rows'))).statusCode, 503);
      }
      assert.equal(reads, 1);
    });

    it('a corrupt model with nothing loaded before is a 503 naming the problem, not a 500', async () => {
      await store.writeVersion('v2', { 'model.json': '{"schemaVersion": 99}' });
      await store.promote('v2');
      const res = await app.handle(fixture('detect-rows'));
      assert.equal(res.statusCode, 503);
      assert.match(bodyOf(res).message, /no usable model/);
    });
  });

  it('routes by the last path segment, with or without a stage prefix', () => {
    assert.equal(routeOf({ resource: '/{proxy+}', path: '/prod/detect/' }), 'detect');
    assert.equal(routeOf({ resource: '/health', path: '/health' }), 'health');
    assert.equal(routeOf({ resource: '/', path: '/' }), '');
  });
});

describe('error bodies', () => {
  it('clip a message or field that quotes a huge caller key', () => {
    const key = 'k'.repeat(5000);
    const body = new BadRequestError(`rows[0].features.${key}: unknown`, `rows[0].features.${key}`).toJSON();
    assert.ok(body.message.length < 400 && body.field!.length < 400);
    assert.match(body.message, /\.\.\. \(5026 characters\)$/);
  });
});
