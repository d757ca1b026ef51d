// The Panther token and request bodies stay out of what the service writes. A distinctive token goes through a
// loopback Secrets Manager, the training Lambda, the Panther client, the training job and S3, then detection;
// every log line (debug level), every error message and every stored object is searched for it afterwards.
import assert from 'node:assert/strict';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { renderReport } from '../../handlers/engine/report';
import { DEFAULT_SPECS } from '../../handlers/engine/spec';
import { createPantherClient } from '../../handlers/panther/client';
import { staticToken } from '../../handlers/panther/token';
import { pantherSource } from '../../handlers/runtime/feature-source';
import { runTrainingJob, type TrainingSummary } from '../../handlers/runtime/training-job';
import { createModelStore, type ObjectStore } from '../../handlers/store/model-store';
import { s3Objects } from '../../handlers/store/s3';
import { createDuckLake, type DuckLake } from '../support/duckdb-lake';
import { LoopbackPanther } from '../support/panther-server';
import { LoopbackSecrets } from '../support/secrets-manager';
import { loopbackAwsEnvironment, startLoopbackS3, type LoopbackS3 } from '../support/s3rver';
import { SIM_END, SIM_START, SMALL_GATE, capturedLogger, detectEvent, eventsBody, smallSimulation } from './setup';

/** Distinctive enough that any appearance, whole or in part, is this token and nothing else. */
const TOKEN = 'pnthr-TOKEN-7c41e9d05fa8b2c63e1d';
const TOKEN_PARTS = [TOKEN, TOKEN.slice(6, 22), Buffer.from(TOKEN).toString('base64')];
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:panther-token-Xy12Zq';

type LambdaHandler<E, R> = (event: E, context?: Context) => Promise<R>;

/** Everything an error carries that someone might read: name, message and stack, down the cause chain. */
function errorText(err: unknown, depth = 0): string {
  if (!(err instanceof Error) || depth > 5) return String(err);
  return [err.name, err.message, err.stack ?? '', err.cause === undefined ? '' : errorText(err.cause, depth + 1)].join('\n');
}

function assertNoToken(where: string, text: string): void {
  for (const part of TOKEN_PARTS) assert.ok(!text.includes(part), `${where} contains the Panther token (${part})`);
}

/** Loads a Lambda module afresh, so it reads the environment set for this test. */
function freshHandler<E, R>(path: string): LambdaHandler<E, R> {
  const resolved = require.resolve(path);
  delete require.cache[resolved];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(resolved) as { handler: LambdaHandler<E, R> }).handler;
}

