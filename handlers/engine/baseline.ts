// Per (entity, feature) baselines in transformed space: robust centre and scale per entity, shrunk towards the
// population, with a population (peer) baseline for entities with little or no history and a time-of-day x
// weekday/weekend profile.

import type { TransformKind } from './transform';

export interface EntityBaseline {
  /** Windows of the entity's own history the statistics were drawn from. */
  n: number;
  /** Robust centre per feature, in transformed space, before the time-slot offset. */
  center: number[];
  /** Robust scale per feature, in transformed space, floored. */
  scale: number[];
}

export interface BaselineStatistics {
  /** An entity needs this many windows of history before its own statistics are used. */
  minHistory: number;
  /** Pseudo-windows of population behaviour mixed into every entity's statistics (shrinkage). */
  priorStrength: number;
  population: { center: number[]; scale: number[] };
  /**
   * Offset per time slot and feature, in transformed space: slot = UTC hour + 24 on Saturdays and Sundays
   * (48 slots). Empty when the training data had no times or too few windows to tell the slots apart.
   */
  profile: number[][];
  entities: Record<string, EntityBaseline>;
}

export interface BaselineOptions {
  minHistory?: number;
  priorStrength?: number;
}

export const PROFILE_SLOTS = 48;
/** Slots with fewer windows than this are pulled towards no offset. */
const PROFILE_PRIOR = 20;
/** Statistics that do not need every row are drawn from at most this many (population centre and scale, profile). */
const SAMPLE_ROWS = 100_000;
/** An entity's centre and scale are drawn from at most this many of its windows, spread over its history. */
const ENTITY_SAMPLE = 512;

