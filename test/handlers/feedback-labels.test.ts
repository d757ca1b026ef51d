// Analyst feedback as training labels: verdicts floored to their window, the latest one deciding, overriding
// Panther alerts; and the training job handing the merged labels to the trainer, with a folder feedback store.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainModel } from '../../handlers/engine/train';
import type { AlertWindow } from '../../handlers/engine/sql';
import type { FeatureRow, FeatureSpec, FeatureTable } from '../../handlers/engine/types';
import type { FeatureSource } from '../../handlers/runtime/feature-source';
import { createLogger } from '../../handlers/runtime/logger';
import { applyAlertLabels, applyFeedbackLabels, runTrainingJob, windowFloor } from '../../handlers/runtime/training-job';
import { directoryObjects } from '../../handlers/store/directory';
import { createFeedbackStore, type FeedbackRecord } from '../../handlers/store/feedback';
import { createModelStore, type ModelStore } from '../../handlers/store/model-store';
import { s3Objects } from '../../handlers/store/s3';
import { startLoopbackS3 } from '../support/s3rver';

const SPEC: FeatureSpec = {
  logType: 'Test.Log',
  entity: ['user'],
  windowMinutes: 60,
  features: [
    { name: 'events', kind: 'count' },
    { name: 'hosts', kind: 'distinct', field: 'host' },
  ],
};
const START = new Date('2026-01-05T00:00:00Z');
const END = new Date('2026-01-07T00:00:00Z');
const HOUR = 3_600_000;

/** Four users, 48 hourly windows each: 192 rows with small, varied counts. */
function rows(): FeatureRow[] {
  const out: FeatureRow[] = [];
  for (let u = 0; u < 4; u++) {
    for (let h = 0; h < 48; h++) {
      out.push({
        entity: `u${u}`,
        windowStart: new Date(START.getTime() + h * HOUR).toISOString(),
        logType: SPEC.logType,
        features: { events: 10 + ((u * 7 + h * 3) % 5), hosts: 1 + (h % 3) },
      });
    }
  }
  return out;
}

const ALERTS: AlertWindow[] = [
  { entity: 'u0', windowStart: '2026-01-05T05:00:00.000Z', alerts: 1 },
  { entity: 'u1', windowStart: '2026-01-05T10:00:00.000Z', alerts: 2 },
  { entity: 'u2', windowStart: '2026-01-06T03:00:00.000Z', alerts: 1 },
];

const verdict = (over: Partial<FeedbackRecord>): FeedbackRecord => ({
  logType: SPEC.logType,
  entity: 'u1',
  windowStart: '2026-01-05T10:00:00.000Z',
  label: 0,
  createdAt: '2026-01-08T09:00:00.000Z',
  ...over,
});

/** label and scenario of every labeled window, keyed `entity@windowStart`. */
function labeledOf(table: FeatureTable): Record<string, [number, string | undefined]> {
  const out: Record<string, [number, string | undefined]> = {};
  for (let i = 0; i < table.entities.length; i++) {
    if (table.labels[i] !== -1) out[`${table.entities[i]}@${new Date(table.windowStarts[i]).toISOString()}`] = [table.labels[i], table.scenarios[i]];
  }
  return out;
}

describe('window floor', () => {
  it('floors a time to the start of its window, from UTC midnight', () => {
    assert.equal(windowFloor('2026-01-05T13:47:12.345Z', 60), '2026-01-05T13:00:00.000Z');
    assert.equal(windowFloor('2026-01-05T13:47:12Z', 15), '2026-01-05T13:45:00.000Z');
    assert.equal(windowFloor('2026-01-05T13:45:00Z', 15), '2026-01-05T13:45:00.000Z');
    assert.equal(windowFloor('2026-01-05T23:59:59.999Z', 1440), '2026-01-05T00:00:00.000Z');
    // 00:30 at +02:00 is 22:30 the day before in UTC.
    assert.equal(windowFloor('2026-01-05T00:30:00+02:00', 60), '2026-01-04T22:00:00.000Z');
  });
});