describe('secrets and logs', function () {
  this.timeout(60_000);
  let s3: LoopbackS3;
  let objects: ObjectStore;
  let lake: DuckLake;
  let panther: LoopbackPanther;
  let pantherUrl: string;
  let secrets: LoopbackSecrets;
  const saved = { ...process.env };
  /** Every line the modules wrote to stdout, and every line of the captured loggers. */
  const logLines: string[] = [];
  const errors: unknown[] = [];
  const responses: string[] = [];

  /** Runs `fn` with process.stdout captured into logLines (the Lambda modules log there). */
  async function capturingStdout<T>(fn: () => Promise<T>): Promise<T> {
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    }) as typeof process.stdout.write;
    try {
      return await fn();
    } finally {
      process.stdout.write = write;
    }
  }

  before(async () => {
    s3 = await startLoopbackS3('secrets-models');
    objects = s3Objects(s3.client, s3.bucket);
    lake = await createDuckLake(smallSimulation().events);
    panther = new LoopbackPanther(lake.run, TOKEN);
    pantherUrl = await panther.start();
    // The secret is stored as JSON the first time it is read, as many teams store it.
    secrets = new LoopbackSecrets([JSON.stringify({ token: TOKEN })]);
    const secretsUrl = await secrets.start();
    Object.assign(process.env, {
      MODEL_BUCKET: s3.bucket,
      MODEL_PREFIX: 'models/',
      MODEL_REFRESH_SECONDS: '0',
      LOG_LEVEL: 'debug',
      PANTHER_API_URL: pantherUrl,
      PANTHER_TOKEN_SECRET_ARN: SECRET_ARN,
      TRAINING_LOOKBACK_DAYS: '4',
      ...loopbackAwsEnvironment(s3.endpoint),
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl,
    });
  });
  after(async () => {
    process.env = saved;
    await panther?.stop();
    await secrets?.stop();
    await lake?.close();
    await s3?.stop();
  });

  it('trains through Panther with the token into S3, at debug level, and the training Lambda runs and fails with it', async () => {
    // Act 1: the training job through the Panther client, into S3, with a report.
    const log = capturedLogger('debug');
    const client = createPantherClient({ url: pantherUrl, token: staticToken(TOKEN), sleep: async () => undefined });
    const summary = await runTrainingJob({
      specs: DEFAULT_SPECS,
      start: SIM_START,
      end: SIM_END,
      source: pantherSource(client, { dialect: 'duckdb', logger: log.logger }),
      store: createModelStore(objects, 'models/'),
      logger: log.logger,
      gate: SMALL_GATE,
      renderReport,
    });
    assert.equal(summary.status, 'promoted');
    assert.ok(panther.calls.every((c) => c.apiKey === TOKEN), 'Panther got the token');

    // Act 2: the training Lambda, token from Secrets Manager; its Snowflake SQL fails on the DuckDB lake, so the
    // run ends with a Panther error, and then a refused token ends another with an auth error.
    const training = freshHandler<unknown, TrainingSummary>('../../handlers/training');
    const context = { getRemainingTimeInMillis: () => 900_000, awsRequestId: 'req-secrets' } as unknown as Context;
    panther.behaviour = { pollsBeforeDone: 0 };
    await capturingStdout(async () => {
      errors.push(await training({ lookbackDays: 1, end: '2026-01-08T00:00:00Z' }, context).then(() => assert.fail('the Snowflake SQL cannot run on DuckDB'), (e: unknown) => e));
      panther.tokens.clear();
      errors.push(await training({ lookbackDays: 1, end: '2026-01-08T00:00:00Z' }, context).then(() => assert.fail('the token is refused'), (e: unknown) => e));
    });
    assert.match(errorText(errors[0]), /PantherQueryFailedError/);
    assert.match(errorText(errors[1]), /PantherAuthError/);
    assert.ok(secrets.reads.length >= 2, 'the refused token was read again');
    logLines.push(...log.lines);
    assert.ok(logLines.some((l) => l.includes('"message":"training failed"')), 'the failures were logged');
  });

  it('serves detection with bodies that carry large distinctive strings, logging sizes but not the bodies', async () => {
    const detection = freshHandler<APIGatewayProxyEvent, APIGatewayProxyResult>('../../handlers/detection');
    const marker = `BODY-MARKER-${'q7'.repeat(4_000)}`;
    const events = JSON.parse(eventsBody()).events as Record<string, unknown>[];
    const bodies = [
      // A valid request whose events carry the marker in a field no feature reads.
      JSON.stringify({ events: events.map((e) => ({ ...e, requestParameters: { note: marker } })) }),
      // Invalid ones: the marker as a value of the wrong type, and as an unknown key.
      JSON.stringify({ rows: [{ entity: 'a', windowStart: '2026-01-07T10:00:00Z', logType: 'AWS.CloudTrail', features: { events: marker } }] }),
      JSON.stringify({ rows: [{ entity: 'a', windowStart: marker, features: {} }] }),
      JSON.stringify({ rows: [], [marker]: 1 }),
      `{"events": [${JSON.stringify(marker)}`,
    ];
    await capturingStdout(async () => {
      for (const body of bodies) responses.push(JSON.stringify(await detection(detectEvent(body))));
    });
    const statuses = responses.map((r) => (JSON.parse(r) as APIGatewayProxyResult).statusCode);
    assert.deepEqual(statuses, [200, 400, 400, 400, 400]);
    const requestLines = logLines.filter((l) => l.includes('"message":"request"'));
    assert.equal(requestLines.length, bodies.length);
    for (const line of logLines) {
      assert.ok(!line.includes(marker), 'a log line holds a whole request body string');
      assert.ok(line.length < 4_096, `a log line of ${line.length} characters`);
    }
    // Values are never quoted at all; a key may be named in a message, cut to its first 1,000 characters.
    const quoted = logLines.filter((l) => l.includes('BODY-MARKER-'));
    assert.ok(quoted.length <= 1, quoted.join('\n').slice(0, 500));
  });

  it('the token appears in no log line, error, stored object or response', async () => {
    // Prepare: every kind of line the run writes was captured.
    const messages = new Set(logLines.map((l) => (JSON.parse(l) as { message: string }).message));
    for (const m of ['feature query done', 'training finished', 'training failed', 'model loaded', 'request']) {
      assert.ok(messages.has(m), `no "${m}" line among ${[...messages].join(', ')}`);
    }
    for (const line of logLines) assertNoToken('a log line', line);
    for (const err of errors) assertNoToken('an error', errorText(err));
    for (const response of responses) assertNoToken('a detection response', response);
    const keys = await objects.list('');
    assert.ok(keys.some((k) => k.endsWith('/model.json')) && keys.some((k) => k.endsWith('/report.html')) && keys.some((k) => k.endsWith('/metrics.json')), keys.join(', '));
    for (const key of keys) assertNoToken(`s3://${s3.bucket}/${key}`, (await objects.get(key)) ?? '');
  });
});
