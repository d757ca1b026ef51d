// The runtime's small pure parts: environment config, log redaction, training requests, window chunks, labels.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, detectionConfig, trainingConfig } from '../../handlers/runtime/config';
import { chunkWindow } from '../../handlers/runtime/feature-source';
import { createLogger, redact } from '../../handlers/runtime/logger';
import { TrainingRequestError, trainingRequest } from '../../handlers/runtime/training-event';
import { applyAlertLabels, runTrainingJob, trainingWindow } from '../../handlers/runtime/training-job';
import { directoryObjects } from '../../handlers/store/directory';
import { createModelStore } from '../../handlers/store/model-store';
import { quietRows } from '../support/models';

const day = (iso: string) => new Date(`${iso}T00:00:00.000Z`);

describe('runtime configuration', () => {
  it('applies the contract defaults and freezes the result', () => {
    const config = detectionConfig({ MODEL_BUCKET: 'models-bucket' });
    assert.deepEqual(
      { ...config },
      { MODEL_BUCKET: 'models-bucket', MODEL_PREFIX: 'models/', LOG_LEVEL: 'info', MODEL_REFRESH_SECONDS: 60, MAX_BODY_BYTES: 1_048_576 },
    );
    assert.ok(Object.isFrozen(config));
  });

  it('reads numbers from strings and treats empty values as unset', () => {
    const config = detectionConfig({ MODEL_BUCKET: 'b', MODEL_REFRESH_SECONDS: '5', MAX_BODY_BYTES: '', LOG_LEVEL: 'DEBUG' });
    assert.equal(config.MODEL_REFRESH_SECONDS, 5);
    assert.equal(config.MAX_BODY_BYTES, 1_048_576);
    assert.equal(config.LOG_LEVEL, 'debug');
  });

  it('names each bad setting', () => {
    assert.throws(() => detectionConfig({}), (err: unknown) => err instanceof ConfigError && /MODEL_BUCKET is required/.test(err.message));
    assert.throws(() => detectionConfig({ MODEL_BUCKET: 'b', MODEL_PREFIX: 'models' }), /MODEL_PREFIX must be empty or end with "\/"/);
    assert.throws(() => detectionConfig({ MODEL_BUCKET: 'b', MAX_BODY_BYTES: '-1' }), /MAX_BODY_BYTES/);
    assert.throws(() => detectionConfig({ MODEL_BUCKET: 'b', LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
    assert.throws(
      () => trainingConfig({ MODEL_BUCKET: 'b', PANTHER_API_URL: 'not a url', PANTHER_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:x' }),
      /PANTHER_API_URL must be the full GraphQL URL/,
    );
    assert.throws(
      () => trainingConfig({ MODEL_BUCKET: 'b', PANTHER_API_URL: 'https://api.example.test/public/graphql', PANTHER_TOKEN_SECRET_ARN: 'token' }),
      /PANTHER_TOKEN_SECRET_ARN must be the ARN/,
    );
  });

  it('parses the training settings with a 30-day default look-back', () => {
    const config = trainingConfig({
      MODEL_BUCKET: 'b',
      PANTHER_API_URL: 'https://api.example.test/public/graphql',
      PANTHER_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:panther',
      FEATURE_SPECS_KEY: 'config/feature-specs.json',
    });
    assert.equal(config.TRAINING_LOOKBACK_DAYS, 30);
    assert.equal(config.FEATURE_SPECS_KEY, 'config/feature-specs.json');
  });
});

describe('structured logger', () => {
  it('writes one JSON object per line with time, level, message and fields, above the level only', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', base: { fn: 'detection' }, write: (l) => lines.push(l), now: () => new Date(0) });
    log.debug('hidden');
    log.child({ requestId: 'r1' }).warn('slow', { ms: 12 });
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0]), {
      time: '1970-01-01T00:00:00.000Z',
      level: 'warn',
      message: 'slow',
      fn: 'detection',
      requestId: 'r1',
      ms: 12,
    });
  });

  it('drops secret-named keys at any depth and reduces errors to name, message and cause', () => {
    const cause = new Error('inner');
    const out = redact({ token: 't', nested: { 'X-API-Key': 'k', list: [{ password: 'p', ok: 1 }] }, error: new Error('outer', { cause }) });
    assert.deepEqual(out, {
      token: '[redacted]',
      nested: { 'X-API-Key': '[redacted]', list: [{ password: '[redacted]', ok: 1 }] },
      error: { name: 'Error', message: 'outer', cause: { name: 'Error', message: 'inner' } },
    });
  });
});

describe('training requests', () => {
  const now = new Date('2026-02-10T13:45:00Z');

  it('trains a scheduled event on the complete days before the event', () => {
    const w = trainingRequest({ source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2026-02-09T02:00:00Z' }, now, 30);
    assert.deepEqual(w, { start: day('2026-01-10'), end: day('2026-02-09') });
  });

  it('takes a manual look-back, or explicit bounds, and refuses nonsense', () => {
    assert.deepEqual(trainingRequest({}, now, 30), { start: day('2026-01-11'), end: day('2026-02-10') });
    assert.deepEqual(trainingRequest({ lookbackDays: 7 }, now, 30), { start: day('2026-02-03'), end: day('2026-02-10') });
    assert.deepEqual(trainingRequest({ start: '2026-01-01T00:00:00Z', end: '2026-01-15T00:00:00Z' }, now, 30), {
      start: day('2026-01-01'),
      end: day('2026-01-15'),
    });
    assert.throws(() => trainingRequest({ lookbackDays: 0 }, now, 30), TrainingRequestError);
    assert.throws(() => trainingRequest({ days: 3 }, now, 30), /Unrecognized key/);
    assert.throws(() => trainingRequest({ start: '2026-01-15T00:00:00Z', end: '2026-01-01T00:00:00Z' }, now, 30), /start must be before end/);
  });

  it('ends the training window at the last UTC midnight', () => {
    assert.deepEqual(trainingWindow(new Date('2026-03-01T00:00:00Z'), 1), { start: day('2026-02-28'), end: day('2026-03-01') });
  });
});

describe('training chunks and labels', () => {
  it('cuts a window into day chunks with a shorter last one', () => {
    const chunks = chunkWindow(day('2026-01-01'), day('2026-01-19'), 7);
    assert.deepEqual(
      chunks.map((c) => [c.start.toISOString().slice(0, 10), c.end.toISOString().slice(0, 10)]),
      [
        ['2026-01-01', '2026-01-08'],
        ['2026-01-08', '2026-01-15'],
        ['2026-01-15', '2026-01-19'],
      ],
    );
    assert.deepEqual(chunkWindow(day('2026-01-01'), day('2026-01-01'), 7), []);
    assert.equal(chunkWindow(day('2026-01-01'), day('2026-01-03'), 0).length, 2);
  });

  it('labels the rows whose entity and window drew an alert, leaves the rest unlabeled', () => {
    const rows = [
      { entity: 'a', windowStart: '2026-01-01T10:00:00.000Z', features: { events: 1 } },
      { entity: 'a', windowStart: '2026-01-01T11:00:00.000Z', features: { events: 2 } },
      { entity: 'b', windowStart: '2026-01-01T10:00:00.000Z', features: { events: 3 } },
    ];
    const out = applyAlertLabels(rows, [
      { entity: 'a', windowStart: '2026-01-01T11:00:00.000Z', alerts: 2 },
      { entity: 'b', windowStart: '2026-01-01T10:00:00.000Z', alerts: 0 },
    ]);
    assert.deepEqual(
      out.map((r) => [r.label, r.scenario]),
      [
        [undefined, undefined],
        [1, 'panther-alert'],
        [undefined, undefined],
      ],
    );
    assert.equal(rows[1].hasOwnProperty('label'), false);
  });
});

describe('quality gate on coverage', () => {
  it('stores but does not promote a run that lost a log type the current model covers', async () => {
    // Prepare: two log types of quiet rows, then a run where one of them brings too few windows.
    const specs = ['Test.A', 'Test.B'].map((logType) => ({
      logType,
      entity: ['user'],
      windowMinutes: 60,
      features: [
        { name: 'events', kind: 'count' as const },
        { name: 'distinct_ips', kind: 'count' as const },
        { name: 'errors', kind: 'count' as const },
      ],
    }));
    const dir = await mkdtemp(join(tmpdir(), 'gate-'));
    try {
      const store = createModelStore(directoryObjects(dir));
      let bOutage = false;
      const source = {
        featureRows: async (spec: { logType: string }) => (spec.logType === 'Test.B' && bOutage ? [] : quietRows()),
        alertWindows: async () => [],
      };
      const job = { specs, start: day('2026-01-17'), end: day('2026-01-20'), source, store };
      // Act
      const first = await runTrainingJob(job);
      bOutage = true;
      const second = await runTrainingJob(job);
      // Assess
      assert.equal(first.status, 'promoted');
      assert.equal(second.status, 'stored');
      assert.match(second.gate.reasons.join('\n'), /Test.B: the current model covers it and this run did not train it/);
      assert.equal((await store.readPointer())?.version, first.version);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
