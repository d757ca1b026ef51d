// The scores CSV: column-wise lines that say what the engine's per-row explanations say, in input order.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvField, parseFeatureCsv } from '../../handlers/cli/csv';
import { featureText, scoreLines, scoreText, strongest } from '../../handlers/cli/scores';
import { explainTableRow } from '../../handlers/engine/score';
import { trainModel } from '../../handlers/engine/train';

describe('scores CSV', () => {
  const table = parseFeatureCsv(readFileSync(join(__dirname, '..', 'fixtures', 'csv', 'train-small.csv')), { file: 'train-small.csv' });
  const { model } = trainModel(table, { logType: 'csv' });

  it('writes for every row the score, the flag and the top features the engine explains', () => {
    const { lines, anomalies } = scoreLines(model, table, 2);
    assert.equal(lines.length, table.entities.length);
    let flagged = 0;
    for (let i = 0; i < lines.length; i++) {
      const r = explainTableRow(model, table, i, 2);
      const expected = [csvField(r.entity), r.windowStart, scoreText(r.score), r.anomaly ? 1 : 0, csvField(r.topFeatures.map((f) => featureText(f.feature, f.z)).join(';'))].join(',');
      assert.equal(lines[i], expected, `row ${i}`);
      if (r.anomaly) flagged++;
    }
    assert.equal(anomalies, flagged);
    assert.ok(flagged > 0, 'the fixture has anomalies to flag');
  });

  it('orders features by contribution, then by |z|, keeping input order for full ties', () => {
    const c = Float64Array.from([0.5, 2, 0, 2, 0]);
    const z = Float64Array.from([3, 4, -6, 5, 1]);
    assert.deepEqual(strongest(c, z, 3), [3, 1, 0]);
    assert.deepEqual(strongest(c, z, 10), [3, 1, 0, 2, 4]);
    assert.deepEqual(strongest(Float64Array.from([1, 1]), Float64Array.from([2, 2]), 2), [0, 1]);
    assert.deepEqual(strongest(c, z, 0), []);
  });

  it('formats z with a sign and one decimal, and scores with six significant digits', () => {
    assert.equal(featureText('events', 4.12), 'events:+4.1');
    assert.equal(featureText('mfa_used', -0.96), 'mfa_used:-1.0');
    assert.equal(featureText('x', 0), 'x:+0.0');
    assert.equal(scoreText(0.987654321), '0.987654');
    assert.equal(scoreText(1e-9), '1e-9');
    assert.equal(scoreText(1), '1');
  });
});
