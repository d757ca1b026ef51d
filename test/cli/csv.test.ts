// Feature-row CSV reading and writing: values, quoting, line endings, located errors, parallel reading.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import {
  csvField,
  formatFeatureCsv,
  isPlainSlice,
  parseFeatureCsv,
  parseFeatureValue,
  parseLabel,
  parseWindowStart,
  readFeatureCsv,
  recordBoundary,
  parsePlainDecimal,
  splitRecords,
} from '../../handlers/cli/csv';
import { InputError } from '../../handlers/engine/errors';

const fixtures = join(__dirname, '..', 'fixtures', 'csv');
const fixture = (name: string): Buffer => readFileSync(join(fixtures, name));
const read = (name: string, expectedFeatures?: string[]) => parseFeatureCsv(fixture(name), { file: name, expectedFeatures });

function assertInputError(run: () => unknown, message: string | RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('feature CSV reader', () => {
  it('reads keys, labels, scenarios and features into columns', () => {
    const table = read('labeled.csv');
    assert.deepEqual(table.featureNames, ['events', 'error_ratio']);
    assert.deepEqual(table.entities, ['alice', 'bob', 'alice']);
    assert.deepEqual([...table.values], [12, 0.25, 340, 0, 7, 0.001]);
    assert.deepEqual([...table.labels], [0, 1, -1]);
    assert.deepEqual(table.scenarios, [undefined, 'credential_theft', undefined]);
    assert.deepEqual([...table.windowStarts], [Date.UTC(2026, 0, 5, 13), Date.UTC(2026, 0, 5, 13), Date.UTC(2026, 0, 5, 14)]);
    // Equal entity names are one string instance.
    assert.equal(table.entities[0], table.entities[2]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks, and CRLF line ends', () => {
    const table = read('quoted.csv');
    assert.deepEqual(table.entities, ['arn:aws:iam::1:user/a,b', 'multi\r\nline "quoted"']);
    assert.deepEqual([...table.values], [3, 1, 4, 2]);
    assert.equal(table.labels[0], -1);
  });

  it('takes the model feature order when the model names the features', () => {
    const table = read('labeled.csv', ['error_ratio', 'events']);
    assert.deepEqual(table.featureNames, ['error_ratio', 'events']);
    assert.deepEqual([...table.values.subarray(0, 2)], [0.25, 12]);
  });

  it('reads a header-only file as zero rows', () => {
    const table = read('header-only.csv');
    assert.equal(table.entities.length, 0);
    assert.equal(table.values.length, 0);
    assert.deepEqual(table.featureNames, ['events']);
  });

  it('rejects an empty file', () => {
    assertInputError(() => read('empty.csv'), 'empty.csv:1: empty file: expected a header line');
  });

  it('names a missing key column', () => {
    assertInputError(() => read('missing-window.csv'), /^missing-window\.csv:1: missing column "window_start"/);
  });

  it('names line and column of a non-numeric value', () => {
    assertInputError(() => read('bad-number.csv'), 'bad-number.csv:3:4: column "events": "abc" is not a number');
  });

  it('counts the lines of a quoted field before an error and reports an empty value', () => {
    assertInputError(() => read('quoted-then-empty.csv'), 'quoted-then-empty.csv:4:3: column "events": empty value');
  });

  it('names line and column of a label that is not 0/1/true/false', () => {
    assertInputError(() => read('bad-label.csv'), 'bad-label.csv:2:3: column "label": "maybe" is not 0, 1, true, false or empty');
  });

  it('names the line of a record with too few fields', () => {
    assertInputError(() => read('short-record.csv'), 'short-record.csv:3: expected 4 fields as in the header, found 3');
  });

  it('reports an unclosed quote as invalid CSV with its line', () => {
    assertInputError(() => read('unclosed-quote.csv'), /^unclosed-quote\.csv:\d+: not valid CSV: /);
  });

  it('names the model features a file lacks, and a column the model does not know', () => {
    assertInputError(() => read('labeled.csv', ['events', 'error_ratio', 'distinct_ips']), 'labeled.csv:1: feature set differs from the model: missing column "distinct_ips"');
    assertInputError(() => read('labeled.csv', ['events']), /^labeled\.csv:1:6: feature set differs from the model: column "error_ratio" is not one of the model's features/);
  });

  it('rejects duplicate, empty and reserved-only headers', () => {
    const parseText = (text: string) => parseFeatureCsv(text, { file: 'x.csv' });
    assertInputError(() => parseText('entity,window_start,a,a\n'), 'x.csv:1:4: column "a" appears twice (also column 3)');
    assertInputError(() => parseText('entity,window_start,,a\n'), 'x.csv:1:3: empty column name in the header');
    assertInputError(() => parseText('entity,window_start,label\n'), /^x\.csv:1: no feature columns/);
  });

  it('skips a byte-order mark and empty lines', () => {
    const table = parseFeatureCsv('\uFEFFentity,window_start,n\n\na,2026-01-01T00:00:00Z,1\n\n', { file: 'bom.csv' });
    assert.deepEqual(table.entities, ['a']);
    assert.deepEqual([...table.values], [1]);
  });

  it('reads a large file in parallel parts exactly as in one part, with the same error lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'csv-'));
    try {
      const lines = ['entity,window_start,label,scenario,a,b'];
      for (let i = 0; i < 3000; i++) {
        const entity = i % 7 === 0 ? `"e,${i % 13}"` : `e${i % 13}`;
        lines.push(`${entity},2026-01-0${1 + (i % 5)}T00:00:00Z,${i % 11 === 0 ? 1 : 0},${i % 11 === 0 ? 's' + (i % 3) : ''},${i},${i / 8}`);
      }
      const path = join(dir, 'big.csv');
      writeFileSync(path, lines.join('\n') + '\n');
      const one = await readFeatureCsv(path, { file: 'big.csv', parallelism: 1 });
      const three = await readFeatureCsv(path, { file: 'big.csv', parallelism: 3, minParallelBytes: 0 });
      assert.deepEqual(three, one);
      assert.equal(one.entities.length, 3000);
      lines[2500] = lines[2500].replace(/,[0-9]+,([0-9.]+)$/, ',x,$1');
      writeFileSync(path, lines.join('\n') + '\n');
      await assert.rejects(readFeatureCsv(path, { file: 'big.csv', parallelism: 3, minParallelBytes: 0 }), {
        name: 'InputError',
        message: 'big.csv:2501:5: column "a": "x" is not a number',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('feature CSV values', () => {
  it('parses numbers and flags, and rejects text, blanks and infinities', () => {
    assert.equal(parseFeatureValue('0'), 0);
    assert.equal(parseFeatureValue('-1.5e3'), -1500);
    assert.equal(parseFeatureValue('TRUE'), 1);
    assert.equal(parseFeatureValue('false'), 0);
    assert.equal(parseFeatureValue(''), null);
    assert.equal(parseFeatureValue('  '), null);
    assert.equal(parseFeatureValue('abc'), null);
    assert.equal(parseFeatureValue('Infinity'), null);
    assert.equal(parseFeatureValue('NaN'), null);
  });

  it('parses labels 0/1/true/false and empty as unknown', () => {
    assert.deepEqual(['1', '0', 'true', 'False', '', ' ', '2', 'yes'].map(parseLabel), [1, 0, 1, 0, -1, -1, null, null]);
  });

  it('parses window starts as ISO or Panther times (UTC without a zone), dates, or epoch seconds or milliseconds', () => {
    assert.equal(parseWindowStart('2026-01-05T13:00:00.000Z'), Date.UTC(2026, 0, 5, 13));
    assert.equal(parseWindowStart('2026-01-05 13:00:00.000'), Date.UTC(2026, 0, 5, 13));
    assert.equal(parseWindowStart('2026-01-05T14:00:00+01:00'), Date.UTC(2026, 0, 5, 13));
    assert.equal(parseWindowStart('2026-01-05'), Date.UTC(2026, 0, 5));
    assert.ok(Number.isNaN(parseWindowStart('1e20')), 'past the range of a Date');
    assert.equal(parseWindowStart('1767225600'), 1767225600000);
    assert.equal(parseWindowStart('1767225600000'), 1767225600000);
    assert.ok(Number.isNaN(parseWindowStart('last tuesday')));
  });
});

describe('record boundaries', () => {
  it('finds the end of a record outside quotes', () => {
    const data = Buffer.from('a,"x\ny"\nb,c\n');
    assert.equal(recordBoundary(data, 0, 0), 8);
    assert.equal(recordBoundary(data, 0, 5), 8);
    assert.equal(recordBoundary(data, 8, 8), 12);
    assert.equal(recordBoundary(Buffer.from('a,b'), 0, 0), 3);
  });

  it('splits into runs that cover the bytes and end on record boundaries', () => {
    const data = Buffer.from('h\n"1\n1"\n2\n3\n"4\n4"\n');
    const runs = splitRecords(data, 2, 3);
    assert.equal(runs[0].start, 2);
    assert.equal(runs[runs.length - 1].end, data.length);
    for (let k = 1; k < runs.length; k++) assert.equal(runs[k].start, runs[k - 1].end);
    const records = runs.flatMap((r) => parse(data.subarray(r.start, r.end)) as string[][]);
    assert.deepEqual(records, [['1\n1'], ['2'], ['3'], ['4\n4']]);
  });

  it('reads quote-free text into the same table as csv-parse does', () => {
    const number = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.integer({ min: -1e6, max: 1e6 }).map(String),
      fc.stringMatching(/^[+-]?[0-9]{0,18}\.?[0-9]{0,18}$/).filter((t) => /[0-9]/.test(t)),
      fc.constantFrom('0', '-0', '.5', '5.', '1e-7', '007', 'true', 'FALSE', '123456789012345678'),
    );
    const entity = fc.stringMatching(/^[a-z][a-z0-9:/@.-]{0,12}$/);
    const record = fc.tuple(entity, fc.constantFrom('', '0', '1'), number, number);
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), fc.constantFrom('\n', '\r\n'), (records, eol) => {
        const header = `entity,window_start,label,a,b${eol}`;
        const body = records.map(([e, label, a, b]) => `${e},2026-01-05T00:00:00Z,${label},${a},${b}`);
        const plain = parseFeatureCsv(header + body.join(eol) + eol, { file: 'p.csv' });
        // One quoted field sends the whole slice through csv-parse.
        const quoted = parseFeatureCsv(header + [`"${records[0][0]}"${body[0].slice(records[0][0].length)}`, ...body.slice(1)].join(eol) + eol, { file: 'q.csv' });
        assert.deepEqual(plain, quoted);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('reads plain decimals in place exactly as Number() does, and leaves the rest to it', () => {
    const decimal = fc.stringMatching(/^-?[0-9]{1,15}(\.[0-9]{0,6})?$/).filter((t) => t.replace(/[^0-9]/g, '').length <= 15);
    fc.assert(
      fc.property(decimal, (text) => {
        assert.ok(Object.is(parsePlainDecimal(Buffer.from(text), 0, text.length), Number(text)), text);
      }),
      { numRuns: 2000, seed: 11 },
    );
    const at = (text: string, start = 0, end = text.length) => parsePlainDecimal(Buffer.from(text), start, end);
    assert.equal(at('x,0.1,y', 2, 5), 0.1);
    assert.ok(Object.is(at('-0'), -0));
    assert.ok(Number.isNaN(at('1e3')));
    assert.ok(Number.isNaN(at('1234567890123456')));
    assert.ok(Number.isNaN(at('')));
    assert.ok(Number.isNaN(at('-')));
    assert.ok(Number.isNaN(at('1.2.3')));
    assert.ok(Number.isNaN(at(' 1')));
  });

  it('sends quoted text and stray carriage returns to csv-parse', () => {
    const quoted = Buffer.from('a,"b"\n');
    const cr = Buffer.from('a,b\rc\n');
    assert.equal(isPlainSlice(quoted, 0, quoted.length), false);
    assert.equal(isPlainSlice(cr, 0, cr.length), false);
  });
});

describe('CSV writers', () => {
  it('quotes fields only where RFC 4180 needs it', () => {
    assert.equal(csvField('alice'), 'alice');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(' padded'), '" padded"');
  });

  it('writes a feature table that reads back the same', () => {
    const table = read('labeled.csv');
    const text = formatFeatureCsv(table);
    assert.equal(
      text,
      'entity,window_start,label,scenario,events,error_ratio\n' +
        'alice,2026-01-05T13:00:00.000Z,0,,12,0.25\n' +
        'bob,2026-01-05T13:00:00.000Z,1,credential_theft,340,0\n' +
        'alice,2026-01-05T14:00:00.000Z,,,7,0.001\n',
    );
    assert.deepEqual(parseFeatureCsv(text, { file: 'again.csv' }), table);
    const quoted = read('quoted.csv');
    assert.deepEqual(parseFeatureCsv(formatFeatureCsv(quoted), { file: 'again.csv' }), quoted);
    assert.equal(formatFeatureCsv(quoted).split('\n')[0], 'entity,window_start,events,distinct_ips');
  });
});
