// The in-process aggregator against hand-computed rows of the fixture events, plus time parsing and routing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aggregateEvents, compilePredicate, WindowAggregator, type SkipCounts } from '../../handlers/engine/aggregate';
import { fieldReader, parseEventTime, textOf } from '../../handlers/engine/fields';
import { DEFAULT_SPECS, parseFeatureSpecs } from '../../handlers/engine/spec';
import type { PantherEvent } from '../../handlers/engine/types';

const FIXTURES = join(__dirname, '..', 'fixtures', 'events');
const [CLOUDTRAIL, OKTA] = DEFAULT_SPECS;

function readJsonl(name: string): PantherEvent[] {
  return readFileSync(join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as PantherEvent);
}

function noSkips(): SkipCounts {
  return { noTime: 0, noEntity: 0, outOfRange: 0, otherLogType: 0 };
}

/** Every CloudTrail feature at 0, so each expectation lists only what differs. */
function ctZero(): Record<string, number> {
  return Object.fromEntries(CLOUDTRAIL.features.map((f) => [f.name, 0]));
}

describe('parseEventTime', () => {
  it("reads Panther's p_event_time form as UTC", () => {
    assert.equal(parseEventTime('2026-01-05 13:04:05.123'), Date.UTC(2026, 0, 5, 13, 4, 5, 123));
    assert.equal(parseEventTime('2026-01-05 13:04:05'), Date.UTC(2026, 0, 5, 13, 4, 5));
  });

  it('reads ISO-8601 with Z, an offset or no zone, and truncates below the millisecond', () => {
    assert.equal(parseEventTime('2026-01-05T13:04:05Z'), Date.UTC(2026, 0, 5, 13, 4, 5));
    assert.equal(parseEventTime('2026-01-05T14:04:05.5+01:00'), Date.UTC(2026, 0, 5, 13, 4, 5, 500));
    assert.equal(parseEventTime('2026-01-05T08:04:05-0500'), Date.UTC(2026, 0, 5, 13, 4, 5));
    assert.equal(parseEventTime('2026-01-05T13:04:05.123987654Z'), Date.UTC(2026, 0, 5, 13, 4, 5, 123));
    assert.equal(parseEventTime('2024-02-29 23:59:59.999'), Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    assert.equal(parseEventTime('1969-12-31 23:00:00.000'), -3600000);
  });

  it('gives NaN for what is not a time', () => {
    for (const s of ['', 'yesterday', '2026-13-05 00:00:00', '2026-01-05', '2026/01/05 13:04:05', '2026-01-05 13:04:05.', '2026-01-05 13:04:05 junk', '2026-01-05 25:00:00']) {
      assert.ok(Number.isNaN(parseEventTime(s)), s);
    }
  });
});

describe('field readers', () => {
  it('read nested paths as the text SQL would compare, absent and null as undefined', () => {
    const e = { a: { b: { c: true, n: 200, z: null }, s: '' }, top: 1.5 };
    assert.equal(fieldReader('a.b.c')(e), 'true');
    assert.equal(fieldReader('a.b.n')(e), '200');
    assert.equal(fieldReader('a.b.z')(e), undefined);
    assert.equal(fieldReader('a.s')(e), '');
    assert.equal(fieldReader('top')(e), '1.5');
    assert.equal(fieldReader('a.b.c.d.e')(e), undefined);
    assert.equal(fieldReader('missing.x')(e), undefined);
    assert.equal(textOf(false), 'false');
    assert.equal(textOf(Number.NaN), undefined);
  });

  it('compile predicates where an absent field never matches, and NOT of that does', () => {
    const e = { eventName: 'ListUsers', readOnly: true };
    assert.equal(compilePredicate({ op: 'eq', field: 'readOnly', value: true })(e), true);
    assert.equal(compilePredicate({ op: 'eq', field: 'missing', value: 'x' })(e), false);
    assert.equal(compilePredicate({ op: 'not', predicate: { op: 'eq', field: 'missing', value: 'x' } })(e), true);
    assert.equal(compilePredicate({ op: 'prefix', field: 'eventName', value: 'List' })(e), true);
    assert.equal(compilePredicate({ op: 'prefix', field: 'missing', value: '' })(e), false);
    assert.equal(compilePredicate({ op: 'in', field: 'eventName', values: ['A', 'ListUsers'] })(e), true);
    assert.equal(compilePredicate({ op: 'exists', field: 'eventName' })({ eventName: '' }), false);
    const three = compilePredicate({ op: 'or', predicates: [{ op: 'exists', field: 'x' }, { op: 'exists', field: 'y' }, { op: 'exists', field: 'eventName' }] });
    assert.equal(three(e), true);
  });
});

describe('aggregateEvents on CloudTrail fixtures', () => {
  const events = readJsonl('cloudtrail.jsonl');
  const start = new Date('2026-01-05T00:00:00Z');
  const end = new Date('2026-01-07T00:00:00Z');

  it('produces one row per entity and window, sorted, with the entity fallbacks applied', () => {
    // Act
    const skipped = noSkips();
    const rows = aggregateEvents(CLOUDTRAIL, events, { start, end, skipped });
    // Assess
    assert.deepEqual(
      rows.map((r) => [r.entity, r.windowStart]),
      [
        ['444455556666', '2026-01-06T02:00:00.000Z'],
        ['arn:aws:iam::111122223333:role/orders-api-role', '2026-01-05T13:00:00.000Z'],
        ['arn:aws:iam::111122223333:root', '2026-01-06T02:00:00.000Z'],
        ['arn:aws:iam::111122223333:user/bob', '2026-01-05T13:00:00.000Z'],
        ['arn:aws:iam::111122223333:user/bob', '2026-01-05T14:00:00.000Z'],
        ['arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_abc/alice@example.com', '2026-01-05T13:00:00.000Z'],
        ['lambda.amazonaws.com', '2026-01-05T13:00:00.000Z'],
      ],
    );
    // ct15 has no userIdentity at all; ct16 is the millisecond before the start.
    assert.deepEqual(skipped, { noTime: 0, noEntity: 1, outOfRange: 1, otherLogType: 0 });
    assert.ok(rows.every((r) => r.logType === 'AWS.CloudTrail'));
  });

  it("computes bob's 13:00 window by hand: console failure, key creation, StopLogging denied, ListUsers", () => {
    const rows = aggregateEvents(CLOUDTRAIL, events, { start, end });
    const bob13 = rows.find((r) => r.entity.endsWith('user/bob') && r.windowStart === '2026-01-05T13:00:00.000Z')!;
    assert.deepEqual(bob13.features, {
      ...ctZero(),
      events: 5,
      distinct_event_names: 4,
      distinct_event_sources: 3,
      distinct_source_ips: 2,
      distinct_regions: 2,
      distinct_user_agents: 3,
      errors: 1,
      error_ratio: 0.2,
      access_denied: 1,
      write_calls: 4,
      list_describe_calls: 1,
      iam_changes: 1,
      access_key_creations: 1,
      logging_tampering: 1,
      console_logins: 2,
      console_login_failures: 1,
    });
    // 14:00:00.000 opens the next window; an empty errorCode is not an error.
    const bob14 = rows.find((r) => r.entity.endsWith('user/bob') && r.windowStart === '2026-01-05T14:00:00.000Z')!;
    assert.deepEqual(bob14.features, {
      ...ctZero(),
      events: 1,
      distinct_event_names: 1,
      distinct_event_sources: 1,
      distinct_source_ips: 1,
      distinct_regions: 1,
      distinct_user_agents: 1,
      list_describe_calls: 1,
    });
  });

  it("computes alice's secrets window and the role fallback by hand", () => {
    const rows = aggregateEvents(CLOUDTRAIL, events, { start, end });
    const alice = rows.find((r) => r.entity.endsWith('alice@example.com'))!;
    assert.deepEqual(alice.features, {
      ...ctZero(),
      events: 4,
      distinct_event_names: 3,
      distinct_event_sources: 3,
      // The empty sourceIPAddress does not count.
      distinct_source_ips: 1,
      distinct_regions: 2,
      distinct_user_agents: 1,
      errors: 1,
      error_ratio: 0.25,
      access_denied: 1,
      kms_decrypts: 1,
      secret_reads: 3,
    });
    // An empty arn and a missing arn both fall back to the role ARN.
    const role = rows.find((r) => r.entity.endsWith('role/orders-api-role'))!;
    assert.equal(role.features.events, 2);
    assert.equal(role.features.s3_object_reads, 2);
    const account = rows.find((r) => r.entity === '444455556666')!;
    assert.equal(account.features.logging_tampering, 1);
    assert.equal(account.features.write_calls, 1);
  });

  it('gives the same rows for any input order', () => {
    const shuffled = [...events].reverse();
    assert.deepEqual(aggregateEvents(CLOUDTRAIL, shuffled, { start, end }), aggregateEvents(CLOUDTRAIL, events, { start, end }));
  });

  it('counts many distinct values past the small-collection size, each once', () => {
    // 40 events over 25 distinct IPs (the first 15 twice), one window.
    const many: PantherEvent[] = [];
    for (let i = 0; i < 40; i++) {
      many.push({ p_event_time: `2026-01-05 13:${String(i).padStart(2, '0')}:00.000`, userIdentity: { arn: 'x' }, sourceIPAddress: `10.0.0.${i % 25}`, eventName: 'A' });
    }
    const [row] = aggregateEvents(CLOUDTRAIL, many);
    assert.equal(row.features.events, 40);
    assert.equal(row.features.distinct_source_ips, 25);
    assert.equal(row.features.distinct_event_names, 1);
  });

  it('returns no rows for no events', () => {
    assert.deepEqual(aggregateEvents(CLOUDTRAIL, []), []);
  });
});

describe('aggregateEvents on Okta fixtures', () => {
  const events = readJsonl('okta.jsonl');

  it('computes the login, MFA and geography features by hand', () => {
    // Act
    const skipped = noSkips();
    const rows = aggregateEvents(OKTA, events, { skipped });
    // Assess
    assert.deepEqual(
      rows.map((r) => [r.entity, r.windowStart]),
      [
        ['0oa-system', '2026-01-05T10:00:00.000Z'],
        ['alice@example.com', '2026-01-05T09:00:00.000Z'],
        ['bob@example.com', '2026-01-05T10:00:00.000Z'],
      ],
    );
    assert.deepEqual(skipped, { noTime: 0, noEntity: 1, outOfRange: 0, otherLogType: 0 });
    assert.deepEqual(rows[1].features, {
      events: 7,
      logins: 2,
      login_failures: 1,
      login_failure_ratio: 0.5,
      auth_failures: 0,
      mfa_challenges: 2,
      mfa_denials: 1,
      distinct_ips: 2,
      distinct_countries: 2,
      distinct_user_agents: 2,
      sso_accesses: 1,
      admin_actions: 0,
      password_changes: 1,
    });
    assert.deepEqual(rows[2].features, {
      events: 3,
      logins: 1,
      login_failures: 0,
      login_failure_ratio: 0,
      auth_failures: 1,
      mfa_challenges: 1,
      mfa_denials: 1,
      distinct_ips: 1,
      distinct_countries: 0,
      distinct_user_agents: 1,
      sso_accesses: 0,
      admin_actions: 1,
      password_changes: 0,
    });
    // No logins: the ratio is 0, not NaN.
    assert.equal(rows[0].features.login_failure_ratio, 0);
    assert.equal(rows[0].features.admin_actions, 1);
  });
});

describe('event time fallbacks', () => {
  const spec = parseFeatureSpecs({ logType: 'X.Y', entity: ['who'], windowMinutes: 30, timeFields: ['eventTime', 'published'], features: [{ name: 'events', kind: 'count' }] })[0];

  it('uses p_event_time first, then the time fields in order', () => {
    const rows = aggregateEvents(spec, [
      { who: 'a', p_event_time: '2026-01-05 10:29:59.999', eventTime: '2026-01-05T11:00:00Z' },
      { who: 'a', eventTime: '2026-01-05T10:30:00Z' },
      { who: 'a', p_event_time: 'garbage', published: '2026-01-05T10:45:00.000Z' },
    ]);
    assert.deepEqual(
      rows.map((r) => [r.windowStart, r.features.events]),
      [
        ['2026-01-05T10:00:00.000Z', 1],
        ['2026-01-05T10:30:00.000Z', 2],
      ],
    );
  });

  it('counts events with no time as skipped when the spec has no fallback', () => {
    const strict = { ...spec, timeFields: undefined };
    const skipped = noSkips();
    const rows = aggregateEvents(strict, [{ who: 'a', eventTime: '2026-01-05T10:30:00Z' }, { who: 'a', p_event_time: '2026-01-05 10:00:00' }], { skipped });
    assert.equal(rows.length, 1);
    assert.equal(skipped.noTime, 1);
  });

  it('skips events of another log type', () => {
    const skipped = noSkips();
    aggregateEvents(spec, [{ who: 'a', p_event_time: '2026-01-05 10:00:00', p_log_type: 'Other.Type' }, { who: 'a', p_event_time: '2026-01-05 10:00:00', logType: 'X.Y' }], { skipped });
    assert.equal(skipped.otherLogType, 1);
  });
});

describe('WindowAggregator', () => {
  it('routes by p_log_type or logType and counts what no spec covers', () => {
    // Prepare
    const agg = new WindowAggregator(DEFAULT_SPECS);
    const ct = readJsonl('cloudtrail.jsonl');
    const okta = readJsonl('okta.jsonl');
    // Act
    const accepted = [...ct, ...okta].map((e) => agg.add(e));
    const unknown = agg.add({ p_log_type: 'GCP.AuditLog', p_event_time: '2026-01-05 10:00:00' });
    const untyped = agg.add({ p_event_time: '2026-01-05 10:00:00' });
    const viaLogType = agg.add({ logType: 'Okta.SystemLog', p_event_time: '2026-01-05 11:00:00', actor: { alternateId: 'carol@example.com' } });
    // Assess
    assert.equal(unknown, false);
    assert.equal(untyped, false);
    assert.equal(viaLogType, true);
    // ct15 and ok11 have no entity; with no bounds given, ct16 (the day before) counts.
    assert.equal(accepted.filter((a) => !a).length, 2);
    assert.deepEqual(agg.skipped, { noTime: 0, noEntity: 2, outOfRange: 0, otherLogType: 2 });
    assert.deepEqual(agg.rows('AWS.CloudTrail'), aggregateEvents(CLOUDTRAIL, ct));
    assert.equal(agg.rows('Okta.SystemLog').length, 4);
    assert.equal(agg.rows().length, agg.rows('AWS.CloudTrail').length + 4);
    assert.deepEqual(agg.rows('Nope.Nope'), []);
  });
});
