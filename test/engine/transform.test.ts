// Feature transforms: the choice per column and the signed log that stays defined at 0 and below.
import assert from 'node:assert/strict';
import { applyTransform, chooseTransform, chooseTransforms, invertTransform } from '../../handlers/engine/transform';

describe('transform', () => {
  it('takes sign(x) log(1 + |x|) and inverts it', () => {
    assert.equal(applyTransform('signedLog1p', 0), 0);
    assert.equal(applyTransform('signedLog1p', Math.E - 1), 1);
    assert.equal(applyTransform('signedLog1p', -(Math.E - 1)), -1);
    assert.ok(Math.abs(applyTransform('signedLog1p', 1e9) - Math.log(1e9 + 1)) < 1e-12);
    for (const x of [-1e6, -3, -0.5, 0, 0.25, 7, 1e9]) {
      assert.ok(Math.abs(invertTransform('signedLog1p', applyTransform('signedLog1p', x)) - x) <= 1e-9 * Math.max(1, Math.abs(x)));
    }
    assert.equal(applyTransform('identity', -2.5), -2.5);
    assert.equal(invertTransform('identity', 0.3), 0.3);
  });

  it('keeps rates, flags and scores in [-1, 1] as they are and puts magnitudes on a log scale', () => {
    assert.equal(chooseTransform([0, 0.25, 1, 0.5]).kind, 'identity');
    assert.equal(chooseTransform([0, 1, 0, 0]).kind, 'identity');
    assert.equal(chooseTransform([-1, 0.5, 1]).kind, 'identity');
    assert.equal(chooseTransform([0, 0, 2]).kind, 'signedLog1p');
    assert.equal(chooseTransform([1, 1e9]).kind, 'signedLog1p');
    assert.equal(chooseTransform([-40, 3]).kind, 'signedLog1p');
    assert.equal(chooseTransform([]).kind, 'identity');
  });

  it('chooses for every column of a row-major table in one pass', () => {
    // columns: a rate, a count, a signed delta
    const values = Float64Array.from([0.5, 3, -0.5, 0.1, 0, -7, 0.9, 12, 0.25]);
    assert.deepEqual(
      chooseTransforms(values, 3).map((t) => t.kind),
      ['identity', 'signedLog1p', 'signedLog1p'],
    );
  });
});
