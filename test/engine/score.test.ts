// Scoring and explanations of a hand-built model, checked against values computed by hand.
import assert from 'node:assert/strict';
import { InputError } from '../../handlers/engine/errors';
import type { LogTypeModel } from '../../handlers/engine/model-document';
import { computeMetrics } from '../../handlers/engine/metrics';
import { rowsToTable } from '../../handlers/engine/table';
import { scoreRows, scoreTable } from '../../handlers/engine/score';
import type { FeatureRow } from '../../handlers/engine/types';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) < tol, `${a} != ${b}`);

/** events on a log scale, error ratio as is; alice has her own baseline, everyone else gets the population's. */
function handModel(): LogTypeModel {
  return {
    logType: 'AWS.CloudTrail',
    spec: null,
    specHash: null,
    featureNames: ['events', 'error_ratio'],
    transforms: [{ kind: 'signedLog1p' }, { kind: 'identity' }],
    baseline: {
      minHistory: 5,
      priorStrength: 2,
      population: { center: [Math.log(10), 0.1], scale: [0.5, 0.05] },
      profile: [],
      entities: { alice: { n: 30, center: [Math.log(101), 0], scale: [0.2, 0.01] } },
    },
    logistic: {
      inputs: ['events:up', 'events:down', 'error_ratio:up', 'error_ratio:down'],
      weights: [1, 0.5, 2, 0],
      intercept: -4,
      zClip: 10,
      zMargin: 1,
    },
    threshold: 0.5,
    metrics: computeMetrics([], [], [], 0.5),
    trainingWindow: { start: null, end: null },
    trainedRows: 0,
  };
}

const row = (entity: string, events: number, ratio: number, extra: Record<string, number> = {}): FeatureRow => ({
  entity,
  windowStart: '2026-01-05T13:00:00.000Z',
  features: { events, error_ratio: ratio, ...extra },
});

describe('score', () => {
  it('explains a rise in the error ratio against the entity\'s own baseline', () => {
    // events 100 = expected (z 0); error ratio 0.05 vs 0 with scale 0.01: z 5, excess over the margin 4, x 2 = 8
    const [r] = scoreRows(handModel(), [row('alice', 100, 0.05)]);
    close(r.score, 1 / (1 + Math.exp(-4)));
    assert.equal(r.anomaly, true);
    assert.equal(r.baselineSource, 'entity');
    assert.equal(r.logType, 'AWS.CloudTrail');
    close(r.zScores.error_ratio, 5);
    close(r.zScores.events, 0);
    assert.equal(r.topFeatures[0].feature, 'error_ratio');
    close(r.topFeatures[0].contribution, 8);
    close(r.topFeatures[0].expected, 0);
    assert.equal(r.topFeatures[0].value, 0.05);
    close(r.topFeatures[1].expected, 100);
  });

  it('scores an unseen entity against the population, drops included', () => {
    // events 0 vs expected 9: z = (0 - ln 10) / 0.5 = -4.605; (4.605 - 1) x 0.5 down-weight
    const [r] = scoreRows(handModel(), [row('bob', 0, 0.1)]);
    const contribution = 0.5 * (Math.log(10) / 0.5 - 1);
    close(r.score, 1 / (1 + Math.exp(4 - contribution)));
    assert.equal(r.anomaly, false);
    assert.equal(r.baselineSource, 'population');
    close(r.topFeatures[0].expected, 9);
    close(r.topFeatures[0].contribution, contribution);
  });

  it('caps each side of a z-score at zClip', () => {
    const [r] = scoreRows(handModel(), [row('alice', 1e12, 0)]);
    close(r.topFeatures[0].contribution, 9);
  });

  it('applies the time-of-day profile to the expectation', () => {
    const model = handModel();
    model.baseline.profile = Array.from({ length: 48 }, (_, slot) => (slot === 13 ? [Math.log(2), 0] : [0, 0]));
    const [r] = scoreRows(model, [row('carol', 0, 0.1)]);
    // population expects ln 10 + ln 2 on the log scale at 13:00 on a weekday: 19 events
    close(r.topFeatures.find((f) => f.feature === 'events')!.expected, 19);
  });

  it('limits topFeatures and agrees with the columnar scorer', () => {
    const rows = [row('alice', 100, 0.05), row('bob', 0, 0.1), row('dave', 5000, 0.9, { ignored: 1 })];
    const results = scoreRows(handModel(), rows, { top: 1 });
    assert.ok(results.every((r) => r.topFeatures.length === 1));
    const columnar = scoreTable(handModel(), rowsToTable(rows));
    results.forEach((r, i) => close(r.score, columnar[i], 1e-15));
  });

  it('names a missing feature', () => {
    assert.throws(
      () => scoreRows(handModel(), [{ entity: 'a', windowStart: '', features: { events: 1 } }]),
      (e: unknown) => e instanceof InputError && e.field === 'features.error_ratio',
    );
    assert.throws(
      () => scoreTable(handModel(), rowsToTable([{ entity: 'a', windowStart: '', features: { events: 1 } }])),
      (e: unknown) => e instanceof InputError && e.field === 'features.error_ratio',
    );
  });

  it('names a non-finite value', () => {
    assert.throws(
      () => scoreRows(handModel(), [row('a', Number.NaN, 0)]),
      (e: unknown) => e instanceof InputError && e.field === 'features.events',
    );
    const table = rowsToTable([row('a', 1, 0)]);
    table.values[1] = Number.NEGATIVE_INFINITY;
    assert.throws(() => scoreTable(handModel(), table), (e: unknown) => e instanceof InputError && e.field === 'features.error_ratio');
  });

  it('scores no rows to no results', () => {
    assert.deepEqual(scoreRows(handModel(), []), []);
  });
});
