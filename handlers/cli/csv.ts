// Feature-row CSV files, read straight into a columnar FeatureTable and written back. Quoted text goes through
// csv-parse, quote-free text through an exact byte scanner; errors name file:line:column; large files are split
// at record boundaries and parsed on worker threads in parallel.

import { readFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parse } from 'csv-parse/sync';
import { InputError } from '../engine/errors';
import { parseEventTime } from '../engine/fields';
import type { FeatureTable } from '../engine/types';

export const ENTITY_COLUMN = 'entity';
export const WINDOW_COLUMN = 'window_start';
export const LABEL_COLUMN = 'label';
export const SCENARIO_COLUMN = 'scenario';
const KEY_COLUMNS = new Set([ENTITY_COLUMN, WINDOW_COLUMN, LABEL_COLUMN, SCENARIO_COLUMN]);

const QUOTE = 0x22;
const NEWLINE = 0x0a;
/** Records are handed to csv-parse in slices of about this size, so no more than one slice of strings is alive. */
const SLICE_BYTES = 4 << 20;
/** Below this size a file is parsed on the calling thread: starting workers would cost more than it saves. */
const DEFAULT_MIN_PARALLEL_BYTES = 16 << 20;

/** Where each column of a feature CSV goes; found once from the header. */
export interface CsvLayout {
  /** Number of fields every record must have. */
  width: number;
  header: string[];
  entity: number;
  windowStart: number;
  /** -1 when the file has no such column. */
  label: number;
  scenario: number;
  featureNames: string[];
  /** Column index of each feature, in featureNames order. */
  featureColumns: number[];
}

export interface CsvReadOptions {
  /** The file's name as the user gave it; every error message starts with it. */
  file: string;
  /** A model's feature names: the file must have exactly these feature columns (in any order). */
  expectedFeatures?: readonly string[];
  logType?: string;
  /** Called now and then with the number of rows read so far. */
  onProgress?: (rowsRead: number) => void;
  /** Parsers to run at once for a large file; default: the machine's cores, at most 4. */
  parallelism?: number;
  minParallelBytes?: number;
}

/** One contiguous run of records, parsed: what a worker sends back. Strings are interned per part. */
export interface CsvPart {
  rows: number;
  entityNames: string[];
  entityCodes: Int32Array;
  windowStarts: Float64Array;
  /** The window_start text of each row, as a code into windowNames. */
  windowCodes: Int32Array;
  windowNames: string[];
  values: Float64Array;
  labels: Int8Array;
  scenarioNames: string[];
  /** -1 = no scenario. */
  scenarioCodes: Int32Array;
}

/** What a worker is asked to parse: bytes [start, end) of the file, whose first record is on line firstLine. */
export interface CsvPartRequest {
  data: Uint8Array;
  start: number;
  end: number;
  firstLine: number;
  layout: CsvLayout;
  file: string;
}

/** A parse failure located in the file, carried across the worker boundary as plain data. */
export interface CsvFault {
  line: number;
  column?: number;
  message: string;
}

/** An InputError located in a CSV file; its message reads `file:line:column: what is wrong`. */
export class CsvInputError extends InputError {
  readonly fault: CsvFault;
  constructor(file: string, fault: CsvFault) {
    const where = fault.column === undefined ? `${file}:${fault.line}` : `${file}:${fault.line}:${fault.column}`;
    super(`${where}: ${fault.message}`, { field: file });
    this.fault = fault;
  }
}

export function csvError(file: string, fault: CsvFault): CsvInputError {
  return new CsvInputError(file, fault);
}

// ---------------------------------------------------------------------------------------------------------------
// Record boundaries

/**
 * Index just past the first newline at or after `from` that ends a record (is outside quotes), or data.length.
 * A newline is outside quotes when the quotes before it, counted from a record start, are even: RFC 4180 doubles
 * a quote inside a quoted field, so the parity holds. Without any quote the search is a plain byte search.
 */
export function recordBoundary(data: Uint8Array, recordStart: number, from: number): number {
  let quotes = 0;
  let q = data.indexOf(QUOTE, recordStart);
  while (q !== -1 && q < from) {
    quotes++;
    q = data.indexOf(QUOTE, q + 1);
  }
  let pos = from;
  for (;;) {
    const nl = data.indexOf(NEWLINE, pos);
    if (nl === -1) return data.length;
    while (q !== -1 && q < nl) {
      quotes++;
      q = data.indexOf(QUOTE, q + 1);
    }
    if (quotes % 2 === 0) return nl + 1;
    pos = nl + 1;
  }
}

