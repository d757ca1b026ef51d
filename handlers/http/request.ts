// The /detect request: media type, size, JSON and schema checks, each failure a 4xx naming the field.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import type { FeatureRow, PantherEvent } from '../engine/types';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors';

/** At most this many events or rows per request: the body limit bounds bytes, this bounds work. */
export const MAX_ITEMS = 20_000;

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO-8601 time');

const rowSchema = z.strictObject({
  entity: z.string().min(1, 'must be a non-empty string'),
  windowStart: isoTime,
  logType: z.string().min(1).optional(),
  features: z.record(z.string(), z.number()),
});

const eventSchema = z.record(z.string(), z.unknown()).superRefine((event, ctx) => {
  const logType = event.p_log_type ?? event.logType;
  if (typeof logType !== 'string' || logType === '') {
    ctx.addIssue({ code: 'custom', path: ['p_log_type'], message: 'each event needs a p_log_type (or logType) string' });
  }
});

// The key the caller sent picks the schema, so an error speaks of the shape they meant.
const eventsRequest = z.strictObject({ events: z.array(eventSchema).min(1, 'must hold at least one event').max(MAX_ITEMS) });
const rowsRequest = z.strictObject({
  rows: z.array(rowSchema).min(1, 'must hold at least one row').max(MAX_ITEMS),
  /** Which model scores the rows when the document has more than one and the rows do not say. */
  logType: z.string().min(1).optional(),
});

export type DetectRequest =
  | { kind: 'events'; events: PantherEvent[] }
  | { kind: 'rows'; rows: FeatureRow[]; logType?: string };

/** `['rows', 0, 'features', 'x']` -> `rows[0].features.x`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || 'body';
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}

/** application/json, with parameters, or any `+json` type. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** The body as text, decoding base64 when API Gateway encoded it; 413 before anything is parsed. */
export function bodyText(event: APIGatewayProxyEvent, maxBytes: number): string {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : undefined;
  // Measured without copying the text: a plain body is used as it came.
  const size = bytes ? bytes.length : Buffer.byteLength(raw, 'utf8');
  if (size > maxBytes) throw new PayloadTooLargeError(size, maxBytes);
  return bytes ? bytes.toString('utf8') : raw;
}

function firstIssue(error: z.ZodError): BadRequestError {
  const field = fieldPath(error.issues[0].path);
  return new BadRequestError(`${field}: ${error.issues[0].message}`, field);
}

export function parseDetectRequest(event: APIGatewayProxyEvent, maxBytes: number): DetectRequest {
  const contentType = header(event, 'content-type');
  if (!isJsonMediaType(contentType)) throw new UnsupportedMediaTypeError(contentType);
  const text = bodyText(event, maxBytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`body: malformed JSON (${(err as Error).message})`, 'body', { cause: err });
  }
  const keys = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
  const hasEvents = keys.includes('events');
  const hasRows = keys.includes('rows');
  if (hasEvents && hasRows) throw new BadRequestError('send either "events" or "rows", not both', 'body');
  if (!hasEvents && !hasRows) throw new BadRequestError('the body must be an object with either "events" or "rows"', 'body');
  if (hasEvents) {
    const parsed = eventsRequest.safeParse(body);
    if (!parsed.success) throw firstIssue(parsed.error);
    return { kind: 'events', events: parsed.data.events };
  }
  const parsed = rowsRequest.safeParse(body);
  if (!parsed.success) throw firstIssue(parsed.error);
  const value = parsed.data;
  const rows: FeatureRow[] = value.rows.map((r) => ({
    entity: r.entity,
    windowStart: new Date(r.windowStart).toISOString(),
    features: r.features,
    ...(r.logType ? { logType: r.logType } : {}),
  }));
  return { kind: 'rows', rows, ...(value.logType ? { logType: value.logType } : {}) };
}
