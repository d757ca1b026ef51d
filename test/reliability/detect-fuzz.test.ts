// Fuzzes POST /detect through the detection app's API Gateway entry: thousands of generated bodies (wrong types,
// deep nesting, huge numbers and strings, unicode, prototype-pollution keys, duplicate keys, truncated JSON,
// wrong content types, base64) must each get a 2xx or a 4xx with a JSON body naming the problem, never a 5xx.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { MAX_ITEMS } from '../../handlers/http/request';
import { createDetectionApp, type DetectionApp } from '../../handlers/runtime/app';
import { directoryObjects } from '../../handlers/store/directory';
import { createModelStore, type ModelStore } from '../../handlers/store/model-store';
import { capturedLogger, detectEvent, smallSimulation, trainSmallModel } from './setup';

/** Small enough that the oversize cases stay cheap; the 413 path is the same at any limit. */
const MAX_BODY_BYTES = 256 * 1024;
const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'];
const CLOUDTRAIL_FEATURES = ['events', 'distinct_event_names', 'errors', 'error_ratio', 'iam_changes'];

// A full collection before each heap reading, so the figure is what stays alive, not what awaits collection.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

interface Body {
  text: string | null;
  contentType?: string;
  base64?: boolean;
  /** Send `text` as it is while claiming it is base64, as a broken client might. */
  notBase64?: boolean;
}

const weirdString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', '\uFFFF', '\uD800', 'null', '__proto__', 'constructor', 'toString', '💥'.repeat(50)),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);
const key = fc.oneof(fc.constantFrom(...POLLUTION_KEYS, ...CLOUDTRAIL_FEATURES, 'p_log_type', 'logType', 'rows', 'events'), weirdString);
const hugeNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 1, -0, 1e21),
);
const anything = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue({ maxDepth: 4 }),
  weirdString,
  hugeNumber,
  fc.constantFrom(null, true, false, [], {}),
);
/** An object whose keys include the pollution names, and whose values are anything. */
const pollutedObject = fc.dictionary(key, anything, { maxKeys: 6 });

/** A valid ISO time, a wrong one, or something that is not a string. */
const windowStart = fc.oneof(
  fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2026-01-07T10:00:00.000Z', '2026-13-45T99:99:99Z', 'yesterday', '', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z'),
  anything,
);
const features = fc.oneof(
  fc.record(Object.fromEntries(CLOUDTRAIL_FEATURES.map((f) => [f, fc.oneof(fc.nat(50), hugeNumber)]))),
  fc.dictionary(key, fc.oneof(hugeNumber, anything), { maxKeys: 8 }),
  anything,
);
const row = fc.oneof(
  fc.record(
    {
      entity: fc.oneof(weirdString, anything),
      windowStart,
      logType: fc.oneof(fc.constantFrom('AWS.CloudTrail', 'Okta.SystemLog', 'No.Such', ''), anything),
      features,
    },
    { requiredKeys: ['entity', 'windowStart', 'features'] },
  ),
  pollutedObject,
  anything,
);
const pantherEvent = fc.oneof(
  fc.record(
    {
      p_log_type: fc.oneof(fc.constantFrom('AWS.CloudTrail', 'Okta.SystemLog', 'No.Such', ''), anything),
      p_event_time: fc.oneof(fc.constantFrom('2026-01-07 10:01:02.000', '2026-01-07T10:01:02Z'), windowStart),
      eventName: fc.oneof(fc.constantFrom('ListBuckets', 'CreateAccessKey', 'ConsoleLogin'), anything),
      eventSource: fc.oneof(fc.constantFrom('iam.amazonaws.com', 's3.amazonaws.com'), anything),
      userIdentity: fc.oneof(fc.record({ arn: fc.oneof(weirdString, anything), type: anything }), anything),
      errorCode: anything,
      readOnly: anything,
      sourceIPAddress: anything,
      extra: pollutedObject,
    },
    { requiredKeys: ['p_log_type'] },
  ),
  pollutedObject,
  anything,
);

const jsonText = (value: unknown): string => JSON.stringify(value) ?? 'undefined';

/** Structured bodies: `rows` or `events` (or both, or neither) holding generated items. */
const structuredBody = fc
  .record({
    rows: fc.option(fc.array(row, { maxLength: 6 }), { nil: undefined }),
    events: fc.option(fc.array(pantherEvent, { maxLength: 6 }), { nil: undefined }),
    logType: fc.option(anything, { nil: undefined }),
    extra: fc.option(pollutedObject, { nil: undefined }),
  })
  .map(({ extra, ...rest }) => jsonText({ ...rest, ...(extra ?? {}) }));

