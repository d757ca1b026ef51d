// Model documents: symmetric save and load, and corrupt or foreign documents rejected with the path at fault.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, ModelFormatError } from '../../handlers/engine/errors';
import type { ModelDocument } from '../../handlers/engine/model-document';
import { modelFor, parseModel, serializeModel } from '../../handlers/engine/model-document';
import { DEFAULT_SPECS } from '../../handlers/engine/spec';
import { rowsToTable } from '../../handlers/engine/table';
import { mulberry32 } from '../../handlers/engine/random';
import { trainModel } from '../../handlers/engine/train';
import type { FeatureRow, FeatureSpec } from '../../handlers/engine/types';

const fixture = readFileSync(join(__dirname, '../fixtures/models/small-model.json'), 'utf8');
const ALICE = 'arn:aws:iam::123456789012:user/alice';

/** The fixture, changed by `edit`, as text. */
function corrupt(edit: (doc: any) => void): string {
  const doc = JSON.parse(fixture);
  edit(doc);
  return JSON.stringify(doc);
}

const rejects = (text: string, message: RegExp) =>
  assert.throws(() => parseModel(text), (e: unknown) => e instanceof ModelFormatError && message.test(e.message));

function documentFor(models: ModelDocument['models']): ModelDocument {
  return { schemaVersion: 1, kind: 'panther-anomaly-model', version: 'v1', createdAt: '2026-01-06T00:00:00.000Z', trainingWindow: models[0].trainingWindow, models };
}

function trainedOn(entities: string[], features: string[], spec?: FeatureSpec, hours = 40) {
  const random = mulberry32(5);
  const rows: FeatureRow[] = [];
  for (let h = 0; h < hours; h++) {
    for (const entity of entities) {
      const f: Record<string, number> = {};
      for (const name of features) f[name] = Math.floor(random() * 50);
      rows.push({ entity, windowStart: new Date(Date.UTC(2026, 0, 5, h)).toISOString(), features: f });
    }
  }
  return trainModel(rowsToTable(rows), { spec }).model;
}