/**
 * A Buffer view of the bytes, without copying: Buffer's indexOf is a native byte search, where a plain
 * Uint8Array's (what a worker receives) walks element by element, and slowly on shared memory.
 */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function countNewlines(data: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let p = data.indexOf(NEWLINE, start); p !== -1 && p < end; p = data.indexOf(NEWLINE, p + 1)) n++;
  return n;
}

/** Splits bytes [start, data.length) into at most `parts` runs of whole records. */
export function splitRecords(data: Uint8Array, start: number, parts: number): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  const size = data.length - start;
  let from = start;
  for (let k = 1; k <= parts && from < data.length; k++) {
    const target = start + Math.floor((size * k) / parts);
    const end = k === parts ? data.length : recordBoundary(data, from, Math.max(from, target));
    runs.push({ start: from, end });
    from = end;
  }
  return runs;
}

// ---------------------------------------------------------------------------------------------------------------
// Header

function parseRecords(data: Uint8Array, info: boolean): (string[] | { record: string[]; info: { lines: number } })[] {
  return parse(asBuffer(data), {
    relax_column_count: true,
    skip_empty_lines: true,
    info,
  });
}

/** Runs csv-parse and turns its own errors (an unclosed quote, ...) into located faults. */
function parseOrFault<T>(run: () => T, file: string, firstLine: number): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof InputError) throw error;
    const e = error as { message?: string; lines?: number; code?: string };
    const line = typeof e.lines === 'number' ? firstLine + e.lines - 1 : firstLine;
    throw csvError(file, { line, message: `not valid CSV: ${(e.message ?? String(error)).replace(/\s*at line \d+.*$/, '')}` });
  }
}

