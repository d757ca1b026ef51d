// Training: time split, threshold, degenerate inputs, determinism, and generality on tables unlike the simulator's.
import assert from 'node:assert/strict';
import { InputError } from '../../handlers/engine/errors';
import { computeMetrics } from '../../handlers/engine/metrics';
import { scoreTable } from '../../handlers/engine/score';
import { DEFAULT_SPECS, specHash } from '../../handlers/engine/spec';
import { rowsToTable } from '../../handlers/engine/table';
import { mulberry32 } from '../../handlers/engine/random';
import { splitByTime, thresholdFor, trainModel } from '../../handlers/engine/train';
import type { FeatureRow, FeatureTable } from '../../handlers/engine/types';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);

function table(values: number[][], names: string[], options: { entities?: string[]; times?: number[]; labels?: number[] } = {}): FeatureTable {
  const n = values.length;
  return {
    featureNames: names,
    entities: options.entities ?? values.map((_, i) => `e${i % 5}`),
    windowStarts: Float64Array.from(options.times ?? values.map((_, i) => T0 + i * HOUR)),
    values: Float64Array.from(values.flat()),
    labels: Int8Array.from(options.labels ?? new Array(n).fill(-1)),
    scenarios: new Array(n).fill(undefined),
  };
}

const finiteModel = (t: FeatureTable) => {
  const { model, evaluation } = trainModel(t);
  assert.ok(model.logistic.weights.every(Number.isFinite));
  assert.ok(Number.isFinite(model.logistic.intercept));
  assert.ok(Number.isFinite(model.threshold));
  assert.ok(evaluation.scores.every((s) => s >= 0 && s <= 1));
  return { model, evaluation };
};

const namesFeature = (field: string) => (e: unknown) => e instanceof InputError && e.field === field;

describe('train: split and threshold', () => {
  it('holds out the latest window starts, about the fraction asked', () => {
    const t = table([[1], [1], [1], [1], [1], [1], [1], [1], [1], [1]], ['x'], { times: [1, 1, 2, 2, 3, 3, 4, 4, 5, 5] });
    assert.deepEqual(splitByTime(t, 0.2).holdout, [8, 9]);
    assert.deepEqual(splitByTime(t, 0.3).holdout, [6, 7, 8, 9]);
    assert.deepEqual(splitByTime(t, 0).holdout, []);
  });

  it('splits by row order when times are missing or all equal', () => {
    const rows = [[1], [2], [3], [4], [5]];
    assert.deepEqual(splitByTime(table(rows, ['x'], { times: [0, 1, Number.NaN, 3, 4] }), 0.4), { train: [0, 1, 2], holdout: [3, 4] });
    assert.deepEqual(splitByTime(table(rows, ['x'], { times: [7, 7, 7, 7, 7] }), 0.2).holdout, [4]);
    assert.deepEqual(splitByTime(table([[1]], ['x']), 0.5), { train: [0], holdout: [] });
  });

  it('sets the threshold just above the benign score at the target rate', () => {
    const scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.95];
    const labels = [0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 1];
    const t = thresholdFor(scores, labels, 0.1);
    assert.ok(t > 0.9 && t < 0.9 + 1e-15);
    assert.ok(thresholdFor(scores, labels, 0) > 1);
    assert.equal(thresholdFor([0.3], [1], 0.01), 0.5);
    // Fewer windows than 1 / rate: the top one is let through rather than nothing ever being flagged.
    const few = thresholdFor([0.1, 0.9, 0.2], [0, -1, 0], 0.01);
    assert.ok(few > 0.2 && few < 0.9, String(few));
  });
});

describe('train: degenerate inputs', () => {
  it('refuses zero rows and zero features', () => {
    assert.throws(() => trainModel(table([], ['x'])), namesFeature('rows'));
    assert.throws(() => trainModel(table([[], []], [])), namesFeature('features'));
  });

  it('refuses NaN and infinite values, naming the feature', () => {
    assert.throws(() => trainModel(table([[1, 2], [Number.NaN, 2]], ['a', 'b'])), (e: unknown) => namesFeature('features.a')(e) && /row 1/.test((e as Error).message));
    assert.throws(() => trainModel(table([[1, Infinity]], ['a', 'b'])), namesFeature('features.b'));
  });

  it('trains a usable model from one row', () => {
    const { model, evaluation } = finiteModel(table([[3, 0.5]], ['events', 'ratio']));
    assert.equal(evaluation.metrics.rows, 1);
    assert.equal(model.trainedRows, 1);
    assert.deepEqual(model.baseline.population.center, [Math.round(Math.log(4) * 1e5) / 1e5, 0.5]);
  });

  it('trains when every label is the same', () => {
    const rows = Array.from({ length: 30 }, (_, i) => [i % 7, (i % 3) / 3]);
    finiteModel(table(rows, ['a', 'b'], { labels: new Array(30).fill(1) }));
    finiteModel(table(rows, ['a', 'b'], { labels: new Array(30).fill(0) }));
  });

  it('handles a zero-variance column, and a change in it stands out', () => {
    const rows = Array.from({ length: 60 }, (_, i) => [10 + (i % 4), 0]);
    const { model } = finiteModel(table(rows, ['events', 'never']));
    const probe = table([[11, 0], [11, 1]], ['events', 'never'], { entities: ['e1', 'e1'] });
    const [normal, changed] = scoreTable(model, probe);
    assert.ok(changed > normal);
  });
});