/** Time slot of a window start (epoch ms): hour of day, plus 24 on weekends; -1 when the time is unknown. */
export function slotOf(ms: number): number {
  if (!Number.isFinite(ms)) return -1;
  const hours = Math.floor(ms / 3_600_000);
  const hour = ((hours % 24) + 24) % 24;
  const day = (((Math.floor(hours / 24) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday (4); 0 = Sunday
  return hour + (day === 0 || day === 6 ? 24 : 0);
}

/**
 * Smallest scale a baseline may have, in transformed space: below it, ordinary jitter would look like an anomaly.
 * 0.05 on the log scale is a 5 % change; 0.01 on a rate is one percentage point. (A Poisson floor for counts,
 * sqrt(mu) / (1 + mu) after log1p, was tried and dropped: distinct counts are not Poisson, and at mu = 1 it hid
 * a second country in a window, the one sign of a stolen session used abroad.)
 */
export function scaleFloor(kind: TransformKind): number {
  return kind === 'identity' ? 0.01 : 0.05;
}

/**
 * Reorders `a[from, to)` so that a[k] is the value a full sort would put there, everything before it is <= and
 * everything after it >= (Hoare's selection, expected linear time: medians of every entity and feature are the
 * bulk of baseline fitting, and a sort would do more than they need).
 */
export function selectInPlace(a: Float64Array, k: number, from = 0, to = a.length): number {
  let lo = from;
  let hi = to - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

/** Median of `a` (reordered in place); 0 for an empty array. */
export function medianInPlace(a: Float64Array): number {
  const n = a.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  const upper = selectInPlace(a, mid);
  if (n % 2 === 1) return upper;
  let lower = -Infinity;
  for (let i = 0; i < mid; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/**
 * Robust centre and scale of a sample (reordered in place): the median and the normal-consistent MAD
 * (1.4826 MAD). When more than half the values equal the median (a flag set in 2 % of windows, a mostly-zero
 * count) the MAD is 0; the scale then falls back to the normal-consistent mean absolute deviation from the median
 * (1.2533 mean |x - median|), which still reflects how often and how far the column moves.
 */
export function robustCenterScale(values: Float64Array): { center: number; scale: number } {
  const n = values.length;
  if (n === 0) return { center: 0, scale: 0 };
  const center = medianInPlace(values);
  let sumAbs = 0;
  for (let i = 0; i < n; i++) {
    const dev = Math.abs(values[i] - center);
    sumAbs += dev;
    values[i] = dev;
  }
  const mad = medianInPlace(values);
  return { center, scale: mad > 0 ? 1.4826 * mad : (1.2533 * sumAbs) / n };
}

/**
 * Fits the baseline on transformed values (row-major, n x d). Only rows with `include[i] = 1` count: known
 * attacks must not define normal. Medians and MADs make the statistics robust to attacks hidden in the history.
 */
export function fitBaseline(
  transformed: Float64Array,
  d: number,
  entities: string[],
  windowStarts: Float64Array,
  include: Uint8Array,
  kinds: TransformKind[],
  options: BaselineOptions = {},
): BaselineStatistics {
  const minHistory = Math.max(1, options.minHistory ?? 5);
  const priorStrength = Math.max(0, options.priorStrength ?? 2);
  const slots = new Int16Array(include.length);
  for (let i = 0; i < include.length; i++) slots[i] = slotOf(windowStarts[i]);
  const groups = groupByEntity(include, entities);
  const profile = fitProfile(transformed, d, groups, slots, minHistory);
  const source: Source = { transformed, d, slots, profile };

  // Population: every included window, with the time-slot offset removed, sampled when there are many.
  const included = groups.order.length;
  const sampled = Math.min(included, SAMPLE_ROWS);
  const scratch = new Float64Array(Math.max(sampled, ENTITY_SAMPLE) * d);
  gatherColumns(source, groups.order, 0, included, sampled, scratch);
  const populationCenter: number[] = [];
  const populationScale: number[] = [];
  for (let j = 0; j < d; j++) {
    const { center, scale } = robustCenterScale(scratch.subarray(j * sampled, (j + 1) * sampled));
    populationCenter.push(center);
    populationScale.push(Math.max(scale, scaleFloor(kinds[j])));
  }

  const entityStats: [string, EntityBaseline][] = [];
  for (let e = 0; e < groups.names.length; e++) {
    const from = groups.starts[e];
    const n = groups.starts[e + 1] - from;
    if (n < minHistory) continue;
    const taken = Math.min(n, ENTITY_SAMPLE);
    gatherColumns(source, groups.order, from, n, taken, scratch);
    const center: number[] = [];
    const scale: number[] = [];
    for (let j = 0; j < d; j++) {
      const own = robustCenterScale(scratch.subarray(j * taken, (j + 1) * taken));
      const c = (n * own.center + priorStrength * populationCenter[j]) / (n + priorStrength);
      const variance = (n * own.scale ** 2 + priorStrength * populationScale[j] ** 2) / (n + priorStrength);
      center.push(c);
      scale.push(Math.max(Math.sqrt(variance), scaleFloor(kinds[j])));
    }
    entityStats.push([groups.names[e], { n, center, scale }]);
  }
  return {
    minHistory,
    priorStrength,
    population: { center: populationCenter, scale: populationScale },
    profile,
    entities: Object.fromEntries(entityStats),
  };
}

interface Source {
  transformed: Float64Array;
  d: number;
  slots: Int16Array;
  profile: number[][];
}

/**
 * Copies `count` rows spread evenly over order[from, from + n) into `out`, column-major (feature j at
 * out[j * count + k]), with the time-slot offset removed: one pass over the rows for all features.
 */
function gatherColumns(source: Source, order: Int32Array, from: number, n: number, count: number, out: Float64Array): void {
  const { transformed, d, slots, profile } = source;
  for (let k = 0; k < count; k++) {
    const i = order[from + (count === n ? k : Math.floor((k * n) / count))];
    const offsets = profile.length === 0 || slots[i] < 0 ? undefined : profile[slots[i]];
    const base = i * d;
    for (let j = 0; j < d; j++) out[j * count + k] = transformed[base + j] - (offsets === undefined ? 0 : offsets[j]);
  }
}

/** Included rows grouped by entity, in row order within each: entity e owns order[starts[e], starts[e + 1]). */
interface EntityGroups {
  names: string[];
  starts: Int32Array;
  order: Int32Array;
}

function groupByEntity(include: Uint8Array, entities: string[]): EntityGroups {
  const ids = new Map<string, number>();
  const idOf = new Int32Array(include.length);
  const counts: number[] = [];
  for (let i = 0; i < include.length; i++) {
    if (include[i] !== 1) continue;
    let id = ids.get(entities[i]);
    if (id === undefined) {
      id = counts.length;
      ids.set(entities[i], id);
      counts.push(0);
    }
    idOf[i] = id;
    counts[id]++;
  }
  const starts = new Int32Array(counts.length + 1);
  for (let e = 0; e < counts.length; e++) starts[e + 1] = starts[e] + counts[e];
  const next = starts.slice(0, counts.length);
  const order = new Int32Array(starts[counts.length]);
  for (let i = 0; i < include.length; i++) if (include[i] === 1) order[next[idOf[i]]++] = i;
  return { names: [...ids.keys()], starts, order };
}

/**
 * The time profile: per slot and feature, the median of how far a window lies from its own entity's median.
 * Measuring against each entity's own level (not the population's) keeps a slot where only busy entities are
 * active from looking busy. Entities below `minHistory` add nothing (one window has no rhythm), slots with few
 * windows are shrunk towards 0, and entities are sampled when there are many windows.
 */
function fitProfile(transformed: Float64Array, d: number, groups: EntityGroups, slots: Int16Array, minHistory: number): number[][] {
  // Every step-th entity with all its windows: each sampled entity needs its own median first, so sampling
  // entities (not rows) saves that work too.
  const step = Math.max(1, Math.ceil(groups.order.length / SAMPLE_ROWS));
  const chosen: number[] = [];
  let capacity = 0;
  for (let e = 0; e < groups.names.length; e += step) {
    const n = groups.starts[e + 1] - groups.starts[e];
    if (n < Math.max(minHistory, 2)) continue;
    chosen.push(e);
    capacity += n;
  }
  const flat: Source = { transformed, d, slots, profile: [] };
  const scratch = new Float64Array(ENTITY_SAMPLE * d);
  const medians = new Float64Array(d);
  const residuals = new Float64Array(capacity * d);
  const residualSlots = new Int16Array(capacity);
  let sampled = 0;
  for (const e of chosen) {
    const from = groups.starts[e];
    const n = groups.starts[e + 1] - from;
    const taken = Math.min(n, ENTITY_SAMPLE);
    gatherColumns(flat, groups.order, from, n, taken, scratch);
    for (let j = 0; j < d; j++) medians[j] = medianInPlace(scratch.subarray(j * taken, (j + 1) * taken));
    for (let r = from; r < from + n; r++) {
      const i = groups.order[r];
      if (slots[i] < 0) continue;
      residualSlots[sampled] = slots[i];
      for (let j = 0; j < d; j++) residuals[sampled * d + j] = transformed[i * d + j] - medians[j];
      sampled++;
    }
  }
  const perSlot = new Int32Array(PROFILE_SLOTS);
  for (let r = 0; r < sampled; r++) perSlot[residualSlots[r]]++;
  let used = 0;
  for (const count of perSlot) if (count > 0) used++;
  if (used < 2) return [];
  const slotStarts = new Int32Array(PROFILE_SLOTS + 1);
  for (let slot = 0; slot < PROFILE_SLOTS; slot++) slotStarts[slot + 1] = slotStarts[slot] + perSlot[slot];
  const next = slotStarts.slice(0, PROFILE_SLOTS);
  const bySlot = new Int32Array(sampled);
  for (let r = 0; r < sampled; r++) bySlot[next[residualSlots[r]]++] = r;
  const profile: number[][] = [];
  for (let slot = 0; slot < PROFILE_SLOTS; slot++) {
    const count = perSlot[slot];
    const values = new Float64Array(count);
    const offsets: number[] = [];
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < count; k++) values[k] = residuals[bySlot[slotStarts[slot] + k] * d + j];
      offsets.push(count === 0 ? 0 : (medianInPlace(values) * count) / (count + PROFILE_PRIOR));
    }
    profile.push(offsets);
  }
  return profile;
}

/** The statistics a window of `entity` is scored against, and which kind they are. */
export function baselineFor(
  baseline: BaselineStatistics,
  entity: string,
): { center: number[]; scale: number[]; source: 'entity' | 'population' } {
  if (Object.hasOwn(baseline.entities, entity)) {
    const own = baseline.entities[entity];
    return { center: own.center, scale: own.scale, source: 'entity' };
  }
  return { ...baseline.population, source: 'population' };
}

/** Time-slot offset of feature j for a window start, 0 when the baseline has no profile or the time is unknown. */
export function profileOffset(baseline: BaselineStatistics, slot: number, j: number): number {
  return slot < 0 || baseline.profile.length === 0 ? 0 : baseline.profile[slot][j];
}
