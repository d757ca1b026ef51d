// Analyst verdicts on (log type, entity, window), stored beside the models as one never-overwritten object each,
// so concurrent analysts never lose each other's writes and training reads them with the access it already has.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { InputError } from '../engine/errors';
import { VersionExistsError, type ObjectStore } from './model-store';

/** One analyst verdict. `label` 1 = true positive (attack), 0 = false positive (benign). */
export interface FeedbackRecord {
  logType: string;
  entity: string;
  /** ISO-8601 UTC; any time inside the window, floored to the window start by the log type's spec in training. */
  windowStart: string;
  label: 0 | 1;
  scenario?: string;
  note?: string;
  author?: string;
  /** When the verdict was recorded; the latest verdict on a window wins. */
  createdAt: string;
}

/** What an analyst gives; the store stamps `createdAt`. */
export type FeedbackInput = Omit<FeedbackRecord, 'createdAt'>;

/** A stored object that could not be used, and why. */
export interface SkippedFeedback {
  key: string;
  reason: string;
}

export interface FeedbackListing {
  /** Valid records, oldest first (ties in key order). */
  records: FeedbackRecord[];
  skipped: SkippedFeedback[];
}

export interface FeedbackStore {
  /** Where the records live, for messages. */
  readonly location: string;
  /** Validates and writes one record under a new key; returns the key and the record as stored. */
  add(input: FeedbackInput, now?: Date): Promise<{ key: string; record: FeedbackRecord }>;
  /** Every readable record; unreadable or invalid objects are skipped and reported, never thrown. */
  list(): Promise<FeedbackListing>;
}

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const isoTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 time, e.g. 2026-01-05T13:00:00Z' })
  .transform((value) => new Date(value).toISOString());

const recordSchema = z.object({
  logType: text(200),
  entity: text(2048),
  windowStart: isoTime,
  label: z.union([z.literal(0), z.literal(1)], { message: 'must be 1 (attack) or 0 (benign)' }),
  scenario: text(200).optional(),
  note: z.string().max(4000, 'must be at most 4000 characters').optional(),
  author: text(200).optional(),
  createdAt: isoTime,
});

/** A feedback record from JSON, validated; an InputError names the offending field. */
export function parseFeedback(value: unknown): FeedbackRecord {
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map(String).join('.') || '(root)';
    throw new InputError(`feedback ${field}: ${issue.message}`, { field });
  }
  const record: FeedbackRecord = { ...parsed.data };
  // Optional fields absent rather than undefined, so the stored JSON and a parsed copy compare equal.
  for (const key of ['scenario', 'note', 'author'] as const) if (record[key] === undefined) delete record[key];
  return record;
}

/** The object key of a new record: its time (sorts by time) plus random hex (unique between writers). */
export function feedbackKey(prefix: string, createdAt: Date, suffix: string = randomBytes(4).toString('hex')): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${prefix}feedback/${stamp}-${suffix}.json`;
}

/** Reads run this many at a time: enough to hide S3 latency, few enough to stay polite. */
const READ_CONCURRENCY = 8;
/** Fresh random suffixes tried when a key is taken, before the write gives up. */
const KEY_ATTEMPTS = 3;

export function createFeedbackStore(objects: ObjectStore, prefix = 'models/'): FeedbackStore {
  const folder = `${prefix}feedback/`;

  async function readOne(key: string): Promise<FeedbackRecord | SkippedFeedback> {
    let body: string | null;
    try {
      body = await objects.get(key);
    } catch (err) {
      return { key, reason: `unreadable: ${(err as Error).message}` };
    }
    if (body === null) return { key, reason: 'vanished between listing and reading' };
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { key, reason: 'not JSON' };
    }
    try {
      return parseFeedback(json);
    } catch (err) {
      return { key, reason: (err as Error).message };
    }
  }

  return {
    location: `${objects.location}/${folder}`,
    async add(input, now = new Date()) {
      const record = parseFeedback({ ...input, createdAt: now.toISOString() });
      const body = `${JSON.stringify(record, null, 2)}\n`;
      for (let attempt = 1; ; attempt++) {
        const key = feedbackKey(prefix, now);
        try {
          await objects.put(key, body, { ifAbsent: true, contentType: 'application/json' });
          return { key, record };
        } catch (err) {
          if (!(err instanceof VersionExistsError) || attempt >= KEY_ATTEMPTS) throw err;
        }
      }
    },
    async list() {
      const keys = (await objects.list(folder)).filter((k) => k.endsWith('.json'));
      const results: (FeedbackRecord | SkippedFeedback)[] = new Array(keys.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < keys.length) {
          const i = next++;
          results[i] = await readOne(keys[i]);
        }
      };
      await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, keys.length) }, worker));
      const records: FeedbackRecord[] = [];
      const skipped: SkippedFeedback[] = [];
      for (const r of results) {
        if ('reason' in r) skipped.push(r);
        else records.push(r);
      }
      // Keys sort by write time already; createdAt inside the record is what counts when a key was renamed.
      records.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
      return { records, skipped };
    },
  };
}
