// Fuzzes the other readers of outside input: the feature-row CSV reader, the event aggregator and feature-spec
// parser, deployment config parsing and model-document loading. Each may refuse input only with the typed
// error it documents (InputError, ConfigError, ModelFormatError); a TypeError or RangeError is a crash.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CsvInputError, parseFeatureCsv } from '../../handlers/cli/csv';
import { aggregateEvents, WindowAggregator } from '../../handlers/engine/aggregate';
import { InputError, ModelFormatError } from '../../handlers/engine/errors';
import { parseModel } from '../../handlers/engine/model-document';
import { scoreRows } from '../../handlers/engine/score';
import { DEFAULT_SPECS, parseFeatureSpecs } from '../../handlers/engine/spec';
import type { PantherEvent } from '../../handlers/engine/types';
import { directoryObjects } from '../../handlers/store/directory';
import { createModelStore } from '../../handlers/store/model-store';
import { ConfigError, parseConfig } from '../../modules/config';
import { mutatedText, oddValue, type Json } from './mutate';
import { smallSimulation, trainSmallModel } from './setup';

const FIXTURES = join(__dirname, '..', 'fixtures');
const SEED = 20261204;

/** Runs `fn`; passes when it returns or throws an instance of `expected`, fails on any other error. */
function onlyTyped<T>(expected: abstract new (...args: never[]) => Error, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    assert.ok(err instanceof expected, `expected a ${expected.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    assert.ok((err as Error).message.length > 0);
    return undefined;
  }
}

describe('fuzz: feature-row CSV reader', () => {
  const labeled = readFileSync(join(FIXTURES, 'csv', 'labeled.csv'), 'utf8');
  const cell = fc.oneof(
    fc.constantFrom('', '0', '1', '-1', '1e308', '1e400', '-0', 'NaN', 'Infinity', '0x10', '1_000', ' 2 ', '"', '""', '"a,b"', '"\n"', '\r', '2026-01-05T13:00:00.000Z', '2026-02-30T00:00:00Z'),
    fc.string({ maxLength: 12 }),
    fc.double().map(String),
  );
  const header = fc.array(fc.oneof(fc.constantFrom('entity', 'window_start', 'label', 'scenario', 'events', 'error_ratio', 'events'), fc.string({ maxLength: 6 })), { minLength: 0, maxLength: 7 });
  const generatedCsv = fc
    .tuple(header, fc.array(fc.array(cell, { maxLength: 8 }), { maxLength: 12 }), fc.constantFrom('\n', '\r\n'))
    .map(([h, records, eol]) => [h.join(','), ...records.map((r) => r.join(','))].join(eol));
  const editedFixture = fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.string({ minLength: 0, maxLength: 3 }), fc.nat(4))
    .map(([at, insert, drop]) => {
      const i = Math.floor(labeled.length * at);
      return labeled.slice(0, i) + insert + labeled.slice(i + drop);
    });

  it('reads or refuses with a located CsvInputError, over 1,500 generated and edited files', () => {
    let read = 0;
    fc.assert(
      fc.property(fc.oneof(generatedCsv, editedFixture), fc.boolean(), (text, expect) => {
        const table = onlyTyped(InputError, () =>
          parseFeatureCsv(text, { file: 'fuzz.csv', ...(expect ? { expectedFeatures: ['events', 'error_ratio'] } : {}) }),
        );
        if (!table) return;
        read++;
        assert.equal(table.values.length, table.entities.length * table.featureNames.length);
        assert.equal(table.windowStarts.length, table.entities.length);
      }),
      { seed: SEED, numRuns: 1_500 },
    );
    assert.ok(read > 0, 'some inputs were valid');
  });

  it('names file, line and column in the error', () => {
    assert.throws(
      () => parseFeatureCsv('entity,window_start,events\na,2026-01-05T13:00:00Z,x\n', { file: 'f.csv' }),
      (err: Error) => err instanceof CsvInputError && /^f\.csv:2:\d+: /.test(err.message),
    );
  });
});

describe('fuzz: event aggregation and feature specs', () => {
  const value = fc.oneof(oddValue, fc.constantFrom<Json>('2026-01-07 10:01:02.000', '2026-01-07T10:01:02Z', 'iam.amazonaws.com', 'List', false));
  const event = fc.dictionary(
    fc.oneof(
      fc.constantFrom('p_log_type', 'logType', 'p_event_time', 'eventTime', 'published', 'eventName', 'eventSource', 'errorCode', 'readOnly', 'userIdentity', 'actor', 'outcome', '__proto__', 'constructor'),
      fc.string({ maxLength: 6 }),
    ),
    fc.oneof(value, fc.record({ arn: value, type: value, alternateId: value, result: value })),
    { maxKeys: 8 },
  );
  const realEvents = smallSimulation().events.slice(0, 200);

  it('never throws on 1,000 batches of generated events, and every feature is a finite number', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), fc.subarray(realEvents, { maxLength: 20 }), (fuzzed, real) => {
        const events = [...(real as PantherEvent[]), ...(fuzzed as PantherEvent[])];
        for (const spec of DEFAULT_SPECS) {
          for (const row of aggregateEvents(spec, events)) {
            assert.equal(typeof row.entity, 'string');
            for (const v of Object.values(row.features)) assert.ok(Number.isFinite(v), `${row.entity}: ${v}`);
          }
        }
        const mixed = new WindowAggregator(DEFAULT_SPECS);
        for (const e of events) mixed.add(e);
        mixed.rows();
      }),
      { seed: SEED, numRuns: 1_000 },
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('parses mutated default specs or refuses them with an InputError; accepted specs aggregate without error', () => {
    const specs = JSON.parse(JSON.stringify(DEFAULT_SPECS)) as Json;
    fc.assert(
      fc.property(mutatedText(specs), (text) => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return;
        }
        const parsed = onlyTyped(InputError, () => parseFeatureSpecs(json));
        for (const spec of parsed ?? []) aggregateEvents(spec, realEvents);
      }),
      { seed: SEED, numRuns: 600 },
    );
  });
});

describe('fuzz: deployment config', () => {
  const source = { name: 'config.json', baseDir: join(FIXTURES, 'stack') };
  const config = JSON.parse(readFileSync(join(FIXTURES, 'stack', 'config.json'), 'utf8')) as Json;

  it('parses mutated configs or refuses them with a ConfigError naming the setting', () => {
    let refused = 0;
    fc.assert(
      fc.property(mutatedText(config), (text) => {
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          return;
        }
        const parsed = onlyTyped(ConfigError, () => parseConfig(raw, source));
        if (parsed) assert.ok(Object.isFrozen(parsed));
        else refused++;
      }),
      { seed: SEED, numRuns: 1_000 },
    );
    assert.ok(refused > 100, `only ${refused} mutated configs were refused`);
  });
});

describe('fuzz: model documents', function () {
  this.timeout(60_000);
  let docText: string;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fuzz-model-'));
    const store = createModelStore(directoryObjects(dir), 'models/');
    const { version } = await trainSmallModel(store);
    docText = await store.readModel(version!);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('loads mutated documents or refuses them with a ModelFormatError; loaded ones score without a crash', () => {
    const doc = JSON.parse(docText) as Json;
    const row = { entity: 'arn:aws:iam::1:user/fuzz', windowStart: '2026-01-07T10:00:00.000Z', features: {} as Record<string, number> };
    let loaded = 0;
    fc.assert(
      fc.property(mutatedText(doc), (text) => {
        const model = onlyTyped(ModelFormatError, () => parseModel(text));
        if (!model) return;
        loaded++;
        for (const m of model.models) {
          const features = Object.fromEntries(m.featureNames.map((f, i) => [f, i]));
          onlyTyped(InputError, () => scoreRows(m, [{ ...row, features }]));
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
    assert.ok(loaded > 0, 'some mutations leave a valid document');
  });
});
