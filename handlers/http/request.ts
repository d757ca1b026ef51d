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

export const detectRequestSchema = z.union([
  z.strictObject({ events: z.array(eventSchema).min(1, 'must hold at least one event').max(MAX_ITEMS) }),
  z.strictObject({
    rows: z.array(rowSchema).min(1, 'must hold at least one row').max(MAX_ITEMS),
    /** Which model scores the rows when the document has more than one and the rows do not say. */
    logType: z.string().min(1).optional(),
  }),
]);

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

/** The body's bytes, decoding base64 when API Gateway encoded it; 413 before anything is parsed. */
export function bodyText(event: APIGatewayProxyEvent, maxBytes: number): string {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) throw new PayloadTooLargeError(bytes.length, maxBytes);
  return bytes.toString('utf8');
}

function firstIssue(error: z.ZodError, body: unknown): BadRequestError {
  // A union reports the branch errors together; show the branch the caller meant (the key they sent).
  const issue = error.issues[0];
  if (issue.code === 'invalid_union' && 'errors' in issue) {
    const keys = body && typeof body === 'object' ? Object.keys(body) : [];
    const branch = keys.includes('rows') ? 1 : keys.includes('events') ? 0 : -1;
    const branchIssues = branch >= 0 ? (issue.errors as z.core.$ZodIssue[][])[branch] : undefined;
    if (branchIssues?.length) {
      const inner = branchIssues[0];
      return new BadRequestError(`${fieldPath(inner.path)}: ${inner.message}`, fieldPath(inner.path));
    }
    return new BadRequestError('the body must be an object with either "events" or "rows"', 'body');
  }
  const field = fieldPath(issue.path);
  return new BadRequestError(`${field}: ${issue.message}`, field);
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
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestError('the body must be an object with either "events" or "rows"', 'body');
  }
  if ('events' in body && 'rows' in body) {
    throw new BadRequestError('send either "events" or "rows", not both', 'body');
  }
  const parsed = detectRequestSchema.safeParse(body);
  if (!parsed.success) throw firstIssue(parsed.error, body);
  const value = parsed.data;
  if ('events' in value) return { kind: 'events', events: value.events };
  const rows: FeatureRow[] = value.rows.map((r) => ({
    entity: r.entity,
    windowStart: new Date(r.windowStart).toISOString(),
    features: r.features,
    ...(r.logType ? { logType: r.logType } : {}),
  }));
  return { kind: 'rows', rows, ...(value.logType ? { logType: value.logType } : {}) };
}
