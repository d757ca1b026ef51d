// The Newton solver against a hand-solved case, a second method (gradient descent) and its degenerate inputs.
import assert from 'node:assert/strict';
import { fitLogistic, meanLoss, sigmoid } from '../../handlers/engine/logistic';
import { mulberry32 } from '../../handlers/engine/random';

/** Plain gradient descent on the same objective, run to a tight tolerance: slow, but independent of Newton. */
function gradientDescent(x: Float64Array, y: number[], d: number, l2: number): { weights: number[]; intercept: number } {
  const n = y.length;
  const w = new Array(d).fill(0);
  let b = 0;
  for (let step = 0; step < 200_000; step++) {
    const gw = new Array(d).fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      let t = b;
      for (let j = 0; j < d; j++) t += w[j] * x[i * d + j];
      const r = sigmoid(t) - y[i];
      gb += r / n;
      for (let j = 0; j < d; j++) gw[j] += (r * x[i * d + j]) / n;
    }
    let largest = Math.abs(gb);
    for (let j = 0; j < d; j++) {
      gw[j] += l2 * w[j];
      largest = Math.max(largest, Math.abs(gw[j]));
      w[j] -= 0.5 * gw[j];
    }
    b -= 0.5 * gb;
    if (largest < 1e-11) break;
  }
  return { weights: w, intercept: b };
}

describe('logistic', () => {
  it('solves a one-feature case by hand: the fitted odds equal the observed odds in each group', () => {
    // Prepare: x = 0 has labels {0, 1} (odds 1), x = 1 has {0, 1, 1} (odds 2).
    const x = Float64Array.from([0, 0, 1, 1, 1]);
    const y = [0, 1, 0, 1, 1];
    // Act
    const fit = fitLogistic(x, y, 1, { l2: 0 });
    // Assess: intercept = log(1) = 0, weight = log(2) - log(1)
    assert.ok(fit.converged);
    assert.ok(Math.abs(fit.intercept - 0) < 1e-9);
    assert.ok(Math.abs(fit.weights[0] - Math.LN2) < 1e-9);
  });

  it('agrees with gradient descent on a small penalised problem', () => {
    const random = mulberry32(3);
    const n = 60;
    const d = 3;
    const x = new Float64Array(n * d);
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) x[i * d + j] = random() * 4 - 2;
      y.push(random() < sigmoid(0.5 + x[i * d] - 2 * x[i * d + 1]) ? 1 : 0);
    }
    const fit = fitLogistic(x, y, d, { l2: 0.05 });
    const reference = gradientDescent(x, y, d, 0.05);
    assert.ok(Math.abs(fit.intercept - reference.intercept) < 1e-6, `${fit.intercept} vs ${reference.intercept}`);
    for (let j = 0; j < d; j++) assert.ok(Math.abs(fit.weights[j] - reference.weights[j]) < 1e-6);
    assert.ok(fit.iterations < 20);
    // Newton's optimum has the lower (or equal) objective
    assert.ok(meanLoss(x, y, d, fit.weights, fit.intercept, 0.05) <= meanLoss(x, y, d, reference.weights, reference.intercept, 0.05) + 1e-12);
  });

  it('keeps weights finite on separable data when penalised', () => {
    const x = Float64Array.from([-2, -1, 1, 2]);
    const fit = fitLogistic(x, [0, 0, 1, 1], 1, { l2: 0.01 });
    assert.ok(fit.converged);
    assert.ok(Number.isFinite(fit.weights[0]) && fit.weights[0] > 1);
    assert.ok(Math.abs(fit.intercept) < 1e-6, 'symmetric data: no intercept');
  });

  it('returns zero weights and the smoothed log-odds when every label is the same', () => {
    const x = Float64Array.from([1, 2, 3]);
    assert.deepEqual(Array.from(fitLogistic(x, [0, 0, 0], 1).weights), [0]);
    assert.equal(fitLogistic(x, [0, 0, 0], 1).intercept, Math.log(0.5 / 3.5));
    assert.equal(fitLogistic(x, [1, 1, 1], 1).intercept, Math.log(3.5 / 0.5));
    assert.equal(fitLogistic(new Float64Array(0), [], 1).intercept, 0);
  });

  it('fixes at zero a weight that would be negative when asked for non-negative weights', () => {
    // Column 0 rises with the label, column 1 falls with it.
    const x = Float64Array.from([0, 1, 1, 1, 0, 1, 1, 0, 2, 0, 2, 1, 3, 0, 0, 0, 1, 2, 3, 1]);
    const y = [0, 0, 0, 1, 1, 1, 1, 0, 0, 1];
    const free = fitLogistic(x, y, 2, { l2: 0.01 });
    assert.ok(free.weights[1] < 0);
    const bounded = fitLogistic(x, y, 2, { l2: 0.01, nonNegative: true });
    assert.equal(bounded.weights[1], 0);
    assert.ok(bounded.weights[0] > 0);
  });

  it('rejects a design matrix of the wrong size', () => {
    assert.throws(() => fitLogistic(new Float64Array(3), [0, 1], 2), RangeError);
  });

  it('computes the sigmoid without overflow', () => {
    assert.equal(sigmoid(0), 0.5);
    assert.equal(sigmoid(-1000), 0);
    assert.equal(sigmoid(1000), 1);
  });
});