/** Reads the header record: which columns are the keys, the label, the scenario and the features. */
export function readLayout(headerFields: string[], file: string, expectedFeatures?: readonly string[]): CsvLayout {
  const header = headerFields.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') throw csvError(file, { line: 1, column: i + 1, message: 'empty column name in the header' });
    if (seen.has(name)) {
      throw csvError(file, { line: 1, column: i + 1, message: `column "${name}" appears twice (also column ${seen.get(name)! + 1})` });
    }
    seen.set(name, i);
  });
  for (const required of [ENTITY_COLUMN, WINDOW_COLUMN]) {
    if (!seen.has(required)) {
      throw csvError(file, {
        line: 1,
        message: `missing column "${required}": the header must start with ${ENTITY_COLUMN},${WINDOW_COLUMN}[,${LABEL_COLUMN}][,${SCENARIO_COLUMN}] followed by numeric feature columns`,
      });
    }
  }
  const present = header.filter((name) => !KEY_COLUMNS.has(name));
  let featureNames = present;
  if (expectedFeatures !== undefined) {
    const missing = expectedFeatures.filter((name) => !seen.has(name));
    if (missing.length > 0) {
      throw csvError(file, {
        line: 1,
        message: `feature set differs from the model: missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}`,
      });
    }
    const expected = new Set(expectedFeatures);
    const extra = present.find((name) => !expected.has(name));
    if (extra !== undefined) {
      throw csvError(file, {
        line: 1,
        column: seen.get(extra)! + 1,
        message: `feature set differs from the model: column "${extra}" is not one of the model's features (${expectedFeatures.join(', ')})`,
      });
    }
    featureNames = [...expectedFeatures];
  }
  if (featureNames.length === 0) {
    throw csvError(file, { line: 1, message: 'no feature columns: add at least one numeric column after the key columns' });
  }
  return {
    width: header.length,
    header,
    entity: seen.get(ENTITY_COLUMN)!,
    windowStart: seen.get(WINDOW_COLUMN)!,
    label: seen.get(LABEL_COLUMN) ?? -1,
    scenario: seen.get(SCENARIO_COLUMN) ?? -1,
    featureNames,
    featureColumns: featureNames.map((name) => seen.get(name)!),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Field values

/** A feature value: a finite number, or true/false as 1/0 (flag columns). Null when it is neither. */
export function parseFeatureValue(text: string): number | null {
  const v = +text;
  if (v === v && v !== Infinity && v !== -Infinity) {
    // `+''` and `+'  '` are 0: only accept a 0 that was written with a digit.
    if (v === 0 && !/\d/.test(text)) return null;
    return v;
  }
  const lower = text.trim().toLowerCase();
  if (lower === 'true') return 1;
  if (lower === 'false') return 0;
  return null;
}

/** 1, 0, or -1 for unknown (empty); null when the text is none of 0/1/true/false. */
export function parseLabel(text: string): 1 | 0 | -1 | null {
  const t = text.trim().toLowerCase();
  if (t === '') return -1;
  if (t === '1' || t === 'true' || t === '1.0') return 1;
  if (t === '0' || t === 'false' || t === '0.0') return 0;
  return null;
}

/** Largest epoch ms a Date holds; past it a time cannot be written back as ISO-8601. */
const MAX_TIME_MS = 8.64e15;

/**
 * Window start as epoch milliseconds: an ISO-8601 or Panther time (`2026-01-05 13:00:00`; no zone means UTC, as
 * in Panther), a date (`2026-01-05`, UTC midnight), or a number of epoch seconds (below 1e11) or milliseconds.
 * NaN when it is none of these; the engine then treats the row as having no time.
 */
export function parseWindowStart(text: string): number {
  const t = text.trim();
  let ms = parseEventTime(t);
  if (Number.isNaN(ms) && /^\d{4}-\d{2}-\d{2}$/.test(t)) ms = Date.parse(`${t}T00:00:00Z`);
  if (Number.isNaN(ms)) {
    const n = parseFeatureValue(t);
    if (n === null) return NaN;
    ms = Math.abs(n) < 1e11 ? n * 1000 : n;
  }
  return Math.abs(ms) <= MAX_TIME_MS ? ms : NaN;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing a run of records

/**
 * Records of a slice that holds no quote character and no carriage return other than in CRLF line ends. There
 * the CSV grammar has nothing left to interpret: a record is a line and its fields are the text between commas,
 * which is what csv-parse yields for such text (a property test in test/cli/csv.test.ts holds the two paths to
 * the same tables).
 * Splitting that text directly is many times faster than csv-parse's byte-at-a-time state machine, so most
 * machine-written feature files take this path, and anything quoted goes through csv-parse.
 */
export function isPlainSlice(data: Uint8Array, start: number, end: number): boolean {
  const quote = data.indexOf(QUOTE, start);
  if (quote !== -1 && quote < end) return false;
  for (let cr = data.indexOf(0x0d, start); cr !== -1 && cr < end; cr = data.indexOf(0x0d, cr + 1)) {
    if (cr + 1 >= end || data[cr + 1] !== NEWLINE) return false;
  }
  return true;
}

/** A fault found in one record: the column (1-based) when known, and what is wrong. No line: the caller knows it. */
type RecordFault = { column?: number; message: string };

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * Parses a plain decimal (`-12`, `0.25`, `3.`) in bytes [start, end) of UTF-8 text, without making a string; NaN for anything else (exponents, flags, blanks), which the caller parses the slow way. With at most
 * 15 digits the digits form an exact integer below 2^53 and 10^k is exact, so one IEEE division gives the
 * correctly rounded value: exactly what `+text` returns (Clinger's fast path).
 */
export function parsePlainDecimal(data: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  const first = data[i];
  if (first === 45 /* - */) {
    negative = true;
    i++;
  } else if (first === 43 /* + */) {
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < end; i++) {
    const c = data[i];
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (dot) fraction++;
    } else if (c === 46 /* . */ && !dot) {
      dot = true;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  const value = fraction === 0 ? mantissa : mantissa / POW10[fraction];
  return negative ? -value : value;
}

/** Columns of one part as they fill up; strings are interned so a part carries each name once. */
class PartColumns {
  rows = 0;
  readonly values: Float64Array;
  readonly windowStarts: Float64Array;
  readonly windowCodes: Int32Array;
  readonly labels: Int8Array;
  readonly entityCodes: Int32Array;
  readonly scenarioCodes: Int32Array;
  readonly entityNames: string[] = [];
  readonly scenarioNames: string[] = [];
  readonly windowNames: string[] = [];
  private readonly entityIndex = new Map<string, number>();
  private readonly windowIndex = new Map<string, number>();
  private readonly scenarioIndex = new Map<string, number>();
  private lastWindowText = '';
  private lastWindow = NaN;
  private lastWindowCode = -1;
  private lastWindowBytes: Uint8Array = new Uint8Array(0);
  /** Per column: its feature index (>= 0), or which key column it is. */
  private readonly roles: Int32Array;

  constructor(
    private readonly layout: CsvLayout,
    capacity: number,
  ) {
    this.values = new Float64Array(capacity * layout.featureColumns.length);
    this.windowStarts = new Float64Array(capacity);
    this.windowCodes = new Int32Array(capacity);
    this.labels = new Int8Array(capacity);
    this.entityCodes = new Int32Array(capacity);
    this.scenarioCodes = new Int32Array(capacity);
    this.roles = new Int32Array(layout.width).fill(ROLE_UNUSED);
    layout.featureColumns.forEach((c, j) => (this.roles[c] = j));
    this.roles[layout.entity] = ROLE_ENTITY;
    this.roles[layout.windowStart] = ROLE_WINDOW;
    if (layout.label >= 0) this.roles[layout.label] = ROLE_LABEL;
    if (layout.scenario >= 0) this.roles[layout.scenario] = ROLE_SCENARIO;
  }

  /** Adds one record as csv-parse returns it; returns a fault when a field is not acceptable. */
  add(record: string[]): RecordFault | undefined {
    const layout = this.layout;
    if (record.length !== layout.width) return this.widthFault(record.length);
    const width = layout.featureColumns.length;
    const base = this.rows * width;
    for (let j = 0; j < width; j++) {
      const c = layout.featureColumns[j];
      const v = parseFeatureValue(record[c]);
      if (v === null) return this.valueFault(c, record[c]);
      this.values[base + j] = v;
    }
    return this.addKeys(record[layout.entity], record[layout.windowStart], layout.label >= 0 ? record[layout.label] : '', layout.scenario >= 0 ? record[layout.scenario] : '');
  }

  /**
   * Adds the record in bytes [start, end) of a plain slice (see isPlainSlice). Plain decimals are read in place
   * (see parsePlainDecimal), so the hot path makes no string for a numeric field; anything else in a numeric
   * column takes the slow path through parseFeatureValue.
   */
  addPlain(data: Buffer, start: number, end: number): RecordFault | undefined {
    const layout = this.layout;
    const roles = this.roles;
    const width = layout.width;
    const values = this.values;
    const base = this.rows * layout.featureColumns.length;
    let entity = '';
    let windowFrom = -1;
    let windowTo = -1;
    let label = '';
    let scenario = '';
    let field = 0;
    let pos = start;
    for (;;) {
      if (field >= width) return this.widthFault(field + 1 + countByte(data, COMMA, pos, end));
      const role = roles[field];
      let stop: number;
      if (role >= 0) {
        stop = fieldEnd(data, pos, end);
        let v = parsePlainDecimal(data, pos, stop);
        if (v !== v) {
          const text = data.toString('utf8', pos, stop);
          const parsed = parseFeatureValue(text);
          if (parsed === null) return this.valueFault(field, text);
          v = parsed;
        }
        values[base + role] = v;
      } else {
        stop = fieldEnd(data, pos, end);
        if (role === ROLE_ENTITY) entity = data.toString('utf8', pos, stop);
        else if (role === ROLE_WINDOW) {
          windowFrom = pos;
          windowTo = stop;
        } else if (role === ROLE_LABEL) {
          const c = data[pos];
          label = stop === pos + 1 && (c === 48 || c === 49) ? (c === 49 ? '1' : '0') : data.toString('utf8', pos, stop);
        } else if (role === ROLE_SCENARIO) {
          scenario = stop === pos ? '' : data.toString('utf8', pos, stop);
        }
      }
      field++;
      if (stop >= end) break;
      pos = stop + 1;
    }
    if (field !== width) return this.widthFault(field);
    // Rows of one window usually follow each other: compare bytes before making a string.
    let windowText = this.lastWindowText;
    if (!sameBytes(data, windowFrom, windowTo, this.lastWindowBytes)) {
      windowText = data.toString('utf8', windowFrom, windowTo);
      this.lastWindowBytes = data.subarray(windowFrom, windowTo);
    }
    return this.addKeys(entity, windowText, label, scenario);
  }

  private widthFault(found: number): RecordFault {
    return { message: `expected ${this.layout.width} fields as in the header, found ${found}` };
  }

  private valueFault(column: number, text: string): RecordFault {
    return { column: column + 1, message: `column "${this.layout.header[column]}": ${text.trim() === '' ? 'empty value' : `"${text}" is not a number`}` };
  }

  /** Sets the entity, window, label and scenario of the row whose features are in place, and counts the row. */
  private addKeys(entity: string, windowText: string, labelText: string, scenario: string): RecordFault | undefined {
    const layout = this.layout;
    const row = this.rows;
    if (entity === '') return { column: layout.entity + 1, message: `column "${ENTITY_COLUMN}": empty entity` };
    this.entityCodes[row] = intern(entity, this.entityIndex, this.entityNames);
    if (windowText !== this.lastWindowText || this.lastWindowCode < 0) {
      this.lastWindowText = windowText;
      this.lastWindow = parseWindowStart(windowText);
      this.lastWindowCode = intern(windowText, this.windowIndex, this.windowNames);
    }
    this.windowStarts[row] = this.lastWindow;
    this.windowCodes[row] = this.lastWindowCode;
    if (layout.label >= 0) {
      const label = labelText === '0' ? 0 : labelText === '1' ? 1 : parseLabel(labelText);
      if (label === null) return { column: layout.label + 1, message: `column "${LABEL_COLUMN}": "${labelText}" is not 0, 1, true, false or empty` };
      this.labels[row] = label;
    } else {
      this.labels[row] = -1;
    }
    this.scenarioCodes[row] = scenario === '' ? -1 : intern(scenario, this.scenarioIndex, this.scenarioNames);
    this.rows = row + 1;
    return undefined;
  }

  finish(): CsvPart {
    const n = this.rows;
    return {
      rows: n,
      entityNames: this.entityNames,
      // Views, not copies: the capacity was the line count, so at most a row or two is unused.
      entityCodes: this.entityCodes.subarray(0, n),
      windowStarts: this.windowStarts.subarray(0, n),
      windowCodes: this.windowCodes.subarray(0, n),
      windowNames: this.windowNames,
      values: this.values.subarray(0, n * this.layout.featureColumns.length),
      labels: this.labels.subarray(0, n),
      scenarioNames: this.scenarioNames,
      scenarioCodes: this.scenarioCodes.subarray(0, n),
    };
  }
}

const ROLE_ENTITY = -1;
const ROLE_WINDOW = -2;
const ROLE_LABEL = -3;
const ROLE_SCENARIO = -4;
const ROLE_UNUSED = -5;

const COMMA = 0x2c;

function countByte(data: Buffer, byte: number, start: number, end: number): number {
  let n = 0;
  for (let p = data.indexOf(byte, start); p !== -1 && p < end; p = data.indexOf(byte, p + 1)) n++;
  return n;
}

/** End of the field starting at `from`: the next comma before `end`, or `end`. */
function fieldEnd(data: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) if (data[i] === COMMA) return i;
  return end;
}

function sameBytes(data: Buffer, from: number, to: number, bytes: Uint8Array): boolean {
  if (to - from !== bytes.length) return false;
  for (let k = 0; k < bytes.length; k++) if (data[from + k] !== bytes[k]) return false;
  return true;
}

function intern(name: string, index: Map<string, number>, names: string[]): number {
  let code = index.get(name);
  if (code === undefined) {
    code = names.length;
    names.push(name);
    index.set(name, code);
  }
  return code;
}

/** Parses bytes [start, end) of data, all whole records, into a part. Throws InputError naming file:line:column. */
export function parsePart(request: CsvPartRequest, onSlice?: (rows: number) => void): CsvPart {
  const { start, end, layout, file } = request;
  const data = asBuffer(request.data);
  const columns = new PartColumns(layout, countNewlines(data, start, end) + 1);
  let sliceStart = start;
  let sliceLine = request.firstLine;
  while (sliceStart < end) {
    const sliceEnd = sliceStart + SLICE_BYTES >= end ? end : Math.min(end, recordBoundary(data, sliceStart, sliceStart + SLICE_BYTES));
    const slice = data.subarray(sliceStart, sliceEnd);
    if (isPlainSlice(data, sliceStart, sliceEnd)) {
      let line = sliceLine;
      for (let pos = sliceStart; pos < sliceEnd; line++) {
        const nl = data.indexOf(NEWLINE, pos);
        const lineEnd = nl === -1 || nl >= sliceEnd ? sliceEnd : nl;
        const next = lineEnd === sliceEnd ? sliceEnd : lineEnd + 1;
        let stop = lineEnd;
        if (stop > pos && data[stop - 1] === 0x0d) stop--;
        if (stop > pos) {
          const fault = columns.addPlain(data, pos, stop);
          if (fault !== undefined) throw csvError(file, { line, ...fault });
        }
        pos = next;
      }
    } else {
      const records = parseOrFault(() => parseRecords(slice, false) as string[][], file, sliceLine);
      for (let k = 0; k < records.length; k++) {
        const fault = columns.add(records[k]);
        if (fault !== undefined) {
          // Line numbers are worked out only on failure: csv-parse's per-record info costs half again the parse.
          const located = parseRecords(slice, true) as { info: { lines: number } }[];
          throw csvError(file, { line: sliceLine + located[k].info.lines - 1, ...fault });
        }
      }
    }
    sliceLine += countNewlines(data, sliceStart, sliceEnd);
    sliceStart = sliceEnd;
    onSlice?.(columns.rows);
  }
  return columns.finish();
}

/** Joins parts, in file order, into one table; equal strings share one instance. */
export function joinParts(parts: CsvPart[], layout: CsvLayout, logType?: string): FeatureTable {
  const total = parts.reduce((n, p) => n + p.rows, 0);
  const width = layout.featureNames.length;
  const values = new Float64Array(total * width);
  const windowStarts = new Float64Array(total);
  const labels = new Int8Array(total);
  const entities: string[] = new Array(total);
  const scenarios: (string | undefined)[] = new Array(total);
  const windowTexts: string[] = new Array(total);
  const interned = new Map<string, string>();
  const intern = (s: string): string => {
    const known = interned.get(s);
    if (known !== undefined) return known;
    interned.set(s, s);
    return s;
  };
  let offset = 0;
  for (const part of parts) {
    values.set(part.values, offset * width);
    windowStarts.set(part.windowStarts, offset);
    labels.set(part.labels, offset);
    const names = part.entityNames.map(intern);
    const scenarioNames = part.scenarioNames.map(intern);
    const windowNames = part.windowNames.map(intern);
    for (let i = 0; i < part.rows; i++) {
      entities[offset + i] = names[part.entityCodes[i]];
      windowTexts[offset + i] = windowNames[part.windowCodes[i]];
      const s = part.scenarioCodes[i];
      scenarios[offset + i] = s < 0 ? undefined : scenarioNames[s];
    }
    offset += part.rows;
  }
  const table: FeatureTable = { featureNames: [...layout.featureNames], entities, windowStarts, windowTexts, values, labels, scenarios };
  if (logType !== undefined) table.logType = logType;
  return table;
}

/** Finds the header record and reads the layout; returns where the data records start. */
function headerOf(data: Uint8Array, options: CsvReadOptions): { layout: CsvLayout; bodyStart: number; bodyLine: number } {
  if (data.length === 0 || (data.length <= 3 && data[0] === 0xef)) {
    throw csvError(options.file, { line: 1, message: 'empty file: expected a header line' });
  }
  const headerEnd = recordBoundary(data, 0, 0);
  const records = parseOrFault(() => parseRecords(data.subarray(0, headerEnd), false) as string[][], options.file, 1);
  if (records.length === 0) throw csvError(options.file, { line: 1, message: 'empty file: expected a header line' });
  const layout = readLayout(records[0], options.file, options.expectedFeatures);
  return { layout, bodyStart: headerEnd, bodyLine: 1 + countNewlines(data, 0, headerEnd) };
}

/** Parses a whole feature CSV held in memory, on the calling thread. */
export function parseFeatureCsv(data: Uint8Array | string, options: CsvReadOptions): FeatureTable {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : asBuffer(data);
  const { layout, bodyStart, bodyLine } = headerOf(bytes, options);
  const part = parsePart(
    { data: bytes, start: bodyStart, end: bytes.length, firstLine: bodyLine, layout, file: options.file },
    options.onProgress,
  );
  return joinParts([part], layout, options.logType);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a file, in parallel when it is large

function readIntoShared(path: string): Uint8Array {
  const size = statSync(path).size;
  const bytes = new Uint8Array(new SharedArrayBuffer(size));
  const fd = openSync(path, 'r');
  try {
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, null);
      if (n === 0) break;
      read += n;
    }
    return read === size ? bytes : bytes.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

function startWorker(request: CsvPartRequest): Worker {
  const ext = extname(__filename);
  const script = join(__dirname, `csv-worker${ext}`);
  if (ext !== '.ts') return new Worker(script, { workerData: request });
  // Run from TypeScript sources (tests, tsx), the worker registers the same loader before loading its script.
  const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(script)});`;
  return new Worker(code, { eval: true, workerData: request });
}

function parseOnWorker(request: CsvPartRequest, onRows: (rows: number) => void): Promise<CsvPart> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(request);
    let settled = false;
    worker.on('message', (message: { progress?: number; part?: CsvPart; fault?: CsvFault }) => {
      if (message.progress !== undefined) onRows(message.progress);
      else if (message.fault !== undefined) {
        settled = true;
        reject(csvError(request.file, message.fault));
      } else if (message.part !== undefined) {
        settled = true;
        resolve(message.part);
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`CSV worker for ${request.file} exited with code ${code} before answering`));
    });
  });
}

/**
 * Reads a feature CSV file into a table. Files of minParallelBytes and more are split at record boundaries and
 * parsed by `parallelism` worker threads: csv-parse handles one character at a time, and this is how reading
 * keeps up with training on all cores.
 */
export async function readFeatureCsv(path: string, options: CsvReadOptions): Promise<FeatureTable> {
  const size = statSync(path).size;
  const parallelism = Math.max(1, Math.floor(options.parallelism ?? Math.min(4, availableParallelism())));
  if (parallelism === 1 || size < (options.minParallelBytes ?? DEFAULT_MIN_PARALLEL_BYTES)) {
    return parseFeatureCsv(readFileSync(path), options);
  }
  const data = asBuffer(readIntoShared(path));
  const { layout, bodyStart, bodyLine } = headerOf(data, options);
  const runs = splitRecords(data, bodyStart, parallelism);
  const progress = new Array<number>(runs.length).fill(0);
  let line = bodyLine;
  const requests = runs.map((run) => {
    const request: CsvPartRequest = { data, start: run.start, end: run.end, firstLine: line, layout, file: options.file };
    line += countNewlines(data, run.start, run.end);
    return request;
  });
  const parts = await Promise.all(
    requests.map((request, k) =>
      parseOnWorker(request, (rows) => {
        progress[k] = rows;
        options.onProgress?.(progress.reduce((a, b) => a + b, 0));
      }),
    ),
  );
  return joinParts(parts, layout, options.logType);
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** Quotes a field when it holds a delimiter, a quote, a line break or edge spaces (RFC 4180). */
export function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function windowText(ms: number): string {
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}

/**
 * A feature table as CSV: `entity,window_start[,label][,scenario]` then the features. The label and scenario
 * columns are written when `withLabels` is set (default: when any row has a label or a scenario).
 */
export function formatFeatureCsv(table: FeatureTable, withLabels?: boolean): string {
  const n = table.entities.length;
  const width = table.featureNames.length;
  let labelled = withLabels;
  if (labelled === undefined) {
    labelled = false;
    for (let i = 0; i < n && !labelled; i++) labelled = table.labels[i] !== -1 || table.scenarios[i] !== undefined;
  }
  const header = [ENTITY_COLUMN, WINDOW_COLUMN, ...(labelled ? [LABEL_COLUMN, SCENARIO_COLUMN] : []), ...table.featureNames];
  const lines: string[] = [header.map(csvField).join(',')];
  const windows = new Map<number, string>();
  for (let i = 0; i < n; i++) {
    const ms = table.windowStarts[i];
    let w = windows.get(ms);
    if (w === undefined) {
      w = windowText(ms);
      windows.set(ms, w);
    }
    // A table read from a CSV keeps its own window_start text, so rows written back match the input.
    if (table.windowTexts !== undefined) w = csvField(table.windowTexts[i]);
    let line = `${csvField(table.entities[i])},${w}`;
    if (labelled) {
      const label = table.labels[i];
      line += `,${label === -1 ? '' : label},${csvField(table.scenarios[i] ?? '')}`;
    }
    for (let j = 0; j < width; j++) line += `,${table.values[i * width + j]}`;
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}
