// Detection metrics against values worked out by hand, including ties and one-class inputs.
import assert from 'node:assert/strict';
import { computeMetrics, prAuc, ratesAt, rocAuc, rocCurve } from '../../handlers/engine/metrics';

const close = (a: number | null, b: number): void => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} != ${b}`);

describe('metrics', () => {
  // Attacks score 0.35 and 0.8; benign 0.1 and 0.4.
  const scores = [0.1, 0.4, 0.35, 0.8];
  const labels = [0, 0, 1, 1];

  it('ROC-AUC counts the attack/benign pairs ranked right: 3 of 4', () => {
    close(rocAuc(scores, labels), 0.75);
  });

  it('ROC-AUC counts ties as one half', () => {
    close(rocAuc([0.5, 0.5, 0.2], [1, 0, 0]), 0.75);
  });

  it('treats unknown labels (-1) as benign', () => {
    close(rocAuc(scores, [-1, -1, 1, 1]), 0.75);
  });

  it('has no AUC when a class is empty', () => {
    assert.equal(rocAuc([0.1, 0.2], [0, 0]), null);
    assert.equal(rocAuc([0.1, 0.2], [1, 1]), null);
    assert.equal(rocAuc([], []), null);
    assert.equal(prAuc([0.1], [0]), null);
  });

  it('average precision: recall steps of 1/2 at precision 1 and 2/3', () => {
    close(prAuc(scores, labels), 0.5 * 1 + 0.5 * (2 / 3));
  });

  it('average precision takes a group of tied scores as one step', () => {
    close(prAuc([0.5, 0.5], [1, 0]), 0.5);
    close(prAuc([0.5, 0.5], [0, 1]), 0.5);
  });

  it('rates at a threshold flag scores at or above it', () => {
    assert.deepEqual(ratesAt(scores, labels, 0.4), { precision: 0.5, recall: 0.5, falsePositiveRate: 0.5 });
    assert.deepEqual(ratesAt(scores, labels, 0.9), { precision: null, recall: 0, falsePositiveRate: 0 });
  });

  it('ROC curve has one point per distinct score, from (0,0) to (1,1)', () => {
    assert.deepEqual(rocCurve(scores, labels), [
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 0.5 },
      { fpr: 0.5, tpr: 0.5 },
      { fpr: 0.5, tpr: 1 },
      { fpr: 1, tpr: 1 },
    ]);
  });

  it('measures each scenario against every benign window', () => {
    const m = computeMetrics([0.1, 0.4, 0.35, 0.8, 0.9], [0, 0, 1, 1, 1], [undefined, undefined, 'spray', 'theft', 'theft'], 0.5);
    assert.equal(m.rows, 5);
    assert.equal(m.positives, 3);
    assert.deepEqual(m.perScenario, {
      spray: { rows: 1, rocAuc: 0.5, recall: 0 },
      theft: { rows: 2, rocAuc: 1, recall: 1 },
    });
    close(m.rocAuc, 5 / 6);
    assert.equal(m.precision, 1);
    close(m.recall, 2 / 3);
    assert.equal(m.falsePositiveRate, 0);
    assert.equal(m.threshold, 0.5);
  });
});
