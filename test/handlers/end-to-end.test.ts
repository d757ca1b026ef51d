// End to end with real protocol servers: simulator events in a DuckDB data lake behind the loopback Panther,
// the training job through the Panther client into S3 (s3rver), and the detection Lambda handler reading it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { entityReader, eventTimeReader, logTypeOf } from '../../handlers/engine/aggregate';
import { simulate, type Simulation } from '../../handlers/engine/simulator';
import { DEFAULT_SPECS } from '../../handlers/engine/spec';
import { trainModel } from '../../handlers/engine/train';
import type { PantherEvent } from '../../handlers/engine/types';
import { createPantherClient } from '../../handlers/panther/client';
import { staticToken } from '../../handlers/panther/token';
import { pantherSource } from '../../handlers/runtime/feature-source';
import { runTrainingJob, type TrainingJobInput } from '../../handlers/runtime/training-job';
import { createModelStore, type ModelStore } from '../../handlers/store/model-store';
import { s3Objects } from '../../handlers/store/s3';
import { createDuckLake, type DuckLake } from '../support/duckdb-lake';
import { LoopbackPanther } from '../support/panther-server';
import { loopbackAwsEnvironment, startLoopbackS3, type LoopbackS3 } from '../support/s3rver';

const TOKEN = 'e2e-panther-token';
const TRAIN_START = new Date('2026-01-05T00:00:00Z');
const TRAIN_END = new Date('2026-01-23T00:00:00Z');
const HOUR = 3_600_000;
/** CloudTrail scenarios with a clear signature, most distinctive first, and the features it shows in. */
const SIGNATURES: Record<string, string[]> = {
  iam_privilege_escalation: ['iam_changes', 'access_key_creations'],
  secrets_harvesting: ['secret_reads', 'kms_decrypts'],
  logging_tampering: ['logging_tampering'],
  s3_mass_download: ['s3_object_reads'],
  console_brute_force: ['console_login_failures', 'console_logins'],
};

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** One principal's CloudTrail events grouped by hour (window start ISO text), as Panther would return them. */
function hoursOf(sim: Simulation, entity: string): Map<string, PantherEvent[]> {
  const spec = DEFAULT_SPECS.find((s) => s.logType === 'AWS.CloudTrail')!;
  const who = entityReader(spec);
  const time = eventTimeReader(spec);
  const hours = new Map<string, PantherEvent[]>();
  for (const e of sim.events) {
    if (logTypeOf(e) !== spec.logType || who(e) !== entity) continue;
    const key = new Date(Math.floor(time(e) / HOUR) * HOUR).toISOString();
    hours.set(key, [...(hours.get(key) ?? []), e]);
  }
  return hours;
}