/** Raw JSON text the serializer would never write: duplicate keys, a literal `__proto__`, numbers past double range. */
const rawTextBody = fc.oneof(
  fc.tuple(structuredBody, structuredBody).map(([a, b]) => `{"rows":${a},"rows":${b}}`),
  fc.tuple(structuredBody, anything).map(([a, b]) => `{"events":${a},"rows":${jsonText(b)},"events":[]}`),
  fc.constantFrom(
    '{"__proto__":{"polluted":true},"rows":[{"entity":"a","windowStart":"2026-01-07T10:00:00Z","features":{"events":1}}]}',
    '{"rows":[{"entity":"a","windowStart":"2026-01-07T10:00:00Z","logType":"AWS.CloudTrail","features":{"__proto__":{"polluted":true},"events":1}}]}',
    '{"events":[{"p_log_type":"AWS.CloudTrail","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}]}',
    '{"rows":[{"entity":"a","windowStart":"2026-01-07T10:00:00Z","logType":"AWS.CloudTrail","features":{"events":1e400}}]}',
    '{"rows":[{"entity":"a","windowStart":"2026-01-07T10:00:00Z","logType":"AWS.CloudTrail","features":{"events":-1e400}}]}',
    '{"rows":[{"entity":"a","windowStart":"2026-01-07T10:00:00Z","logType":"AWS.CloudTrail","features":{"events":123456789012345678901234567890}}]}',
    '{"rows":[]}',
    '{"events":[]}',
    '{}',
    '[]',
    'null',
    '""',
    '',
    '\uFEFF{"rows":[]}',
  ),
  fc.nat({ max: 20_000 }).map((n) => `{"events":[${'['.repeat(n)}${']'.repeat(n)}]}`),
  fc.nat({ max: 5_000 }).map((n) => `{"events":[{"p_log_type":"AWS.CloudTrail","userIdentity":${'{"arn":'.repeat(n)}"x"${'}'.repeat(n)}}]}`),
  fc.nat({ max: 20_000 }).map((n) => '['.repeat(n)),
);

/** A body cut short anywhere. */
const truncatedBody = fc.tuple(structuredBody, fc.double({ min: 0, max: 1, noNaN: true })).map(([text, at]) => text.slice(0, Math.floor(text.length * at)));

const contentType = fc.oneof(
  fc.constant('application/json'),
  fc.constantFrom(
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/vnd.api+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    '',
    ';',
    'application/json\u0000',
  ),
  weirdString,
  fc.constant(undefined),
);

const anyBody: fc.Arbitrary<Body> = fc.oneof(
  fc.record({ text: structuredBody }),
  fc.record({ text: rawTextBody }),
  fc.record({ text: truncatedBody }),
  fc.record({ text: fc.oneof(structuredBody, rawTextBody), contentType }),
  fc.record({ text: fc.oneof(structuredBody, truncatedBody), base64: fc.constant(true) }),
  // Text that is not base64 at all, sent as if it were.
  fc.record({ text: weirdString, notBase64: fc.constant(true) }),
  fc.record({ text: fc.oneof(fc.constant(null), weirdString) }),
);

/** A request Lambda would get, with the body encoded the way the case asks. */
function eventOf(body: Body) {
  const type = 'contentType' in body ? body.contentType : 'application/json';
  const event = detectEvent(body.text, type, body.base64 === true);
  return body.notBase64 ? { ...event, isBase64Encoded: true } : event;
}