describe('feedback labels', () => {
  const alerted = applyAlertLabels(rows(), ALERTS);
  const window = { start: START, end: END };
  const labelOf = (out: FeatureRow[], entity: string, at: string) => {
    const row = out.find((r) => r.entity === entity && r.windowStart === at);
    return row && [row.label, row.scenario];
  };

  it('a benign verdict clears an alert label and an attack verdict adds one', () => {
    // Act
    const { rows: out, counts } = applyFeedbackLabels(
      alerted,
      [verdict({ label: 0 }), verdict({ entity: 'u3', windowStart: '2026-01-05T20:59:59Z', label: 1, scenario: 'insider' })],
      SPEC,
      window,
    );
    // Assess
    assert.deepEqual(labelOf(out, 'u1', '2026-01-05T10:00:00.000Z'), [0, undefined]);
    assert.deepEqual(labelOf(out, 'u3', '2026-01-05T20:00:00.000Z'), [1, 'insider']);
    assert.deepEqual(labelOf(out, 'u0', '2026-01-05T05:00:00.000Z'), [1, 'panther-alert']);
    assert.deepEqual(counts, { attack: 1, benign: 1, clearedAlerts: 1, unmatched: 0 });
    assert.equal(out.filter((r) => r.label !== undefined).length, 4);
    // The input rows are left as they were.
    assert.deepEqual(labelOf(alerted, 'u1', '2026-01-05T10:00:00.000Z'), [1, 'panther-alert']);
  });

  it('the latest verdict on a window decides, whatever order the records come in', () => {
    const early = verdict({ label: 1, scenario: 'first-look', createdAt: '2026-01-08T09:00:00.000Z' });
    const late = verdict({ label: 0, windowStart: '2026-01-05T10:10:00Z', createdAt: '2026-01-08T11:00:00.000Z' });
    for (const order of [[early, late], [late, early]]) {
      const { rows: out, counts } = applyFeedbackLabels(alerted, order, SPEC, window);
      assert.deepEqual(labelOf(out, 'u1', '2026-01-05T10:00:00.000Z'), [0, undefined]);
      assert.deepEqual(counts, { attack: 0, benign: 1, clearedAlerts: 1, unmatched: 0 });
    }
  });

  it('an attack verdict on an alert window keeps it an attack, without a scenario says analyst-feedback', () => {
    const { rows: out, counts } = applyFeedbackLabels(alerted, [verdict({ entity: 'u2', windowStart: '2026-01-06T03:00:00Z', label: 1 })], SPEC, window);
    assert.deepEqual(labelOf(out, 'u2', '2026-01-06T03:00:00.000Z'), [1, 'analyst-feedback']);
    assert.deepEqual(counts, { attack: 1, benign: 0, clearedAlerts: 0, unmatched: 0 });
  });

  it('ignores other log types and windows outside training, and counts verdicts with no row', () => {
    const { rows: out, counts } = applyFeedbackLabels(
      alerted,
      [
        verdict({ logType: 'Other.Log' }),
        verdict({ windowStart: '2026-01-07T00:00:00Z', label: 1 }),
        verdict({ windowStart: '2026-01-04T23:59:59Z', label: 1 }),
        verdict({ entity: 'ghost', label: 1 }),
      ],
      SPEC,
      window,
    );
    assert.deepEqual(out, alerted);
    assert.deepEqual(counts, { attack: 0, benign: 0, clearedAlerts: 0, unmatched: 1 });
  });

  it('changes nothing without feedback or without rows', () => {
    assert.deepEqual(applyFeedbackLabels(alerted, [], SPEC, window), {
      rows: alerted,
      counts: { attack: 0, benign: 0, clearedAlerts: 0, unmatched: 0 },
    });
    assert.deepEqual(applyFeedbackLabels([], [verdict({})], SPEC, window), {
      rows: [],
      counts: { attack: 0, benign: 0, clearedAlerts: 0, unmatched: 1 },
    });
  });
});