describe('train: behaviour', () => {
  it('is deterministic for a seed', () => {
    const random = mulberry32(9);
    const rows = Array.from({ length: 200 }, () => [Math.floor(random() * 100), random()]);
    const a = trainModel(table(rows, ['a', 'b']), { seed: 4 }).model;
    const b = trainModel(table(rows, ['a', 'b']), { seed: 4 }).model;
    assert.deepEqual(a, b);
  });

  it('embeds the spec and its hash, reports progress, and keeps the held-out false-positive rate near target', () => {
    const random = mulberry32(2);
    const rows: FeatureRow[] = [];
    for (let h = 0; h < 400; h++) {
      for (const entity of ['alice', 'bob', 'ci']) {
        rows.push({ entity, windowStart: new Date(T0 + h * HOUR).toISOString(), features: { events: Math.round(30 + 10 * random()), errors: Math.round(3 * random()) } });
      }
    }
    const phases: string[] = [];
    const steps: string[] = [];
    const { model, evaluation } = trainModel(rowsToTable(rows), {
      spec: DEFAULT_SPECS[0],
      targetFalsePositiveRate: 0.05,
      onProgress: (phase, fraction) => {
        phases.push(phase);
        steps.push(`${phase}:${fraction}`);
      },
    });
    assert.equal(model.logType, 'AWS.CloudTrail');
    assert.equal(model.specHash, specHash(DEFAULT_SPECS[0]));
    assert.deepEqual([...new Set(phases)], ['prepare', 'baseline', 'fit', 'evaluate']);
    assert.deepEqual(steps, ['prepare:0', 'prepare:1', 'baseline:0', 'baseline:1', 'fit:0', 'fit:1', 'evaluate:0', 'evaluate:1']);
    assert.equal(evaluation.metrics.rows, 240);
    assert.ok(evaluation.metrics.falsePositiveRate! <= 0.05);
    assert.equal(evaluation.top.length, 10);
    assert.ok(evaluation.top[0].score >= evaluation.top[9].score);
    assert.equal(model.trainingWindow.end, new Date(T0 + 319 * HOUR).toISOString());
  });
});

/**
 * Tables shaped like public labeled data rather than like the simulator: every entity appears once, a rate near
 * 0.8, a byte count spanning 1..1e9, a rare flag, a mostly-zero count, a signed column. Anomalies: the rate
 * drops, the flag is set, the bytes spike.
 */
function generalTable(n: number, seed: number, anomalyRate: number, labelled: boolean): FeatureTable {
  const random = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const names = ['success_rate', 'bytes', 'admin_flag', 'rare_count', 'balance_delta'];
  const values: number[] = [];
  const labels: number[] = [];
  const scenarios: (string | undefined)[] = [];
  const kinds = ['drop', 'flag', 'bytes'];
  for (let i = 0; i < n; i++) {
    const row = [
      Math.min(1, Math.max(0, 0.8 + 0.05 * gauss())),
      Math.round(Math.exp(Math.min(20.7, Math.max(0, 8 + 3 * gauss())))),
      random() < 0.01 ? 1 : 0,
      random() < 0.95 ? 0 : 1 + Math.floor(random() * 3),
      Math.round(50 * gauss()),
    ];
    let scenario: string | undefined;
    if (random() < anomalyRate) {
      scenario = kinds[i % 3];
      if (scenario === 'drop') row[0] = 0.2 + 0.1 * random();
      if (scenario === 'flag') row[2] = 1;
      if (scenario === 'bytes') row[1] = Math.round(1e9 * (1 + 9 * random()));
    }
    values.push(...row);
    labels.push(scenario && labelled ? 1 : labelled ? 0 : -1);
    scenarios.push(labelled ? scenario : undefined);
  }
  return {
    featureNames: names,
    entities: Array.from({ length: n }, (_, i) => `flow-${seed}-${i}`),
    windowStarts: new Float64Array(n).fill(Number.NaN),
    values: Float64Array.from(values),
    labels: Int8Array.from(labels),
    scenarios,
  };
}

describe('train: generality', () => {
  const test = generalTable(6000, 2, 0.03, true);

  it('catches drops, flags and byte spikes with no labels, on the population baseline alone', () => {
    // Training data holds unlabeled anomalies too: the baseline must not learn them as normal.
    const { model } = trainModel(generalTable(6000, 1, 0.01, false));
    assert.deepEqual(
      model.transforms.map((t) => t.kind),
      ['identity', 'signedLog1p', 'identity', 'signedLog1p', 'signedLog1p'],
    );
    assert.deepEqual(model.baseline.entities, {});
    const scores = scoreTable(model, test);
    const m = computeMetrics(scores, test.labels, test.scenarios, model.threshold);
    for (const kind of ['drop', 'flag', 'bytes']) assert.ok(m.perScenario[kind].rocAuc! >= 0.95, `${kind}: ${m.perScenario[kind].rocAuc}`);
  });

  it('still catches kinds never labeled when trained on labels of one kind', () => {
    const train = generalTable(6000, 3, 0.03, true);
    for (let i = 0; i < train.labels.length; i++) {
      if (train.scenarios[i] !== 'bytes') train.labels[i] = train.labels[i] === 1 ? -1 : train.labels[i];
    }
    const { model } = trainModel(train);
    const scores = scoreTable(model, test);
    const m = computeMetrics(scores, test.labels, test.scenarios, model.threshold);
    for (const kind of ['drop', 'flag']) assert.ok(m.perScenario[kind].rocAuc! >= 0.95, `${kind}: ${m.perScenario[kind].rocAuc}`);
    assert.ok(m.perScenario.bytes.rocAuc! >= 0.95);
  });
});
