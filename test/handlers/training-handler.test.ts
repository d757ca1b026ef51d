// The training Lambda module as deployed: configuration from the environment, the token from Secrets Manager
// (read again after Panther refuses it), specs from FEATURE_SPECS_KEY in the bucket, Snowflake SQL to Panther.
import assert from 'node:assert/strict';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import type { TrainingSummary } from '../../handlers/runtime/training-job';
import { LoopbackPanther } from '../support/panther-server';
import { LoopbackSecrets } from '../support/secrets-manager';
import { loopbackAwsEnvironment, startLoopbackS3, type LoopbackS3 } from '../support/s3rver';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:panther-token-AbCdEf';
const customSpecs = [
  {
    logType: 'AWS.CloudTrail',
    entity: ['userIdentity.arn'],
    windowMinutes: 60,
    features: [
      { name: 'events', kind: 'count' },
      { name: 'custom_ips', kind: 'distinct', field: 'sourceIPAddress' },
    ],
  },
];

describe('training Lambda handler', function () {
  this.timeout(30_000);
  let s3: LoopbackS3;
  let panther: LoopbackPanther;
  let secrets: LoopbackSecrets;
  const saved = { ...process.env };

  before(async () => {
    // Prepare: the secret still holds the old token on the first read and the rotated one after.
    secrets = new LoopbackSecrets(['old-token', '{"token":"rotated-token"}']);
    const secretsUrl = await secrets.start();
    // This Panther only answers with no rows: the data path is proven in the end-to-end test; here the wiring is.
    panther = new LoopbackPanther(async () => [], 'rotated-token');
    const pantherUrl = await panther.start();
    s3 = await startLoopbackS3('training-models');
    await s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: 'config/feature-specs.json',
        Body: Buffer.from(JSON.stringify(customSpecs)),
      }),
    );
    Object.assign(process.env, {
      MODEL_BUCKET: s3.bucket,
      MODEL_PREFIX: 'models/',
      LOG_LEVEL: 'error',
      PANTHER_API_URL: pantherUrl,
      PANTHER_TOKEN_SECRET_ARN: SECRET_ARN,
      TRAINING_LOOKBACK_DAYS: '10',
      FEATURE_SPECS_KEY: 'config/feature-specs.json',
      ...loopbackAwsEnvironment(s3.endpoint),
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl,
    });
  });

  after(async () => {
    process.env = saved;
    await panther.stop();
    await secrets.stop();
    await s3.stop();
  });

  it('runs a scheduled invocation with the rotated token and the specs from the bucket', async () => {
    const modulePath = require.resolve('../../handlers/training');
    delete require.cache[modulePath];
    const { handler } = require(modulePath) as { handler: (e: unknown, c?: Context) => Promise<TrainingSummary> };
    const context = { getRemainingTimeInMillis: () => 900_000, awsRequestId: 'req-1' } as unknown as Context;

    // Act
    const summary = await handler(
      { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2026-02-10T03:00:00Z', detail: {} },
      context,
    );

    // Assess: the secret was read twice (the first token was refused), every later call carried the new one.
    assert.deepEqual(secrets.reads, [SECRET_ARN, SECRET_ARN]);
    assert.equal(panther.calls[0].apiKey, 'old-token');
    assert.ok(panther.calls.slice(1).every((c) => c.apiKey === 'rotated-token'));
    // 10 days = 7 + 3: two feature queries and two label queries, for the one custom spec only.
    const executes = panther
      .callsOf('ExecuteDataLakeQuery')
      .filter((c) => c.apiKey === 'rotated-token')
      .map((c) => c.variables.input as { sql: string; databaseName: string });
    assert.equal(executes.length, 4);
    const features = executes.filter((e) => e.databaseName === 'panther_logs');
    assert.equal(features.length, 2);
    assert.match(features[0].sql, /FROM panther_logs\.public\.aws_cloudtrail/);
    assert.match(features[0].sql, /AS "custom_ips"/);
    assert.match(features[0].sql, /time_slice\(p_event_time, 60, 'MINUTE'\)/);
    assert.match(features[0].sql, /p_event_time >= '2026-01-31 00:00:00.000'::timestamp_ntz/);
    assert.ok(executes.filter((e) => e.databaseName === 'panther_rule_matches').every((e) => /panther_rule_matches\.public\.aws_cloudtrail/.test(e.sql)));
    // No rows: no model, nothing promoted, and the summary says why.
    assert.equal(summary.status, 'no-data');
    assert.equal(summary.currentVersion, null);
    assert.deepEqual(summary.window, { start: '2026-01-31T00:00:00.000Z', end: '2026-02-10T00:00:00.000Z' });
    assert.match(summary.logTypes['AWS.CloudTrail'].reason ?? '', /0 windows, fewer than the 200/);
  });
});
