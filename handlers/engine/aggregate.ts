// In-process aggregation of Panther events into per-entity, per-window feature rows: the twin of the compiled SQL.
import { eventTimeOf, fieldReader, firstPresentReader, isPresent, isoWindowStart, textOf, type FieldReader } from './fields';
import type { FeatureRow, FeatureSpec, PantherEvent, Predicate } from './types';

/** Why events did not make it into a row; a caller reports these rather than losing data silently. */
export interface SkipCounts {
  /** Neither `p_event_time` nor a spec time field holds a parseable time. */
  noTime: number;
  /** None of the spec's entity fields is present. */
  noEntity: number;
  /** Outside the `[start, end)` bounds asked for. */
  outOfRange: number;
  /** Carries a log type other than the spec's (aggregateEvents) or one no spec covers (WindowAggregator). */
  otherLogType: number;
}

export interface AggregateOptions {
  /** Inclusive lower bound on event time, like the SQL's `p_event_time >= start`. */
  start?: Date;
  /** Exclusive upper bound on event time. */
  end?: Date;
}

type EventTest = (event: PantherEvent) => boolean;

/** Compiles a predicate tree once into nested closures; the same semantics as the SQL (absent never matches). */
export function compilePredicate(p: Predicate): EventTest {
  switch (p.op) {
    case 'eq': {
      const read = fieldReader(p.field);
      const want = textOf(p.value);
      return (e) => read(e) === want;
    }
    case 'in': {
      const read = fieldReader(p.field);
      const set = new Set(p.values.map((v) => textOf(v)));
      return (e) => {
        const v = read(e);
        return v !== undefined && set.has(v);
      };
    }
    case 'prefix': {
      const read = fieldReader(p.field);
      const want = p.value;
      return (e) => {
        const v = read(e);
        return v !== undefined && v.startsWith(want);
      };
    }
    case 'exists': {
      const read = fieldReader(p.field);
      return (e) => isPresent(read(e));
    }
    case 'not': {
      const inner = compilePredicate(p.predicate);
      return (e) => !inner(e);
    }
    case 'and': {
      const parts = p.predicates.map(compilePredicate);
      if (parts.length === 2) {
        const [a, b] = parts;
        return (e) => a(e) && b(e);
      }
      return (e) => parts.every((t) => t(e));
    }
    case 'or': {
      const parts = p.predicates.map(compilePredicate);
      if (parts.length === 2) {
        const [a, b] = parts;
        return (e) => a(e) || b(e);
      }
      return (e) => parts.some((t) => t(e));
    }
  }
}

/** The log type an event says it is: Panther's `p_log_type`, or `logType` as the detection API also accepts. */
export function logTypeOf(event: PantherEvent): string | undefined {
  const t = event.p_log_type ?? event.logType;
  return typeof t === 'string' && t !== '' ? t : undefined;
}

/** Reads an event's time in epoch ms: `p_event_time`, then the spec's time fields; NaN when none parses. */
export function eventTimeReader(spec: FeatureSpec): (event: PantherEvent) => number {
  const fallbacks = (spec.timeFields ?? []).map(fieldReader);
  return (e) => {
    const t = eventTimeOf(e.p_event_time);
    if (t === t) return t;
    for (let i = 0; i < fallbacks.length; i++) {
      const v = fallbacks[i](e);
      if (v !== undefined) {
        const f = eventTimeOf(v);
        if (f === f) return f;
      }
    }
    return NaN;
  };
}

/** The entity key of an event under a spec (first present entity field), or undefined. */
export function entityReader(spec: FeatureSpec): FieldReader {
  return firstPresentReader(spec.entity);
}

/**
 * Accumulator of one (entity, window): counters for count / countWhere, one distinct collection per distinct
 * feature. A window mostly sees one to a few distinct values, so a collection starts as a small array (a few
 * bytes, a fast linear scan) and becomes a Set only past SMALL_DISTINCT values.
 */
interface WindowState {
  counts: number[];
  distinct: (readonly string[] | Set<string>)[];
}

const SMALL_DISTINCT = 16;
/** Shared start of every distinct collection; never mutated (additions replace it). */
const NO_VALUES: readonly string[] = Object.freeze([]);

/**
 * Adds a value to a window's distinct collection. New values go through `intern`: every parsed event carries
 * its own copy of strings like the user agent, and windows would otherwise keep one copy each.
 */
