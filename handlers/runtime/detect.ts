// Scores a validated /detect request with a loaded model: raw events are aggregated with each model's own spec,
// feature rows are scored directly; results come back in a stable order with the model's threshold.
import { aggregateEvents, logTypeOf, type SkipCounts } from '../engine/aggregate';
import { modelFor, roundStored, type LogTypeModel, type ModelDocument } from '../engine/model-document';
import { scoreRows } from '../engine/score';
import type { FeatureRow, PantherEvent, ScoreResult } from '../engine/types';
import { BadRequestError } from '../http/errors';
import type { DetectRequest } from '../http/request';
import { InputError } from '../engine/errors';
import type { LoadedModel } from './current-model';

export interface DetectResponse {
  modelVersion: string;
  /** The threshold of the model used; with several log types, that of the first (each is in `thresholds`). */
  threshold: number;
  thresholds: Record<string, number>;
  results: ScoreResult[];
  /** Events that formed no window (no time, no entity), when there were any. */
  skipped?: SkipCounts;
}

const TOP_FEATURES = 5;

function coveredTypes(doc: ModelDocument): string {
  return doc.models.map((m) => m.logType).join(', ');
}

/** Six significant digits, as the model stores its numbers: `expected: 1`, not `0.9999996388801419`. */
function presented(r: ScoreResult): ScoreResult {
  const zScores = Object.fromEntries(Object.entries(r.zScores).map(([k, v]) => [k, roundStored(v)]));
  const topFeatures = r.topFeatures.map((f) => ({
    ...f,
    expected: roundStored(f.expected),
    z: roundStored(f.z),
    contribution: roundStored(f.contribution),
  }));
  return { ...r, zScores, topFeatures };
}

function scoreGroup(model: LogTypeModel, rows: FeatureRow[], field: string): ScoreResult[] {
  try {
    return scoreRows(model, rows, { top: TOP_FEATURES }).map((r) => ({ ...presented(r), logType: model.logType }));
  } catch (err) {
    if (err instanceof InputError) {
      const inner = err.field ? `${field}.${err.field}` : field;
      throw new BadRequestError(`${inner}: ${err.message}`, inner, { cause: err });
    }
    throw err;
  }
}

function detectRows(doc: ModelDocument, rows: FeatureRow[], logType: string | undefined) {
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const key = row.logType ?? logType ?? '';
    const list = groups.get(key) ?? [];
    list.push(i);
    groups.set(key, list);
  });
  const results: ScoreResult[] = new Array(rows.length);
  const used: LogTypeModel[] = [];
  for (const [key, indices] of groups) {
    const first = indices[0];
    let model: LogTypeModel;
    try {
      model = modelFor(doc, key || undefined);
    } catch (err) {
      const field = rows[first].logType !== undefined ? `rows[${first}].logType` : 'logType';
      throw new BadRequestError(`${field}: ${(err as Error).message}`, field, { cause: err });
    }
    used.push(model);
    const scored = scoreGroup(
      model,
      indices.map((i) => rows[i]),
      indices.length === 1 ? `rows[${first}]` : 'rows',
    );
    indices.forEach((rowIndex, k) => {
      results[rowIndex] = scored[k];
    });
  }
  return { results, used };
}

function detectEvents(doc: ModelDocument, events: PantherEvent[]) {
  const groups = new Map<string, PantherEvent[]>();
  const firstIndex = new Map<string, number>();
  events.forEach((event, i) => {
    const type = logTypeOf(event) ?? '';
    if (!groups.has(type)) {
      groups.set(type, []);
      firstIndex.set(type, i);
    }
    groups.get(type)!.push(event);
  });
  const results: ScoreResult[] = [];
  const used: LogTypeModel[] = [];
  const skipped: SkipCounts = { noTime: 0, noEntity: 0, outOfRange: 0, otherLogType: 0 };
  for (const [type, group] of groups) {
    const field = `events[${firstIndex.get(type)}].p_log_type`;
    const model = doc.models.find((m) => m.logType === type);
    if (!model) {
      throw new BadRequestError(`${field}: no model for log type "${type}"; the model covers ${coveredTypes(doc)}`, field);
    }
    if (!model.spec) {
      throw new BadRequestError(
        `${field}: the model for "${type}" was trained from feature rows without a spec; send {"rows": [...]}`,
        field,
      );
    }
    used.push(model);
    const counts: SkipCounts = { noTime: 0, noEntity: 0, outOfRange: 0, otherLogType: 0 };
    const rows = aggregateEvents(model.spec, group, { skipped: counts });
    skipped.noTime += counts.noTime;
    skipped.noEntity += counts.noEntity;
    if (rows.length > 0) results.push(...scoreGroup(model, rows, 'events'));
  }
  const anySkipped = skipped.noTime + skipped.noEntity > 0;
  return { results, used, skipped: anySkipped ? skipped : undefined };
}

export function detect(request: DetectRequest, loaded: LoadedModel): DetectResponse {
  const doc = loaded.document;
  const outcome: { results: ScoreResult[]; used: LogTypeModel[]; skipped?: SkipCounts } =
    request.kind === 'rows' ? detectRows(doc, request.rows, request.logType) : detectEvents(doc, request.events);
  const thresholds = Object.fromEntries(outcome.used.map((m) => [m.logType, m.threshold]));
  const response: DetectResponse = {
    modelVersion: loaded.version,
    threshold: outcome.used[0]?.threshold ?? doc.models[0]?.threshold ?? 0.5,
    thresholds,
    results: outcome.results,
  };
  if (outcome.skipped) response.skipped = outcome.skipped;
  return response;
}
