// Feature rows to columnar tables and back, and the errors that name the offending feature.
import assert from 'node:assert/strict';
import { InputError } from '../../handlers/engine/errors';
import { assertFiniteTable, rowsToTable, tableToRows } from '../../handlers/engine/table';
import type { FeatureRow } from '../../handlers/engine/types';

const rows: FeatureRow[] = [
  { entity: 'alice', windowStart: '2026-01-05T13:00:00.000Z', logType: 'AWS.CloudTrail', features: { events: 3, errors: 0.5 }, label: 1, scenario: 'theft' },
  { entity: 'bob', windowStart: '2026-01-05T14:00:00.000Z', features: { errors: 0, events: 7, extra: 1 }, label: 0 },
  { entity: 'carol', windowStart: 'not a time', features: { events: 1, errors: 0.25 } },
];

const inputError = (field: string, message: RegExp) => (e: unknown) =>
  e instanceof InputError && e.field === field && message.test(e.message);

describe('table', () => {
  it('lays rows out row-major in the first row\'s feature order', () => {
    const t = rowsToTable(rows);
    assert.deepEqual(t.featureNames, ['events', 'errors']);
    assert.deepEqual(Array.from(t.values), [3, 0.5, 7, 0, 1, 0.25]);
    assert.deepEqual(t.entities, ['alice', 'bob', 'carol']);
    assert.deepEqual(Array.from(t.labels), [1, 0, -1]);
    assert.deepEqual(t.scenarios, ['theft', undefined, undefined]);
    assert.equal(t.windowStarts[0], Date.UTC(2026, 0, 5, 13));
    assert.ok(Number.isNaN(t.windowStarts[2]));
    assert.equal(t.logType, 'AWS.CloudTrail');
  });

  it('takes the columns asked for, ignoring extra features', () => {
    const t = rowsToTable(rows.slice(1, 2), ['events']);
    assert.deepEqual(Array.from(t.values), [7]);
  });

  it('names a missing feature and the row', () => {
    assert.throws(() => rowsToTable(rows, ['events', 'extra']), inputError('features.extra', /row 0/));
  });

  it('names a value that is not a finite number', () => {
    const bad: FeatureRow[] = [{ entity: 'a', windowStart: '', features: { events: Number.NaN } }];
    assert.throws(() => rowsToTable(bad), inputError('features.events', /finite/));
    const infinite: FeatureRow[] = [{ entity: 'a', windowStart: '', features: { events: Infinity } }];
    assert.throws(() => rowsToTable(infinite), inputError('features.events', /finite/));
    const text = [{ entity: 'a', windowStart: '', features: { events: '3' } }] as unknown as FeatureRow[];
    assert.throws(() => rowsToTable(text), inputError('features.events', /finite/));
  });

  it('makes an empty table from no rows', () => {
    const t = rowsToTable([]);
    assert.equal(t.entities.length, 0);
    assert.deepEqual(t.featureNames, []);
  });

  it('converts back to rows', () => {
    const back = tableToRows(rowsToTable(rows));
    assert.deepEqual(back[0], { ...rows[0] });
    assert.deepEqual(back[1], { entity: 'bob', windowStart: '2026-01-05T14:00:00.000Z', logType: 'AWS.CloudTrail', features: { events: 7, errors: 0 }, label: 0 });
    assert.equal(back[2].windowStart, '');
    assert.equal(back[2].label, undefined);
  });

  it('checks a table built elsewhere for non-finite values', () => {
    const t = rowsToTable(rows);
    t.values[3] = Number.POSITIVE_INFINITY;
    assert.throws(() => assertFiniteTable(t), inputError('features.errors', /row 1/));
  });
});