describe('training job with analyst feedback', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedback-training-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const source: FeatureSource = {
    featureRows: async () => rows(),
    alertWindows: async () => ALERTS,
  };

  async function train(
    feedback?: { list: ReturnType<typeof createFeedbackStore>['list'] },
    store: ModelStore = createModelStore(directoryObjects(dir), ''),
  ) {
    const seen: FeatureTable[] = [];
    const lines: string[] = [];
    const summary = await runTrainingJob({
      specs: [SPEC],
      start: START,
      end: END,
      source,
      store,
      feedback,
      logger: createLogger({ level: 'info', write: (line) => lines.push(line) }),
      gate: { minWindows: 100, tolerance: 0.02 },
      trainer: (table, options) => {
        seen.push(table);
        return trainModel(table, options);
      },
    });
    assert.equal(seen.length, 1);
    return { summary, table: seen[0], logs: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('hands the trainer alert labels overridden by the stored verdicts', async () => {
    // Prepare: verdicts recorded through the store, beside a corrupt object an editor left behind.
    const feedback = createFeedbackStore(directoryObjects(dir), '');
    await feedback.add({ logType: SPEC.logType, entity: 'u1', windowStart: '2026-01-05T10:00:00Z', label: 1 }, new Date('2026-01-08T09:00:00Z'));
    await feedback.add({ logType: SPEC.logType, entity: 'u1', windowStart: '2026-01-05T10:35:00Z', label: 0, note: 'patching' }, new Date('2026-01-08T10:00:00Z'));
    await feedback.add({ logType: SPEC.logType, entity: 'u3', windowStart: '2026-01-05T20:59:59Z', label: 1, scenario: 'insider' }, new Date('2026-01-08T10:00:01Z'));
    await feedback.add({ logType: SPEC.logType, entity: 'ghost', windowStart: '2026-01-06T01:00:00Z', label: 1 }, new Date('2026-01-08T10:00:02Z'));
    await writeFile(join(dir, 'feedback', 'broken.json'), '{"logType": ');
    // Act
    const { summary, table, logs } = await train(feedback);
    // Assess
    assert.deepEqual(labeledOf(table), {
      'u0@2026-01-05T05:00:00.000Z': [1, 'panther-alert'],
      'u1@2026-01-05T10:00:00.000Z': [0, undefined],
      'u2@2026-01-06T03:00:00.000Z': [1, 'panther-alert'],
      'u3@2026-01-05T20:00:00.000Z': [1, 'insider'],
    });
    const logType = summary.logTypes[SPEC.logType];
    assert.equal(logType.trained, true);
    assert.equal(logType.alertWindows, 2);
    assert.deepEqual(logType.feedbackWindows, { attack: 1, benign: 1, clearedAlerts: 1, unmatched: 1 });
    assert.deepEqual(summary.feedback, { records: 4, skipped: 1 });
    const skipped = logs.find((l) => l.level === 'warn' && String(l.message).startsWith('analyst feedback records skipped'));
    assert.deepEqual(skipped?.examples, [{ key: 'feedback/broken.json', reason: 'not JSON' }]);
  });

  it('labels from alerts alone without a feedback store', async () => {
    const { summary, table } = await train();
    assert.deepEqual(labeledOf(table), {
      'u0@2026-01-05T05:00:00.000Z': [1, 'panther-alert'],
      'u1@2026-01-05T10:00:00.000Z': [1, 'panther-alert'],
      'u2@2026-01-06T03:00:00.000Z': [1, 'panther-alert'],
    });
    assert.equal(summary.logTypes[SPEC.logType].alertWindows, 3);
    assert.deepEqual(summary.feedback, { records: 0, skipped: 0 });
  });

  it('trains on alert labels, with a warning, when the feedback cannot be listed', async () => {
    const { summary, table, logs } = await train({
      list: async () => {
        throw new Error('AccessDenied: s3:ListBucket');
      },
    });
    assert.equal(Object.keys(labeledOf(table)).length, 3);
    assert.equal(summary.status, 'promoted');
    const warning = logs.find((l) => l.message === 'analyst feedback unavailable; training on alert labels alone');
    assert.deepEqual((warning?.error as { message: string }).message, 'AccessDenied: s3:ListBucket');
  });

  it('reads verdicts from the bucket under the model prefix, as the Lambda does', async () => {
    const s3 = await startLoopbackS3('feedback-training');
    try {
      // Prepare: the stores the training Lambda builds from MODEL_BUCKET and MODEL_PREFIX.
      const objects = s3Objects(s3.client, s3.bucket);
      const feedback = createFeedbackStore(objects, 'models/');
      await feedback.add({ logType: SPEC.logType, entity: 'u2', windowStart: '2026-01-06T03:30:00Z', label: 0 }, new Date('2026-01-08T09:00:00Z'));
      await feedback.add({ logType: SPEC.logType, entity: 'u0', windowStart: '2026-01-06T12:00:00Z', label: 1, scenario: 'exfiltration' }, new Date('2026-01-08T09:00:01Z'));
      // Act
      const { summary, table } = await train(feedback, createModelStore(objects, 'models/'));
      // Assess
      assert.deepEqual(labeledOf(table), {
        'u0@2026-01-05T05:00:00.000Z': [1, 'panther-alert'],
        'u0@2026-01-06T12:00:00.000Z': [1, 'exfiltration'],
        'u1@2026-01-05T10:00:00.000Z': [1, 'panther-alert'],
        'u2@2026-01-06T03:00:00.000Z': [0, undefined],
      });
      assert.deepEqual(summary.feedback, { records: 2, skipped: 0 });
      assert.equal(summary.status, 'promoted');
      assert.ok(await objects.exists(`models/${summary.version}/model.json`));
    } finally {
      await s3.stop();
    }
  });
});
