// The CLI's file I/O: JSONL events and window labels (streamed, errors at file:line:column), JSON and text files,
// and the names of files that sit beside another one.

import { createReadStream, createWriteStream, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { InputError } from '../engine/errors';
import type { WindowLabel } from '../engine/simulator';
import type { PantherEvent } from '../engine/types';
import { CsvInputError, parseWindowStart } from './csv';

/** Turns "file not found" and its kind into an InputError that names the file; other errors pass through. */
export function fileError(file: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file',
    EISDIR: 'is a directory, not a file',
    EACCES: 'permission denied',
    ENOTDIR: 'a part of the path is not a directory',
  };
  if (code !== undefined && reasons[code] !== undefined) return new InputError(`${file}: ${reasons[code]}`, { field: file, cause: error });
  return error;
}

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw fileError(file, error);
  }
}

export function writeText(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw fileError(file, error);
  }
}

/** Parses a JSON file; a syntax error is an InputError at file:line:column. */
export function readJson(file: string): unknown {
  const text = readText(file);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw jsonError(file, text, 1, error);
  }
}

/** Where JSON.parse stopped, as line and column within `text` (Node reports a character position). */
export function jsonErrorPosition(text: string, error: unknown): { line: number; column: number } | undefined {
  const match = /position (\d+)/.exec((error as Error).message ?? '');
  if (!match) return undefined;
  const position = Math.min(Number(match[1]), text.length);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  return { line, column: position - before.lastIndexOf('\n') };
}

function jsonError(file: string, text: string, firstLine: number, error: unknown): InputError {
  const where = jsonErrorPosition(text, error);
  // V8 quotes the whole offending text in some messages: a line of JSONL can be kilobytes, so leave it out.
  const reason = String((error as Error).message)
    .replace(/ in JSON at position \d+.*$/, '')
    .replace(/, ".*" is not valid JSON$/s, '');
  const message = `not valid JSON: ${reason}`;
  return where === undefined
    ? new CsvInputError(file, { line: firstLine, message })
    : new CsvInputError(file, { line: firstLine + where.line - 1, column: where.column, message });
}

/**
 * Streams the JSON objects of a JSONL file (one per line, blank lines skipped) to `onItem` with their line
 * numbers. A file whose first character is `[` is read as one JSON array instead (a Panther results export).
 */
export async function readJsonLines(file: string, onItem: (item: unknown, line: number) => void): Promise<number> {
  let stream;
  try {
    stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  } catch (error) {
    throw fileError(file, error);
  }
  let rest = '';
  let line = 0;
  let first = true;
  let array: string[] | undefined;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      if (first) {
        first = false;
        if (chunk.trimStart().startsWith('[')) array = [];
      }
      if (array !== undefined) {
        array.push(chunk);
        continue;
      }
      const text = rest + chunk;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        line++;
        parseLine(file, text.slice(start, nl), line, onItem);
        start = nl + 1;
      }
      rest = text.slice(start);
    }
  } catch (error) {
    throw fileError(file, error);
  }
  if (array !== undefined) {
    const text = array.join('');
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch (error) {
      throw jsonError(file, text, 1, error);
    }
    if (!Array.isArray(items)) throw new CsvInputError(file, { line: 1, message: 'expected a JSON array of events' });
    items.forEach((item) => onItem(item, 1));
    return items.length;
  }
  if (rest !== '') parseLine(file, rest, line + 1, onItem);
  return line + (rest !== '' ? 1 : 0);
}

function parseLine(file: string, text: string, line: number, onItem: (item: unknown, line: number) => void): void {
  if (text.trim() === '') return;
  let item: unknown;
  try {
    item = JSON.parse(text);
  } catch (error) {
    throw jsonError(file, text, line, error);
  }
  onItem(item, line);
}

/** Panther events of a JSONL file; each line must be a JSON object. */
export async function readEvents(file: string, onEvent: (event: PantherEvent) => void): Promise<void> {
  await readJsonLines(file, (item, line) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new CsvInputError(file, { line, column: 1, message: 'each line must be a JSON object (one Panther event)' });
    }
    onEvent(item as PantherEvent);
  });
}

/** Window labels of a JSONL file: `{logType, entity, windowStart, scenario}` per line. */
export async function readLabels(file: string): Promise<WindowLabel[]> {
  const labels: WindowLabel[] = [];
  await readJsonLines(file, (item, line) => {
    const l = item as Partial<WindowLabel> | null;
    for (const key of ['logType', 'entity', 'windowStart', 'scenario'] as const) {
      if (l === null || typeof l !== 'object' || typeof l[key] !== 'string') {
        throw new CsvInputError(file, { line, message: `a label needs a string "${key}" (fields: logType, entity, windowStart, scenario)` });
      }
    }
    const label = l as WindowLabel;
    // Labels are matched to rows by their text: normalise to the ISO form the aggregator writes.
    const t = parseWindowStart(label.windowStart);
    labels.push({ ...label, windowStart: Number.isNaN(t) ? label.windowStart : new Date(t).toISOString() });
  });
  return labels;
}

/** Writes items as JSONL through a stream, so millions of events never become one string. */
export async function writeJsonLines(file: string, items: Iterable<unknown>): Promise<void> {
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', (error) => reject(fileError(file, error)));
  });
  let batch: string[] = [];
  for (const item of items) {
    batch.push(JSON.stringify(item));
    if (batch.length >= 2000) {
      if (!out.write(`${batch.join('\n')}\n`)) await new Promise<void>((resolve) => out.once('drain', resolve));
      batch = [];
    }
  }
  if (batch.length > 0) out.write(`${batch.join('\n')}\n`);
  out.end();
  await done;
}

/** `events.jsonl` -> `events.labels.jsonl`: where simulate puts the labels and features looks for them. */
export function labelsPathFor(eventsFile: string): string {
  const ext = extname(eventsFile);
  const stem = ext === '' ? basename(eventsFile) : basename(eventsFile, ext);
  return join(dirname(eventsFile), `${stem}.labels.jsonl`);
}

/** The labels file to use: the one given, else the one beside the events when it exists, else none. */
export function labelsFileFor(eventsFile: string, given?: string): string | undefined {
  if (given !== undefined) return given;
  const beside = labelsPathFor(eventsFile);
  return existsSync(beside) ? beside : undefined;
}

/** `rows.csv` + `AWS.CloudTrail` -> `rows.aws_cloudtrail.csv`: one feature file per log type. */
export function perLogTypePath(file: string, logType: string): string {
  const ext = extname(file) || '.csv';
  const stem = extname(file) === '' ? basename(file) : basename(file, ext);
  const slug = logType.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  return join(dirname(file), `${stem}.${slug}${ext}`);
}
