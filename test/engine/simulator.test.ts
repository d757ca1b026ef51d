// The simulator: determinism, Panther's event shape, the daily rhythm, and labels that match aggregated rows.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { aggregateEvents } from '../../handlers/engine/aggregate';
import { parseEventTime } from '../../handlers/engine/fields';
import { mulberry32 } from '../../handlers/engine/random';
import { applyLabels, SCENARIOS, simulate, type WindowLabel } from '../../handlers/engine/simulator';
import { DEFAULT_SPECS } from '../../handlers/engine/spec';
import type { FeatureRow } from '../../handlers/engine/types';

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

describe('mulberry32', () => {
  it('gives the reference sequence for seed 1', () => {
    const next = mulberry32(1);
    assert.equal(next(), 0.6270739405881613);
    assert.equal(next(), 0.002735721180215478);
    assert.equal(next(), 0.5274470399599522);
  });
});

describe('simulate', function () {
  this.timeout(60000);
  const sim = simulate({ days: 14, principals: 20, seed: 42, attackRate: 0.01 });

  it('is deterministic for a seed and differs between seeds', () => {
    const again = simulate({ days: 14, principals: 20, seed: 42, attackRate: 0.01 });
    assert.equal(digest(again), digest(sim));
    const other = simulate({ days: 14, principals: 20, seed: 43, attackRate: 0.01 });
    assert.notEqual(digest(other.events.slice(0, 50)), digest(sim.events.slice(0, 50)));
  });

  it("writes Panther-shaped rows: p_ fields, Panther's time format, unique row ids, time order", () => {
    const ids = new Set<string>();
    let last = -Infinity;
    for (const e of sim.events) {
      assert.ok(e.p_log_type === 'AWS.CloudTrail' || e.p_log_type === 'Okta.SystemLog');
      assert.match(e.p_event_time as string, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
      assert.ok(Array.isArray(e.p_any_ip_addresses));
      const t = parseEventTime(e.p_event_time as string);
      assert.ok(t >= last, 'sorted by event time');
      last = t;
      ids.add(e.p_row_id as string);
    }
    assert.equal(ids.size, sim.events.length);
    const ct = sim.events.find((e) => e.p_log_type === 'AWS.CloudTrail')!;
    for (const k of ['eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent', 'userIdentity', 'readOnly', 'recipientAccountId', 'p_any_aws_arns']) assert.ok(k in ct, k);
    assert.equal(parseEventTime(ct.eventTime as string), Math.floor(parseEventTime(ct.p_event_time as string) / 1000) * 1000);
    const okta = sim.events.find((e) => e.p_log_type === 'Okta.SystemLog')!;
    for (const k of ['published', 'eventType', 'actor', 'client', 'outcome', 'p_any_emails']) assert.ok(k in okta, k);
    assert.match((okta.actor as { alternateId: string }).alternateId, /^[a-z]+\.[a-z]+@example\.com$/);
  });

  it('records failed console sign-ins as CloudTrail does: an errorMessage and no errorCode', () => {
    const failures = sim.events.filter((e) => e.eventName === 'ConsoleLogin' && (e.responseElements as { ConsoleLogin?: string })?.ConsoleLogin === 'Failure');
    assert.ok(failures.length > 0);
    for (const e of failures) {
      assert.equal(e.errorCode, undefined);
      assert.equal(e.errorMessage, 'Failed authentication');
    }
  });

  it('keeps weekends quiet for people', () => {
    // 2026-01-05 is a Monday: days 5, 6, 12 and 13 are weekends.
    const perDay = new Array<number>(14).fill(0);
    for (const e of sim.events) {
      if (e.p_log_type !== 'Okta.SystemLog') continue;
      const day = Math.floor((parseEventTime(e.p_event_time as string) - Date.UTC(2026, 0, 5)) / 86400000);
      if (day >= 0 && day < 14) perDay[day]++;
    }
    const weekendDays = [5, 6, 12, 13];
    const weekend = weekendDays.reduce((s, d) => s + perDay[d], 0) / 4;
    const weekday = perDay.filter((_, d) => !weekendDays.includes(d)).reduce((s, n) => s + n, 0) / 10;
    // UTC days: a US Friday evening is a Saturday in UTC, so weekends are quiet rather than silent.
    assert.ok(weekend < weekday * 0.4, `weekend ${weekend} vs weekday ${weekday}`);
  });

  it('labels every scenario, and every label names a window the aggregator produces', () => {
    // Prepare
    const rows: FeatureRow[] = [];
    for (const spec of DEFAULT_SPECS) rows.push(...aggregateEvents(spec, sim.events));
    const keys = new Set(rows.map((r) => `${r.logType}|${r.entity}|${r.windowStart}`));
    // Assess
    assert.deepEqual(new Set(sim.labels.map((l) => l.scenario)), new Set(SCENARIOS));
    for (const l of sim.labels) assert.ok(keys.has(`${l.logType}|${l.entity}|${l.windowStart}`), JSON.stringify(l));
    const labeled = applyLabels(rows, sim.labels);
    assert.equal(labeled.filter((r) => r.label === 1).length, sim.labels.length);
    // Attacks are a small minority of windows, as in life.
    assert.ok(sim.labels.length < rows.length * 0.05);
  });

  it('makes some attacks subtle: a handful of events', () => {
    const low = sim.attacks.filter((a) => a.intensity === 'low');
    assert.ok(low.length > 0);
    assert.ok(low.some((a) => a.events <= 6), JSON.stringify(low.map((a) => a.events)));
  });

  it('injects only the scenarios asked for', () => {
    const clean = simulate({ days: 3, principals: 6, seed: 1, scenarios: [] });
    assert.deepEqual(clean.labels, []);
    assert.deepEqual(clean.attacks, []);
    const one = simulate({ days: 7, principals: 10, seed: 1, scenarios: ['mfa_fatigue'] });
    assert.ok(one.labels.length > 0);
    assert.ok(one.labels.every((l) => l.scenario === 'mfa_fatigue' && l.logType === 'Okta.SystemLog'));
  });

  it('starts on the day asked for', () => {
    const s = simulate({ days: 2, principals: 4, seed: 3, start: new Date('2026-03-02T15:00:00Z'), scenarios: [] });
    const first = parseEventTime(s.events[0].p_event_time as string);
    assert.ok(first >= Date.UTC(2026, 2, 2) && first < Date.UTC(2026, 2, 4));
  });

  it('rejects sizes that are not positive integers', () => {
    assert.throws(() => simulate({ days: 0, principals: 5, seed: 1 }), RangeError);
    assert.throws(() => simulate({ days: 2, principals: 1.5, seed: 1 }), RangeError);
  });
});

describe('applyLabels', () => {
  const rows: FeatureRow[] = [
    { entity: 'a', windowStart: '2026-01-05T13:00:00.000Z', logType: 'AWS.CloudTrail', features: { events: 1 } },
    { entity: 'a', windowStart: '2026-01-05T14:00:00.000Z', logType: 'AWS.CloudTrail', features: { events: 2 }, label: 1, scenario: 'stale' },
    { entity: 'a', windowStart: '2026-01-05T13:00:00.000Z', logType: 'Okta.SystemLog', features: { events: 3 } },
    { entity: 'b', windowStart: '2026-01-05T13:00:00.000Z', features: { events: 4 } },
  ];
  const labels: WindowLabel[] = [
    { logType: 'AWS.CloudTrail', entity: 'a', windowStart: '2026-01-05T13:00:00.000Z', scenario: 'credential_theft' },
    { logType: 'Okta.SystemLog', entity: 'b', windowStart: '2026-01-05T13:00:00.000Z', scenario: 'mfa_fatigue' },
  ];

  it('marks attacked windows 1 with their scenario and the rest 0, matching rows without a log type by window', () => {
    const out = applyLabels(rows, labels);
    assert.deepEqual(
      out.map((r) => [r.label, r.scenario]),
      [
        [1, 'credential_theft'],
        [0, undefined],
        [0, undefined],
        [1, 'mfa_fatigue'],
      ],
    );
    assert.ok(!('scenario' in out[1]));
  });

  it('leaves its input unchanged', () => {
    const before = JSON.stringify(rows);
    applyLabels(rows, labels);
    assert.equal(JSON.stringify(rows), before);
  });
});
