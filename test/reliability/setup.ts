// What the reliability tests share: a small two-log-type model trained by the real training job on simulated
// events, API Gateway /detect events built from the fixture, sha256 of the current model, and a captured logger.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { simulate, type Simulation } from '../../handlers/engine/simulator';
import { DEFAULT_SPECS } from '../../handlers/engine/spec';
import { eventSource } from '../../handlers/runtime/feature-source';
import { createLogger, type Logger } from '../../handlers/runtime/logger';
import { runTrainingJob, type TrainingSummary } from '../../handlers/runtime/training-job';
import type { ModelStore } from '../../handlers/store/model-store';

export const SIM_START = new Date('2026-01-05T00:00:00Z');
export const SIM_END = new Date('2026-01-09T00:00:00Z');
/** The simulator's four days are a few hundred windows; the stack's gate of 200 would leave Okta out. */
export const SMALL_GATE = Object.freeze({ minWindows: 20, tolerance: 0.02 });

let simulation: Simulation | undefined;

/** Four days of six principals' CloudTrail and Okta traffic (seeded, so every run sees the same events). */
export function smallSimulation(): Simulation {
  simulation ??= simulate({ days: 4, principals: 6, seed: 3, start: SIM_START });
  return simulation;
}

/** Trains on the simulation through the real training job and promotes the result into `store`. */
export async function trainSmallModel(store: ModelStore, logger?: Logger): Promise<TrainingSummary> {
  const summary = await runTrainingJob({
    specs: DEFAULT_SPECS,
    start: SIM_START,
    end: SIM_END,
    source: eventSource(smallSimulation().events),
    store,
    logger,
    gate: SMALL_GATE,
  });
  if (summary.status !== 'promoted') throw new Error(`the small model was not promoted: ${JSON.stringify(summary.gate)}`);
  return summary;
}

const base = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'apigw', 'detect-rows.json'), 'utf8'),
) as APIGatewayProxyEvent;

/** A POST /detect proxy event with the given body text, content type (undefined = no header) and encoding. */
export function detectEvent(body: string | null, contentType: string | undefined = 'application/json', base64 = false): APIGatewayProxyEvent {
  const headers: Record<string, string> = { Accept: '*/*', 'x-api-key': 'fixture-api-key-not-a-secret' };
  if (contentType !== undefined) headers['Content-Type'] = contentType;
  return {
    ...base,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    body: body === null ? null : base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: base64,
  };
}

export function sha256(text: string | null): string {
  return createHash('sha256').update(text ?? '(absent)').digest('hex');
}

/** Hashes of what detection reads: the pointer and the model document it points at. */
export async function currentHashes(store: ModelStore, read: (key: string) => Promise<string | null>, prefix: string) {
  const pointerText = await read(`${prefix}current.json`);
  const pointer = await store.readPointer();
  const modelText = pointer ? await store.readModel(pointer.version) : null;
  return { version: pointer?.version ?? null, pointer: sha256(pointerText), model: sha256(modelText) };
}

export interface CapturedLog {
  logger: Logger;
  lines: string[];
  records(): Record<string, unknown>[];
}

/** A structured logger whose JSON lines are kept for the test to read. */
export function capturedLogger(level = 'debug', base: Record<string, unknown> = {}): CapturedLog {
  const lines: string[] = [];
  const logger = createLogger({ level, base, write: (line) => lines.push(line) });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A /detect body of real simulated CloudTrail events, which every model trained by trainSmallModel scores. */
export function eventsBody(): string {
  return JSON.stringify({ events: smallSimulation().events.filter((e) => e.p_log_type === 'AWS.CloudTrail').slice(0, 40) });
}

/** An S3-style service error, shaped as the AWS SDK throws them. */
export function s3Error(name: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

/** The one 'training failed' record the job logged. */
export function trainingFailure(log: CapturedLog): { stage: string; version: string | null; error: { name: string; message: string } } {
  const failures = log.records().filter((r) => r.message === 'training failed');
  if (failures.length !== 1) throw new Error(`expected one 'training failed' log line, got ${failures.length}: ${log.lines.join('\n')}`);
  if (failures[0].level !== 'error') throw new Error(`'training failed' logged at ${String(failures[0].level)}`);
  return failures[0] as never;
}