describe('model-document', () => {
  it('loads the fixture and saves it back unchanged', () => {
    const doc = parseModel(fixture);
    assert.equal(doc.models[0].featureNames.length, 2);
    assert.deepEqual(parseModel(serializeModel(doc)), doc);
    assert.deepEqual(JSON.parse(serializeModel(doc)), JSON.parse(fixture));
  });

  it('round-trips a trained model with an embedded spec, including awkward entity names', () => {
    const spec = DEFAULT_SPECS[0];
    const model = trainedOn(['__proto__', 'constructor', ALICE, 'a"b'], ['events', 'errors'], spec);
    assert.ok(Object.hasOwn(model.baseline.entities, '__proto__'));
    const doc = documentFor([model]);
    const back = parseModel(serializeModel(doc));
    assert.deepEqual(back, doc);
    assert.ok(Object.hasOwn(back.models[0].baseline.entities, '__proto__'));
    assert.equal(Object.getPrototypeOf(back.models[0].baseline.entities), Object.prototype);
    const spoiled = serializeModel(doc).replace('"__proto__":{"n":', '"__proto__":{"n":-');
    rejects(spoiled, /^models\[0\]\.baseline\.entities\["__proto__"\]\.n: /);
    assert.equal(back.models[0].specHash, model.specHash);
  });

  it('stays compact: 3,000 entities x 16 features in well under 3 MB', () => {
    const names = Array.from({ length: 16 }, (_, j) => `f${j}`);
    const model = trainedOn(Array.from({ length: 3000 }, (_, i) => `arn:aws:iam::123456789012:role/service-${i}`), names, undefined, 7);
    assert.equal(Object.keys(model.baseline.entities).length, 3000);
    assert.ok(serializeModel(documentFor([model])).length < 3_000_000);
  });

  it('rejects text that is not JSON', () => {
    rejects('{"schemaVersion": 1,', /not JSON/);
  });

  it('rejects another schema version or kind', () => {
    rejects(corrupt((d) => (d.schemaVersion = 2)), /^schemaVersion: .*version 1.*has 2/);
    rejects(corrupt((d) => delete d.schemaVersion), /^schemaVersion/);
    rejects(corrupt((d) => (d.kind = 'sklearn-pipeline')), /^kind: expected "panther-anomaly-model"/);
    rejects('[]', /^\(document\): .*expected object/);
  });

  it('names a missing or mistyped field', () => {
    rejects(corrupt((d) => delete d.models[0].threshold), /^models\[0\]\.threshold: /);
    rejects(corrupt((d) => (d.models[0].threshold = '0.5')), /^models\[0\]\.threshold: /);
    rejects(corrupt((d) => (d.models[0].transforms[1].kind = 'sqrt')), /^models\[0\]\.transforms\[1\]\.kind: /);
    rejects(corrupt((d) => (d.models = [])), /^models: /);
  });

  it('names a non-finite number inside an entity baseline', () => {
    // JSON has no NaN or Infinity: a writer that had one produced null
    rejects(
      corrupt((d) => (d.models[0].baseline.entities[ALICE].center[1] = null)),
      /^models\[0\]\.baseline\.entities\["arn:aws:iam::123456789012:user\/alice"\]\.center\[1\]: /,
    );
    rejects('{"schemaVersion":1,"kind":"panther-anomaly-model","threshold":1e999}', /^version/);
    rejects(corrupt((d) => (d.models[0].baseline.population.scale[0] = 0)), /^models\[0\]\.baseline\.population\.scale\[0\]: /);
  });

  it('rejects arrays whose length does not match the features', () => {
    rejects(corrupt((d) => d.models[0].logistic.weights.pop()), /^models\[0\]\.logistic\.weights: has 3 entries, expected 4/);
    rejects(
      corrupt((d) => d.models[0].baseline.entities[ALICE].scale.push(1)),
      /^models\[0\]\.baseline\.entities\["arn:aws:iam::123456789012:user\/alice"\]\.scale: has 3 entries, expected 2/,
    );
    rejects(corrupt((d) => d.models[0].baseline.profile.pop()), /^models\[0\]\.baseline\.profile: has 47/);
    rejects(corrupt((d) => d.models[0].transforms.pop()), /^models\[0\]\.transforms: /);
  });

  it('rejects an embedded spec that is invalid or does not match its hash', () => {
    const doc = documentFor([trainedOn([ALICE], ['events'], DEFAULT_SPECS[1])]);
    const text = serializeModel(doc);
    rejects(text.replace(doc.models[0].specHash!, 'f'.repeat(64)), /^models\[0\]\.specHash: does not match/);
    const broken = JSON.parse(text);
    broken.models[0].spec.windowMinutes = 7;
    rejects(JSON.stringify(broken), /^models\[0\]\.spec\.windowMinutes: must divide 1440/);
    broken.models[0].spec = null;
    rejects(JSON.stringify(broken), /^models\[0\]\.specHash: spec and specHash/);
  });

  it('finds the model for a log type', () => {
    const one = parseModel(fixture);
    assert.equal(modelFor(one), one.models[0]);
    assert.equal(modelFor(one, 'features'), one.models[0]);
    const a = trainedOn([ALICE], ['events'], DEFAULT_SPECS[0]);
    const b = trainedOn([ALICE], ['logins'], DEFAULT_SPECS[1]);
    const two = documentFor([a, b]);
    assert.equal(modelFor(two, 'Okta.SystemLog'), b);
    const namesLogType = (e: unknown) => e instanceof InputError && e.field === 'logType';
    assert.throws(() => modelFor(two), namesLogType);
    assert.throws(() => modelFor(two, 'GCP.AuditLog'), namesLogType);
  });
});
