// Reading Panther events: dotted field paths compiled to accessors, the text form SQL compares against, and time.
import type { FieldPath, PantherEvent } from './types';

/** Reads one field of an event as text, or undefined when it is absent or null. */
export type FieldReader = (event: PantherEvent) => string | undefined;

/** A path segment both SQL dialects accept unquoted inside a VARIANT / JSON path. */
export const PATH_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function splitPath(path: FieldPath): string[] {
  return path.split('.');
}

/**
 * The text a value has in SQL after `::varchar` (Snowflake) or `json_extract_string` (DuckDB): strings as they
 * are, numbers and booleans in their JSON spelling, null as absent. Objects and arrays are JSON text in both
 * engines; their spacing can differ, so specs should not compare them.
 */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** Compiles a dotted path once into a closure, so the per-event cost is a few property loads. */
export function fieldReader(path: FieldPath): FieldReader {
  const parts = splitPath(path);
  if (parts.length === 1) {
    const [a] = parts;
    return (e) => textOf(e[a]);
  }
  if (parts.length === 2) {
    const [a, b] = parts;
    return (e) => {
      const x = e[a];
      return x !== null && typeof x === 'object' ? textOf((x as Record<string, unknown>)[b]) : undefined;
    };
  }
  if (parts.length === 3) {
    const [a, b, c] = parts;
    return (e) => {
      const x = e[a];
      if (x === null || typeof x !== 'object') return undefined;
      const y = (x as Record<string, unknown>)[b];
      return y !== null && typeof y === 'object' ? textOf((y as Record<string, unknown>)[c]) : undefined;
    };
  }
  return (e) => {
    let x: unknown = e;
    for (let i = 0; i < parts.length; i++) {
      if (x === null || typeof x !== 'object') return undefined;
      x = (x as Record<string, unknown>)[parts[i]];
    }
    return textOf(x);
  };
}

/** A field counts as present when it is neither absent, null nor the empty string (SQL: `NULLIF(x, '')`). */
export function isPresent(text: string | undefined): text is string {
  return text !== undefined && text !== '';
}

/** Reads the first present field of a list: the entity key and the time fallbacks. */
export function firstPresentReader(paths: FieldPath[]): FieldReader {
  const readers = paths.map(fieldReader);
  if (readers.length === 1) {
    const [r] = readers;
    return (e) => {
      const v = r(e);
      return isPresent(v) ? v : undefined;
    };
  }
  return (e) => {
    for (let i = 0; i < readers.length; i++) {
      const v = readers[i](e);
      if (isPresent(v)) return v;
    }
    return undefined;
  };
}

const DIGIT0 = 48;

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - DIGIT0;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Epoch milliseconds of Panther's `2026-01-05 13:04:05.123` (UTC, what `p_event_time` holds) or ISO-8601 with
 * `T`, optional fraction and `Z` / `±HH:MM` / no zone (read as UTC, like Panther). NaN when not a time.
 * Hand-parsed: `Date.parse` reads the Panther form as local time, and this is on the per-event path.
 */
export function parseEventTime(s: string): number {
  const n = s.length;
  if (n < 19) return NaN;
  const sep = s.charCodeAt(10);
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (sep !== 32 && sep !== 84)) return NaN;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && sec <= 60)) return NaN;
  let i = 19;
  let ms = 0;
  if (i < n && s.charCodeAt(i) === 46) {
    i++;
    let scale = 100;
    const from = i;
    while (i < n) {
      const c = s.charCodeAt(i) - DIGIT0;
      if (c < 0 || c > 9) break;
      // Sub-millisecond digits are truncated, as a TIMESTAMP(3) cast would.
      ms += c * scale;
      scale /= 10;
      i++;
    }
    if (i === from) return NaN;
    ms = Math.floor(ms);
  }
  let offsetMin = 0;
  if (i < n) {
    const c = s.charCodeAt(i);
    if (c === 90 && i === n - 1) {
      i++;
    } else if ((c === 43 || c === 45) && (n - i === 6 || n - i === 5)) {
      const oh = digits(s, i + 1, 2);
      const om = s.charCodeAt(i + 3) === 58 ? digits(s, i + 4, 2) : digits(s, i + 3, 2);
      if (Number.isNaN(oh) || Number.isNaN(om)) return NaN;
      offsetMin = (c === 43 ? 1 : -1) * (oh * 60 + om);
      i = n;
    } else {
      return NaN;
    }
  }
  if (Number.isNaN(y + mo + d + h + mi + sec)) return NaN;
  return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi - offsetMin) * 60000 + sec * 1000 + ms;
}

/** Largest epoch ms a Date holds (±100,000,000 days); past it there is no window start to name. */
const MAX_TIME_MS = 8.64e15;

/** Epoch ms of an event-time value: text as above, a Date, or epoch ms. */
export function eventTimeOf(value: unknown): number {
  if (typeof value === 'string') return parseEventTime(value);
  if (typeof value === 'number') return Math.abs(value) <= MAX_TIME_MS ? value : NaN;
  if (value instanceof Date) return value.getTime();
  return NaN;
}

/** `YYYY-MM-DDTHH:MM:SS.000Z` of a window start, the form both SQL dialects emit. */
export function isoWindowStart(ms: number): string {
  return new Date(ms).toISOString();
}
