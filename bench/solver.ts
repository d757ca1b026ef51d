// Benchmark row: our Newton solver against ml-logistic-regression's gradient descent on the same synthetic data.

import { Matrix } from 'ml-matrix';
import { fitLogistic, sigmoid } from '../handlers/engine/logistic';
import { rocAuc } from '../handlers/engine/metrics';
import { mulberry32 } from '../handlers/engine/random';

export interface SolverBench {
  rows: number;
  features: number;
  steps: number;
  oursMs: number;
  mlLogisticMs: number;
  /** mlLogisticMs / oursMs: how many times faster ours is. */
  ratio: number;
  oursAuc: number | null;
  mlLogisticAuc: number | null;
  /** Peak resident set of this process so far, in MB. */
  peakRssMb: number;
}

/** The package ships no types; this is the part of its API the bench uses. */
interface MlLogisticRegression {
  train(x: Matrix, y: Matrix): void;
  classifiers: { testScores(x: Matrix): number[] }[];
}
type MlLogisticRegressionClass = new (options: { numSteps: number; learningRate: number }) => MlLogisticRegression;

/**
 * Fits both solvers on `rows` x `features` synthetic rows (Gaussian inputs, labels drawn from a known logistic
 * model with an intercept) and measures each on a fresh test set of a quarter the size. ml-logistic-regression
 * has no intercept, so it gets a constant column; it trains one classifier per class (two here), as its public
 * API does, with its default learning rate.
 */
export function benchSolver(opts: { rows?: number; features?: number; steps?: number } = {}): SolverBench {
  const rows = opts.rows ?? 20_000;
  const d = opts.features ?? 9;
  const steps = opts.steps ?? 500;
  const random = mulberry32(42);
  const truth = Array.from({ length: d }, (_, j) => (j % 2 === 0 ? 1 : -0.5) / (1 + j / 4));
  const sample = (n: number) => {
    const x = new Float64Array(n * d);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let t = -1;
      for (let j = 0; j < d; j++) {
        const v = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
        x[i * d + j] = v;
        t += truth[j] * v;
      }
      y[i] = random() < sigmoid(t) ? 1 : 0;
    }
    return { x, y };
  };
  const train = sample(rows);
  const test = sample(Math.max(1, Math.floor(rows / 4)));

  let start = performance.now();
  const ours = fitLogistic(train.x, train.y, d, { l2: 1e-6 });
  const oursMs = performance.now() - start;
  const oursScores = Array.from(test.y, (_, i) => {
    let t = ours.intercept;
    for (let j = 0; j < d; j++) t += ours.weights[j] * test.x[i * d + j];
    return sigmoid(t);
  });

  const LogisticRegression = require('ml-logistic-regression') as MlLogisticRegressionClass;
  const withBias = (x: Float64Array, n: number) =>
    new Matrix(Array.from({ length: n }, (_, i) => [...x.subarray(i * d, (i + 1) * d), 1]));
  const trainMatrix = withBias(train.x, rows);
  start = performance.now();
  const theirs = new LogisticRegression({ numSteps: steps, learningRate: 5e-4 });
  theirs.train(trainMatrix, Matrix.columnVector(Array.from(train.y)));
  const mlLogisticMs = performance.now() - start;
  // classifiers[0] is trained on "label is not class 0", i.e. it scores the attack class.
  const theirScores = theirs.classifiers[0].testScores(withBias(test.x, test.y.length));

  return {
    rows,
    features: d,
    steps,
    oursMs,
    mlLogisticMs,
    ratio: mlLogisticMs / oursMs,
    oursAuc: rocAuc(oursScores, test.y),
    mlLogisticAuc: rocAuc(theirScores, test.y),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}
