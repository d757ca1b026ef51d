// Feature spec validation, hashing, table names and the built-in default specs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { InputError } from '../../handlers/engine/errors';
import { canonicalJson, DEFAULT_SPECS, parseFeatureSpecs, ruleMatchesTableName, specHash, tableName } from '../../handlers/engine/spec';
import type { FeatureSpec } from '../../handlers/engine/types';

function minimal(): Record<string, unknown> {
  return {
    logType: 'Custom.Audit',
    entity: ['actor.name'],
    windowMinutes: 60,
    features: [
      { name: 'events', kind: 'count' },
      { name: 'failures', kind: 'countWhere', where: { op: 'eq', field: 'result', value: 'FAILURE' } },
      { name: 'failure_ratio', kind: 'ratio', numerator: 'failures', denominator: 'events' },
    ],
  };
}

/** Asserts parseFeatureSpecs rejects `json` with an InputError naming `field`. */
function rejects(json: unknown, field: string, message?: RegExp): void {
  assert.throws(
    () => parseFeatureSpecs(json),
    (err: unknown) => {
      assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
      assert.equal(err.field, field);
      assert.ok(err.message.startsWith(`${field}: `), err.message);
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

describe('parseFeatureSpecs', () => {
  it('accepts a valid array and a single spec object', () => {
    // Act
    const many = parseFeatureSpecs([minimal()]);
    const one = parseFeatureSpecs(minimal());
    // Assess
    assert.equal(many.length, 1);
    assert.deepEqual(one, many);
    assert.equal(many[0].features[2].kind, 'ratio');
  });

  it('names the path of an unknown predicate op', () => {
    const spec = minimal();
    (spec.features as unknown[])[1] = { name: 'x', kind: 'countWhere', where: { op: 'and', predicates: [{ op: 'eq', field: 'a', value: 1 }, { op: 'like', field: 'a' }] } };
    rejects([spec], 'specs[0].features[1].where.predicates[1].op');
  });

  it('names the path of a window length that does not divide a day', () => {
    rejects([{ ...minimal(), windowMinutes: 7 }], 'specs[0].windowMinutes', /divide 1440/);
    rejects([{ ...minimal(), windowMinutes: 0 }], 'specs[0].windowMinutes');
    rejects([{ ...minimal(), windowMinutes: 2880 }], 'specs[0].windowMinutes');
  });

  it('rejects a ratio that refers to a missing feature or to another ratio', () => {
    const missing = minimal();
    (missing.features as Record<string, unknown>[])[2].denominator = 'nope';
    rejects([missing], 'specs[0].features[2].denominator', /no feature named "nope"/);
    const nested = minimal();
    (nested.features as unknown[]).push({ name: 'r2', kind: 'ratio', numerator: 'failure_ratio', denominator: 'events' });
    rejects([nested], 'specs[0].features[3].numerator', /is a ratio/);
  });

  it('rejects duplicate feature names and duplicate log types', () => {
    const dup = minimal();
    (dup.features as unknown[]).push({ name: 'events', kind: 'count' });
    rejects([dup], 'specs[0].features[3].name', /used twice/);
    rejects([minimal(), minimal()], 'specs[1].logType', /already has a spec/);
  });

  it('rejects feature names that are reserved, upper case or not identifiers', () => {
    for (const name of ['entity', 'window_start', 'Events', 'two words', '1st']) {
      const spec = minimal();
      (spec.features as Record<string, unknown>[])[0].name = name;
      rejects([spec], 'specs[0].features[0].name');
    }
  });

  it('rejects field paths that SQL could not address safely', () => {
    for (const field of ['a..b', 'a-b', "a'b", '', 'a.b c']) rejects([{ ...minimal(), entity: [field] }], 'specs[0].entity[0]');
  });

  it('rejects unknown keys, empty lists and bad table names', () => {
    rejects([{ ...minimal(), extra: 1 }], 'specs[0]', /extra/);
    rejects([{ ...minimal(), features: [] }], 'specs[0].features');
    rejects([{ ...minimal(), entity: [] }], 'specs[0].entity');
    rejects([{ ...minimal(), table: 'x; drop table y' }], 'specs[0].table');
    rejects([], 'specs');
    const emptyIn = minimal();
    (emptyIn.features as Record<string, unknown>[])[1].where = { op: 'in', field: 'a', values: [] };
    rejects([emptyIn], 'specs[0].features[1].where.values');
  });
});

describe('specHash and canonicalJson', () => {
  it('writes keys sorted at every level and drops undefined members', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, 'x'], c: undefined, b: null } }), '{"a":{"b":null,"d":[1,"x"]},"b":1}');
  });

  it('hashes the canonical JSON with sha256, independent of key order', () => {
    // Prepare
    const spec = parseFeatureSpecs(minimal())[0];
    const reordered: FeatureSpec = { features: spec.features, windowMinutes: 60, entity: ['actor.name'], logType: 'Custom.Audit' };
    // Act
    const h = specHash(spec);
    // Assess
    assert.match(h, /^[0-9a-f]{64}$/);
    assert.equal(h, createHash('sha256').update(canonicalJson(spec)).digest('hex'));
    assert.equal(specHash(reordered), h);
    assert.notEqual(specHash({ ...spec, windowMinutes: 30 }), h);
  });
});