function addDistinct(state: WindowState, i: number, v: string, intern: (s: string) => string): void {
  const cur = state.distinct[i];
  if (!(cur instanceof Set)) {
    if (cur.indexOf(v) >= 0) return;
    // A fresh exact-size array rather than push: push would reserve room for 16 more in every window.
    if (cur.length < SMALL_DISTINCT) state.distinct[i] = cur.concat(intern(v));
    else {
      const set = new Set(cur);
      set.add(intern(v));
      state.distinct[i] = set;
    }
  } else if (!cur.has(v)) {
    cur.add(intern(v));
  }
}

function distinctSize(c: readonly string[] | Set<string>): number {
  return c instanceof Set ? c.size : c.length;
}

/** How each output feature is read off a WindowState, in spec order. */
type Output =
  | { name: string; from: 'count'; index: number }
  | { name: string; from: 'set'; index: number }
  | { name: string; from: 'ratio'; num: Output; den: Output };

/** Streams events of one log type into window accumulators. */
export class SpecAggregator {
  readonly spec: FeatureSpec;
  readonly skipped: SkipCounts = { noTime: 0, noEntity: 0, outOfRange: 0, otherLogType: 0 };
  private readonly windowMs: number;
  private readonly entityOf: FieldReader;
  private readonly timeOf: (e: PantherEvent) => number;
  private readonly tests: (EventTest | null)[];
  private readonly distinctReaders: FieldReader[];
  private readonly outputs: Output[];
  private readonly startMs: number;
  private readonly endMs: number;
  private readonly byEntity = new Map<string, Map<number, WindowState>>();
  // Consecutive events mostly share entity and window: skip both map lookups then.
  private lastEntity: string | undefined;
  private lastWindow = NaN;
  private lastState: WindowState | undefined;
  private readonly interned = new Map<string, string>();
  private readonly intern = (s: string): string => {
    const known = this.interned.get(s);
    if (known !== undefined) return known;
    this.interned.set(s, s);
    return s;
  };

  constructor(spec: FeatureSpec, options: AggregateOptions = {}) {
    this.spec = spec;
    this.windowMs = spec.windowMinutes * 60000;
    this.entityOf = entityReader(spec);
    this.timeOf = eventTimeReader(spec);
    this.startMs = options.start ? options.start.getTime() : -Infinity;
    this.endMs = options.end ? options.end.getTime() : Infinity;
    this.tests = [];
    this.distinctReaders = [];
    const byName = new Map<string, Output>();
    for (const f of spec.features) {
      let out: Output | undefined;
      if (f.kind === 'count') {
        out = { name: f.name, from: 'count', index: this.tests.push(null) - 1 };
      } else if (f.kind === 'countWhere') {
        out = { name: f.name, from: 'count', index: this.tests.push(compilePredicate(f.where)) - 1 };
      } else if (f.kind === 'distinct') {
        out = { name: f.name, from: 'set', index: this.distinctReaders.push(fieldReader(f.field)) - 1 };
      }
      if (out) byName.set(f.name, out);
    }
    this.outputs = spec.features.map((f) => {
      if (f.kind !== 'ratio') return byName.get(f.name)!;
      const num = byName.get(f.numerator);
      const den = byName.get(f.denominator);
      if (!num || !den) throw new Error(`ratio ${f.name} refers to a feature the spec lacks; validate specs with parseFeatureSpecs`);
      return { name: f.name, from: 'ratio', num, den };
    });
  }

  /** Adds one event; false when it was skipped (see `skipped`). */
  add(event: PantherEvent): boolean {
    const t = this.timeOf(event);
    if (t !== t) {
      this.skipped.noTime++;
      return false;
    }
    if (t < this.startMs || t >= this.endMs) {
      this.skipped.outOfRange++;
      return false;
    }
    const entity = this.entityOf(event);
    if (entity === undefined) {
      this.skipped.noEntity++;
      return false;
    }
    const w = t - (((t % this.windowMs) + this.windowMs) % this.windowMs);
    let state: WindowState;
    if (w === this.lastWindow && entity === this.lastEntity) {
      state = this.lastState!;
    } else {
      let windows = this.byEntity.get(entity);
      if (windows === undefined) {
        windows = new Map();
        this.byEntity.set(entity, windows);
      }
      let found = windows.get(w);
      if (found === undefined) {
        const counts = new Array<number>(this.tests.length).fill(0);
        const distinct = new Array<readonly string[]>(this.distinctReaders.length).fill(NO_VALUES);
        found = { counts, distinct };
        windows.set(w, found);
      }
      state = found;
      this.lastEntity = entity;
      this.lastWindow = w;
      this.lastState = state;
    }
    const counts = state.counts;
    const tests = this.tests;
    for (let i = 0; i < tests.length; i++) {
      const test = tests[i];
      if (test === null || test(event)) counts[i]++;
    }
    const readers = this.distinctReaders;
    for (let i = 0; i < readers.length; i++) {
      const v = readers[i](event);
      if (v !== undefined && v !== '') addDistinct(state, i, v, this.intern);
    }
    return true;
  }