describe('fuzz: POST /detect through the detection app', function () {
  this.timeout(120_000);
  let dir: string;
  let app: DetectionApp;
  let store: ModelStore;
  let log: ReturnType<typeof capturedLogger>;
  const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();
  const tally = { bodies: 0, byStatus: new Map<number, number>() };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fuzz-detect-'));
    store = createModelStore(directoryObjects(dir), 'models/');
    await trainSmallModel(store);
    log = capturedLogger('info');
    app = createDetectionApp({ store, refreshSeconds: 3600, maxBodyBytes: MAX_BODY_BYTES, logger: log.logger });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    const statuses = [...tally.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
    const fivexx = [...tally.byStatus].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    process.stdout.write(`      fuzzed /detect bodies: ${tally.bodies}, 5xx: ${fivexx} (${statuses})\n`);
  });

  const roomyApp = () => createDetectionApp({ store, refreshSeconds: 3600, maxBodyBytes: 1_048_576 });

  /** Sends one body and checks the response contract; returns the parsed response body. */
  async function check(body: Body, target: DetectionApp = app): Promise<Record<string, unknown>> {
    const res = await target.handle(eventOf(body));
    tally.bodies++;
    tally.byStatus.set(res.statusCode, (tally.byStatus.get(res.statusCode) ?? 0) + 1);
    assert.ok(res.statusCode < 500, `status ${res.statusCode}: ${res.body.slice(0, 300)}`);
    const json = JSON.parse(res.body) as Record<string, unknown>;
    assert.match(res.headers?.['content-type'] as string, /^application\/json/);
    if (res.statusCode >= 400) {
      assert.ok([400, 413, 415].includes(res.statusCode), `unexpected ${res.statusCode}: ${res.body.slice(0, 300)}`);
      assert.equal(typeof json.error, 'string');
      assert.ok(typeof json.message === 'string' && json.message.length > 0, res.body.slice(0, 300));
      assert.equal(typeof json.field, 'string', `a 4xx names the field: ${res.body.slice(0, 300)}`);
    } else {
      assert.equal(res.statusCode, 200);
      assert.ok(Array.isArray(json.results));
    }
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeNames);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
    return json;
  }

  it('answers 5,000 generated bodies with no 5xx, a named 4xx for bad ones, and bounded memory', async () => {
    // Prepare
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    // Act + Assess
    await fc.assert(fc.asyncProperty(anyBody, async (body) => void (await check(body))), { seed: 20261204, numRuns: 5_000 });
    // Generous: the model and the captured log lines stay alive; a leak per request would be far more.
    collectGarbage();
    const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    assert.ok(grownMb < 64, `heap grew by ${grownMb.toFixed(0)} MB over 5,000 requests`);
  });

  it('answers 400 naming the field for arrays past the item limit, and 413 past the size limit', async () => {
    // Prepare: the Lambda's default size limit, which holds MAX_ITEMS + 1 small events.
    const roomy = roomyApp();
    const event = { logType: 'AWS.CloudTrail' };
    // Act + Assess
    const over = await check({ text: JSON.stringify({ events: new Array(MAX_ITEMS + 1).fill(event) }) }, roomy);
    assert.equal(over.error, 'BadRequest');
    assert.equal(over.field, 'events');
    // At the limit the events are taken, and all of them are reported skipped for want of a time.
    const atLimit = await check({ text: JSON.stringify({ events: new Array(MAX_ITEMS).fill(event) }) }, roomy);
    assert.deepEqual(atLimit.results, []);
    assert.equal((atLimit.skipped as { noTime: number }).noTime, MAX_ITEMS);
    const big = await check({ text: JSON.stringify({ events: [{ p_log_type: 'AWS.CloudTrail', blob: 'y'.repeat(MAX_BODY_BYTES) }] }) });
    assert.equal(big.error, 'PayloadTooLarge');
    assert.equal(big.field, 'body');
    const big64 = await check({ text: 'z'.repeat(MAX_BODY_BYTES + 1), base64: true });
    assert.equal(big64.error, 'PayloadTooLarge', 'the limit applies to the decoded bytes');
  });

  it('skips an event whose epoch time is past the range of a Date, instead of failing the request', async () => {
    const event = { p_log_type: 'AWS.CloudTrail', p_event_time: 8.64e15 + 3_600_000, userIdentity: { arn: 'a' } };
    const body = await check({ text: JSON.stringify({ events: [event] }) });
    assert.deepEqual(body.results, []);
    assert.equal((body.skipped as { noTime: number }).noTime, 1);
  });

  it('scores a batch of real simulated events', async () => {
    const events = smallSimulation().events.slice(0, 500);
    const body = await check({ text: JSON.stringify({ events }) }, roomyApp());
    assert.ok((body.results as unknown[]).length > 0);
  });

  it('keeps every request log line short: sizes and outcomes, not the body', () => {
    assert.ok(log.lines.length >= 5_000);
    const longest = Math.max(...log.lines.map((l) => l.length));
    assert.ok(longest < 4_096, `longest request log line is ${longest} characters`);
  });
});
