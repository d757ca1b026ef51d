// Baseline statistics against hand-computed medians, MADs, shrinkage, floors and the time profile.
import assert from 'node:assert/strict';
import {
  baselineFor,
  fitBaseline,
  medianInPlace,
  robustCenterScale,
  scaleFloor,
  selectInPlace,
  slotOf,
} from '../../handlers/engine/baseline';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) < tol, `${a} != ${b}`);

describe('baseline', () => {
  it('selects order statistics and medians', () => {
    assert.equal(selectInPlace(Float64Array.from([5, 1, 4, 2, 3]), 1), 2);
    assert.equal(medianInPlace(Float64Array.from([3, 1, 2])), 2);
    assert.equal(medianInPlace(Float64Array.from([4, 1, 3, 2])), 2.5);
    assert.equal(medianInPlace(Float64Array.from([7, 7, 7, 7])), 7);
    assert.equal(medianInPlace(new Float64Array(0)), 0);
  });

  it('takes median and MAD, so one attack in the history does not move them', () => {
    // median 3; |x - 3| = 2, 1, 0, 1, 97 -> MAD 1
    const { center, scale } = robustCenterScale(Float64Array.from([1, 2, 3, 4, 100]));
    assert.equal(center, 3);
    close(scale, 1.4826);
  });

  it('falls back to the mean absolute deviation when most values are equal', () => {
    // A flag set in 1 of 5 windows: MAD 0, mean |x - 0| = 0.2
    const { center, scale } = robustCenterScale(Float64Array.from([0, 0, 1, 0, 0]));
    assert.equal(center, 0);
    close(scale, 1.2533 * 0.2);
    assert.deepEqual(robustCenterScale(Float64Array.from([4, 4])), { center: 4, scale: 0 });
  });

  it('floors the scale: a point on rates, 5 % on the log scale', () => {
    assert.equal(scaleFloor('identity'), 0.01);
    assert.equal(scaleFloor('signedLog1p'), 0.05);
  });

  it('puts a window in an hour-of-day slot, weekends after weekdays', () => {
    assert.equal(slotOf(Date.UTC(2026, 0, 5, 13)), 13); // Monday
    assert.equal(slotOf(Date.UTC(2026, 0, 3, 13)), 37); // Saturday
    assert.equal(slotOf(Date.UTC(2026, 0, 4, 0)), 24); // Sunday
    assert.equal(slotOf(Number.NaN), -1);
    assert.equal(slotOf(Date.UTC(1969, 11, 28, 5)), 29); // a Sunday before the epoch
    // Agrees with the calendar every hour over three weeks
    for (let h = 0; h < 21 * 24; h++) {
      const ms = Date.UTC(2026, 1, 20) + h * 3_600_000;
      const date = new Date(ms);
      assert.equal(slotOf(ms), date.getUTCHours() + (date.getUTCDay() % 6 === 0 ? 24 : 0));
    }
  });

  it('shrinks entity statistics towards the population and falls back to it for short histories', () => {
    // Prepare: A has 1, 2, 3, 4, 100; B is 10 five times; C has 4 windows (below minHistory); no times.
    const values = [1, 2, 3, 4, 100, 10, 10, 10, 10, 10, 50, 50, 50, 50];
    const entities = [...'AAAAABBBBBCCCC'];
    const include = new Uint8Array(values.length).fill(1);
    include.fill(0, 10); // C's windows are known attacks: they shape nothing
    const b = fitBaseline(Float64Array.from(values), 1, entities, new Float64Array(values.length).fill(Number.NaN), include, ['identity'], {
      minHistory: 5,
      priorStrength: 2,
    });
    // Population of the 10 included values: median 10; deviations 9,8,7,6,0,0,0,0,0,90 -> MAD 3
    assert.deepEqual(b.population.center, [10]);
    close(b.population.scale[0], 1.4826 * 3);
    assert.deepEqual(b.profile, []);
    // A: (5 x 3 + 2 x 10) / 7 = 5; variance (5 x 1.4826^2 + 2 x 4.4478^2) / 7
    close(b.entities.A.center[0], 5);
    close(b.entities.A.scale[0], Math.sqrt((5 * 1.4826 ** 2 + 2 * 4.4478 ** 2) / 7));
    // B: no spread of its own, so the population's, shrunk: sqrt(2 x 4.4478^2 / 7)
    close(b.entities.B.center[0], 10);
    close(b.entities.B.scale[0], Math.sqrt((2 * 4.4478 ** 2) / 7));
    assert.equal(b.entities.B.n, 5);
    assert.equal(Object.hasOwn(b.entities, 'C'), false);
    assert.equal(baselineFor(b, 'C').source, 'population');
    assert.equal(baselineFor(b, 'A').source, 'entity');
    assert.equal(baselineFor(b, 'constructor').source, 'population');
  });

  it('learns a time-of-day profile from each entity\'s deviation from its own level', () => {
    // Three entities, each 5 at 09:00 and 1 at 21:00 every day for 4 weeks (Jan 5 2026 is a Monday).
    const values: number[] = [];
    const entities: string[] = [];
    const times: number[] = [];
    for (const e of ['x', 'y', 'z']) {
      for (let day = 0; day < 28; day++) {
        values.push(5, 1);
        entities.push(e, e);
        times.push(Date.UTC(2026, 0, 5 + day, 9), Date.UTC(2026, 0, 5 + day, 21));
      }
    }
    const n = values.length;
    const b = fitBaseline(Float64Array.from(values), 1, entities, Float64Array.from(times), new Uint8Array(n).fill(1), ['identity'], {
      priorStrength: 0,
    });
    // Each entity's median is 3, so 09:00 sits +2 above it: 60 weekday windows, shrunk by 60 / (60 + 20)
    close(b.profile[9][0], 2 * (60 / 80));
    close(b.profile[21][0], -2 * (60 / 80));
    // Weekend 09:00 (slot 33): 24 windows -> 2 x 24 / 44
    close(b.profile[33][0], (2 * 24) / 44);
    assert.equal(b.profile[0][0], 0);
    // With the rhythm removed, each entity's centre is its level, 3
    close(b.entities.x.center[0], 3, 0.5);
  });

  it('fits nothing from no rows without failing', () => {
    const b = fitBaseline(new Float64Array(0), 2, [], new Float64Array(0), new Uint8Array(0), ['identity', 'signedLog1p']);
    assert.deepEqual(b.population.center, [0, 0]);
    assert.deepEqual(b.population.scale, [0.01, 0.05]);
    assert.deepEqual(b.entities, {});
  });
});