describe('end to end: loopback Panther -> training -> S3 -> detection handler', function () {
  this.timeout(120_000);
  let sim: Simulation;
  let lake: DuckLake;
  let panther: LoopbackPanther;
  let s3: LoopbackS3;
  let store: ModelStore;
  let detection: Handler;
  let job: Omit<TrainingJobInput, 'trainer'>;
  const saved = { ...process.env };

  const request = (events: PantherEvent[]): APIGatewayProxyEvent => {
    const base = JSON.parse(
      readFileSync(join(__dirname, '..', 'fixtures', 'apigw', 'detect-rows.json'), 'utf8'),
    ) as APIGatewayProxyEvent;
    return { ...base, body: JSON.stringify({ events }) };
  };
  const health = async () => {
    const base = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'apigw', 'health-get.json'), 'utf8'));
    return JSON.parse((await detection(base)).body) as { status: string; modelVersion: string };
  };

  before(async () => {
    // Prepare: 21 days of traffic; Panther alerts fired on every attack in the training window except the S3
    // mass downloads, and nothing after it.
    sim = simulate({ days: 21, principals: 30, seed: 5, attackRate: 0.008 });
    const alerted = sim.labels.filter((l) => l.windowStart < TRAIN_END.toISOString() && l.scenario !== 's3_mass_download');
    lake = await createDuckLake(sim.events, { alerted });
    panther = new LoopbackPanther(lake.run, TOKEN);
    const url = await panther.start();
    s3 = await startLoopbackS3('anomaly-models');
    store = createModelStore(s3Objects(s3.client, s3.bucket), 'models/');
    const client = createPantherClient({ url, token: staticToken(TOKEN), sleep: async () => undefined });
    job = {
      specs: DEFAULT_SPECS,
      start: TRAIN_START,
      end: TRAIN_END,
      // The lake is DuckDB, so the client is asked for the duckdb dialect of the same compiled queries.
      source: pantherSource(client, { dialect: 'duckdb', chunkDays: 7 }),
      store,
    };
    // The detection Lambda module reads its environment and builds its S3 client at load time.
    Object.assign(process.env, {
      MODEL_BUCKET: s3.bucket,
      MODEL_PREFIX: 'models/',
      MODEL_REFRESH_SECONDS: '0',
      LOG_LEVEL: 'error',
      ...loopbackAwsEnvironment(s3.endpoint),
    });
    const modulePath = require.resolve('../../handlers/detection');
    delete require.cache[modulePath];
    detection = (require(modulePath) as { handler: Handler }).handler;
  });

  after(async () => {
    process.env = saved;
    await panther?.stop();
    await s3?.stop();
    await lake?.close();
  });

  let first: string;

  it('trains through Panther in 7-day chunks, stores the version in S3 and promotes it', async () => {
    // Act
    const summary = await runTrainingJob(job);
    // Assess
    assert.equal(summary.status, 'promoted');
    first = summary.version!;
    assert.deepEqual(await store.listVersions(), [first]);
    assert.equal((await store.readPointer())?.version, first);
    assert.ok(await store.readFile(first, 'metrics.json'));
    // 18 days = chunks of 7 + 7 + 4 days, for features and for alert labels, for each of the two log types.
    const executes = panther.callsOf('ExecuteDataLakeQuery');
    assert.equal(executes.length, 12);
    const databases = executes.map((c) => (c.variables.input as { databaseName: string }).databaseName);
    assert.equal(databases.filter((d) => d === 'panther_rule_matches').length, 6);
    assert.ok(panther.calls.every((c) => c.apiKey === TOKEN));
    const cloudTrail = summary.logTypes['AWS.CloudTrail'];
    assert.ok(cloudTrail.trained && cloudTrail.windows > 1000, JSON.stringify(cloudTrail));
    assert.ok(cloudTrail.alertWindows > 0);
    assert.ok((cloudTrail.rocAuc ?? 0) >= 0.9, `held-out ROC-AUC ${cloudTrail.rocAuc}`);
  });

  it('the detection handler serves that version', async () => {
    const body = await health();
    assert.equal(body.status, 'ok');
    assert.equal(body.modelVersion, first);
  });

  it('flags a held-out attack with its signature features on top, and passes a normal hour', async () => {
    // Prepare: an attack after the training window, and the same principal's busiest unattacked hour.
    const heldOut = sim.labels.filter((l) => l.windowStart >= TRAIN_END.toISOString());
    const attack = Object.keys(SIGNATURES)
      .map((scenario) => heldOut.find((l) => l.scenario === scenario))
      .find((l) => l !== undefined);
    assert.ok(attack, 'the simulation holds a CloudTrail attack after the training window');
    const attacked = new Set(sim.labels.map((l) => `${l.entity} ${l.windowStart}`));
    const hours = hoursOf(sim, attack.entity);
    let normal = { windowStart: '', events: [] as PantherEvent[] };
    for (const [windowStart, events] of hours) {
      if (windowStart < TRAIN_END.toISOString() || attacked.has(`${attack.entity} ${windowStart}`)) continue;
      if (events.length > normal.events.length) normal = { windowStart, events };
    }
    assert.ok(normal.events.length >= 5, 'the principal has a working hour to compare with');
    // Act
    const res = await detection(request([...(hours.get(attack.windowStart) ?? []), ...normal.events]));
    // Assess
    assert.equal(res.statusCode, 200, res.body);
    const body = JSON.parse(res.body);
    assert.equal(body.modelVersion, first);
    const hit = body.results.find((r: { windowStart: string }) => r.windowStart === attack.windowStart);
    const calm = body.results.find((r: { windowStart: string }) => r.windowStart === normal.windowStart);
    assert.equal(hit.entity, attack.entity);
    assert.equal(hit.anomaly, true, `attack score ${hit.score} vs threshold ${body.threshold}`);
    const top = hit.topFeatures.map((f: { feature: string }) => f.feature);
    assert.ok(top.slice(0, 3).some((f: string) => SIGNATURES[attack.scenario].includes(f)), `${attack.scenario}: ${top}`);
    assert.equal(calm.anomaly, false, `normal score ${calm.score} vs threshold ${body.threshold}`);
    assert.ok(hit.score > calm.score);
  });

  let refused: string;

  it('the quality gate stores but refuses a worse model, and the pointer stays', async () => {
    // A trainer whose model ranks nothing (every weight zero): its held-out ROC-AUC is 0.5.
    const flat: typeof trainModel = (table, options) => {
      const result = trainModel(table, options);
      result.model.logistic.weights = result.model.logistic.weights.map(() => 0);
      return result;
    };
    const summary = await runTrainingJob({ ...job, trainer: flat });
    assert.equal(summary.status, 'stored');
    assert.equal(summary.gate.passed, false);
    assert.match(summary.gate.reasons.join('\n'), /AWS.CloudTrail: held-out ROC-AUC 0.500 is below the current model's/);
    refused = summary.version!;
    assert.deepEqual(await store.listVersions(), [first, refused].sort());
    assert.equal((await store.readPointer())?.version, first);
    assert.equal((await health()).modelVersion, first);
  });

  it('a good retrain is promoted, and rollback restores the previous version', async () => {
    const summary = await runTrainingJob(job);
    assert.equal(summary.status, 'promoted');
    assert.equal(summary.previousVersion, first);
    assert.equal((await health()).modelVersion, summary.version);
    const pointer = await store.rollback();
    assert.equal(pointer.version, first);
    assert.equal((await health()).modelVersion, first);
    assert.equal((await store.listVersions()).length, 3);
  });
});
