// What a training invocation asks for: an EventBridge schedule (train up to the event's day) or a manual JSON
// payload naming the window or the look-back; and where the feature specs come from.
import { z } from 'zod';
import { parseFeatureSpecs, DEFAULT_SPECS } from '../engine/spec';
import type { FeatureSpec } from '../engine/types';
import type { ObjectStore } from '../store/model-store';
import { trainingWindow } from './training-job';

const manualSchema = z.strictObject({
  lookbackDays: z.number().int().positive().max(366).optional(),
  start: z.iso.datetime({ offset: true }).optional(),
  end: z.iso.datetime({ offset: true }).optional(),
});

export class TrainingRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingRequestError';
  }
}

/** The training window an invocation asks for; scheduled events and empty payloads use the configured look-back. */
export function trainingRequest(event: unknown, now: Date, lookbackDays: number): { start: Date; end: Date } {
  const e = (event ?? {}) as Record<string, unknown>;
  if (e.source === 'aws.events' || e['detail-type'] === 'Scheduled Event') {
    const at = typeof e.time === 'string' && Number.isFinite(Date.parse(e.time)) ? new Date(e.time) : now;
    return trainingWindow(at, lookbackDays);
  }
  const parsed = manualSchema.safeParse(e);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TrainingRequestError(`training payload ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const { start, end, lookbackDays: days } = parsed.data;
  const window = trainingWindow(end ? new Date(end) : now, days ?? lookbackDays);
  const from = start ? new Date(start) : window.start;
  const to = end ? new Date(end) : window.end;
  if (from >= to) throw new TrainingRequestError('training payload: start must be before end');
  return { start: from, end: to };
}

/** The built-in specs, or the JSON array the stack uploaded under `key`, validated. */
export async function loadSpecs(objects: ObjectStore, key: string | undefined): Promise<FeatureSpec[]> {
  if (!key) return [...DEFAULT_SPECS];
  const text = await objects.get(key);
  if (text === null) throw new Error(`FEATURE_SPECS_KEY ${key} does not exist in ${objects.location}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`feature specs ${objects.location}/${key} are not JSON: ${(err as Error).message}`);
  }
  return parseFeatureSpecs(json);
}