describe('tableName', () => {
  it('derives panther_logs.public.<log type> unless the spec names a table', () => {
    const [ct, okta] = DEFAULT_SPECS;
    assert.equal(tableName(ct), 'panther_logs.public.aws_cloudtrail');
    assert.equal(tableName(okta), 'panther_logs.public.okta_systemlog');
    assert.equal(ruleMatchesTableName(ct), 'panther_rule_matches.public.aws_cloudtrail');
    const custom = { ...ct, table: 'lake.public.my_trail' };
    assert.equal(tableName(custom), 'lake.public.my_trail');
    assert.equal(ruleMatchesTableName(custom), 'panther_rule_matches.public.my_trail');
  });
});

describe('DEFAULT_SPECS', () => {
  it('covers CloudTrail and Okta with hourly windows and the features the detector relies on', () => {
    const [ct, okta] = DEFAULT_SPECS;
    assert.equal(ct.logType, 'AWS.CloudTrail');
    assert.equal(okta.logType, 'Okta.SystemLog');
    assert.equal(ct.windowMinutes, 60);
    assert.equal(okta.windowMinutes, 60);
    assert.deepEqual(ct.entity.slice(0, 2), ['userIdentity.arn', 'userIdentity.sessionContext.sessionIssuer.arn']);
    assert.deepEqual(okta.entity[0], 'actor.alternateId');
    const ctNames = ct.features.map((f) => f.name);
    for (const n of ['events', 'distinct_event_names', 'distinct_source_ips', 'distinct_regions', 'distinct_user_agents', 'error_ratio', 'write_calls', 'iam_changes', 'kms_decrypts', 'secret_reads', 'logging_tampering', 's3_object_reads', 'console_login_failures']) {
      assert.ok(ctNames.includes(n), n);
    }
    const oktaNames = okta.features.map((f) => f.name);
    for (const n of ['logins', 'login_failures', 'mfa_challenges', 'mfa_denials', 'distinct_ips', 'distinct_countries', 'admin_actions']) {
      assert.ok(oktaNames.includes(n), n);
    }
    assert.ok(ct.description && ct.description.includes('session'));
  });

  it('is frozen, so no caller changes the defaults for everyone', () => {
    assert.throws(() => {
      (DEFAULT_SPECS[0] as { windowMinutes: number }).windowMinutes = 5;
    }, TypeError);
    assert.equal(DEFAULT_SPECS[0].windowMinutes, 60);
  });
});