  /** The feature rows so far, sorted by entity then window start. */
  rows(): FeatureRow[] {
    const entities = [...this.byEntity.keys()].sort(compareText);
    const rows: FeatureRow[] = [];
    // Entities share windows: format each window start once.
    const isoOf = new Map<number, string>();
    for (const entity of entities) {
      const windows = this.byEntity.get(entity)!;
      const starts = [...windows.keys()].sort((a, b) => a - b);
      for (const w of starts) {
        const state = windows.get(w)!;
        const features: Record<string, number> = {};
        for (const out of this.outputs) features[out.name] = valueOf(out, state);
        let windowStart = isoOf.get(w);
        if (windowStart === undefined) {
          windowStart = isoWindowStart(w);
          isoOf.set(w, windowStart);
        }
        rows.push({ entity, windowStart, logType: this.spec.logType, features });
      }
    }
    return rows;
  }
}

function valueOf(out: Output, state: WindowState): number {
  if (out.from === 'count') return state.counts[out.index];
  if (out.from === 'set') return distinctSize(state.distinct[out.index]);
  const den = valueOf(out.den, state);
  // Defined as 0 for an empty denominator, in SQL too, so a window never yields NaN.
  return den === 0 ? 0 : valueOf(out.num, state) / den;
}

/** Code-unit order, the order rows are emitted in (locale-independent, so output is the same on every machine). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders rows by entity, then window start. */
export function compareRows(a: FeatureRow, b: FeatureRow): number {
  return compareText(a.entity, b.entity) || compareText(a.windowStart, b.windowStart);
}

/**
 * Aggregates events of one log type into feature rows. Events carrying another `p_log_type` / `logType` are
 * skipped; pass `skipped` to read how many events were left out and why.
 */
export function aggregateEvents(
  spec: FeatureSpec,
  events: Iterable<PantherEvent>,
  options: AggregateOptions & { skipped?: SkipCounts } = {},
): FeatureRow[] {
  const agg = new SpecAggregator(spec, options);
  let other = 0;
  for (const e of events) {
    const t = logTypeOf(e);
    if (t !== undefined && t !== spec.logType) other++;
    else agg.add(e);
  }
  if (options.skipped) {
    Object.assign(options.skipped, agg.skipped);
    options.skipped.otherLogType += other;
  }
  return agg.rows();
}

/** Streams a mix of log types, routing each event by `p_log_type` (or `logType`) to its spec. */
export class WindowAggregator {
  private readonly bySpec = new Map<string, SpecAggregator>();
  private unrouted = 0;
  // Most streams are one log type in runs: remember the last route.
  private lastType: unknown;
  private lastAgg: SpecAggregator | undefined;

  constructor(specs: readonly FeatureSpec[], options: AggregateOptions = {}) {
    for (const spec of specs) this.bySpec.set(spec.logType, new SpecAggregator(spec, options));
  }

  /** Adds one event; false if no spec covers its log type or it was skipped for time or entity. */
  add(event: PantherEvent): boolean {
    const type = event.p_log_type ?? event.logType;
    let agg: SpecAggregator | undefined;
    if (type === this.lastType && this.lastAgg) {
      agg = this.lastAgg;
    } else {
      agg = typeof type === 'string' ? this.bySpec.get(type) : undefined;
      if (agg === undefined) {
        this.unrouted++;
        return false;
      }
      this.lastType = type;
      this.lastAgg = agg;
    }
    return agg.add(event);
  }

  /** Skips summed over all specs; `otherLogType` counts events no spec covers. */
  get skipped(): SkipCounts {
    const total: SkipCounts = { noTime: 0, noEntity: 0, outOfRange: 0, otherLogType: this.unrouted };
    for (const agg of this.bySpec.values()) {
      total.noTime += agg.skipped.noTime;
      total.noEntity += agg.skipped.noEntity;
      total.outOfRange += agg.skipped.outOfRange;
    }
    return total;
  }

  /** Rows of one log type, or of all in spec order (each sorted by entity then window start). */
  rows(logType?: string): FeatureRow[] {
    if (logType !== undefined) return this.bySpec.get(logType)?.rows() ?? [];
    const out: FeatureRow[] = [];
    for (const agg of this.bySpec.values()) for (const row of agg.rows()) out.push(row);
    return out;
  }
}
