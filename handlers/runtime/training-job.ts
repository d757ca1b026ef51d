// The training job shared by the Lambda and the local run: pull feature rows and alert labels per log type, merge
// analyst feedback over them, train and evaluate, store a new version, and promote it only through the quality gate.
import { InputError } from '../engine/errors';
import { rocAuc } from '../engine/metrics';
import {
  MODEL_KIND,
  SCHEMA_VERSION,
  parseModel,
  serializeModel,
  type LogTypeModel,
  type ModelDocument,
} from '../engine/model-document';
import { scoreTable } from '../engine/score';
import type { AlertWindow } from '../engine/sql';
import { rowsToTable } from '../engine/table';
import { splitByTime, subsetTable, trainModel, type TrainOptions } from '../engine/train';
import type { Evaluation, FeatureRow, FeatureSpec, FeatureTable } from '../engine/types';
import type { FeedbackListing, FeedbackRecord } from '../store/feedback';
import { newVersionName, type ModelStore } from '../store/model-store';
import type { FeatureSource } from './feature-source';
import { silentLogger, type Logger } from './logger';

export interface QualityGate {
  /** Fewest feature windows a log type needs to be trained at all. */
  minWindows: number;
  /** Largest drop of held-out ROC-AUC against the current model that is still promoted. */
  tolerance: number;
}

export const DEFAULT_GATE: QualityGate = Object.freeze({ minWindows: 200, tolerance: 0.02 });

export interface TrainingJobInput {
  specs: readonly FeatureSpec[];
  start: Date;
  end: Date;
  source: FeatureSource;
  store: ModelStore;
  logger?: Logger;
  gate?: QualityGate;
  train?: TrainOptions;
  now?: () => Date;
  /** The trainer; the engine's trainModel unless a caller substitutes one (tests of the gate do). */
  trainer?: typeof trainModel;
  /** Draws report.html (the engine's training report); without it the version has no report. */
  renderReport?: (input: { document: ModelDocument; evaluations: Record<string, Evaluation> }) => string;
  /** Aborts the Panther queries (e.g. shortly before the Lambda's own limit). */
  signal?: AbortSignal;
  /** Stored analyst verdicts; they override alert labels for their windows. Without it, alerts alone label. */
  feedback?: { list(): Promise<FeedbackListing> };
}

/** How many windows each label source decided, after feedback overrode alerts. */
export interface FeedbackCounts {
  /** Windows an attack verdict labeled (whether or not an alert had too). */
  attack: number;
  /** Windows a benign verdict labeled. */
  benign: number;
  /** Alert windows a benign verdict cleared. */
  clearedAlerts: number;
  /** Verdict windows inside the training window with no feature row to label (no activity, or another entity key). */
  unmatched: number;
}

export interface LogTypeSummary {
  windows: number;
  /** Windows labeled attack by a Panther alert and not overridden by feedback. */
  alertWindows: number;
  feedbackWindows: FeedbackCounts;
  trained: boolean;
  reason?: string;
  holdoutRows?: number;
  rocAuc?: number | null;
  prAuc?: number | null;
  threshold?: number;
  currentRocAuc?: number | null;
}

export interface TrainingSummary {
  status: 'promoted' | 'stored' | 'no-data';
  version: string | null;
  previousVersion: string | null;
  currentVersion: string | null;
  window: { start: string; end: string };
  gate: { passed: boolean; reasons: string[] };
  logTypes: Record<string, LogTypeSummary>;
  /** Analyst feedback records read, and stored objects skipped as unreadable. */
  feedback: { records: number; skipped: number };
  durationMs: number;
}

/** The window ending at the last UTC midnight and reaching `days` back: complete days only. */
export function trainingWindow(now: Date, days: number): { start: Date; end: Date } {
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return { start: new Date(end.getTime() - days * 86_400_000), end };
}

/** The scenario name of windows labeled by a Panther alert. */
export const ALERT_SCENARIO = 'panther-alert';

/** Rows whose (entity, window) drew a Panther alert become attacks; the rest stay unlabeled. */
export function applyAlertLabels(rows: FeatureRow[], alerts: readonly AlertWindow[]): FeatureRow[] {
  const alerted = new Set(alerts.filter((a) => a.alerts > 0).map((a) => `${a.entity}\u0000${a.windowStart}`));
  return rows.map((row) =>
    alerted.has(`${row.entity}\u0000${row.windowStart}`) ? { ...row, label: 1, scenario: ALERT_SCENARIO } : row,
  );
}

/** The start of the window holding `time`: windows tumble from UTC midnight and their length divides a day. */
export function windowFloor(time: string, windowMinutes: number): string {
  const ms = Date.parse(time);
  const length = windowMinutes * 60_000;
  return new Date(Math.floor(ms / length) * length).toISOString();
}

/**
 * Analyst verdicts on top of alert labels for one spec's rows: the latest verdict on an (entity, window) decides
 * it, whatever an alert said. A benign verdict makes the window known-benign; an attack verdict names its
 * scenario, or `analyst-feedback`.
 */
export function applyFeedbackLabels(
  rows: FeatureRow[],
  feedback: readonly FeedbackRecord[],
  spec: FeatureSpec,
  window: { start: Date; end: Date },
): { rows: FeatureRow[]; counts: FeedbackCounts } {
  const from = window.start.toISOString();
  const to = window.end.toISOString();
  const verdicts = new Map<string, FeedbackRecord>();
  const ordered = feedback.filter((f) => f.logType === spec.logType).sort((a, b) => compareTime(a.createdAt, b.createdAt));
  for (const record of ordered) {
    const start = windowFloor(record.windowStart, spec.windowMinutes);
    if (start >= from && start < to) verdicts.set(`${record.entity}\u0000${start}`, record);
  }
  const counts: FeedbackCounts = { attack: 0, benign: 0, clearedAlerts: 0, unmatched: 0 };
  const matched = new Set<string>();
  const out = rows.map((row) => {
    const key = `${row.entity}\u0000${row.windowStart}`;
    const verdict = verdicts.get(key);
    if (!verdict) return row;
    matched.add(key);
    if (verdict.label === 1) {
      counts.attack++;
      return { ...row, label: 1 as const, scenario: verdict.scenario ?? 'analyst-feedback' };
    }
    counts.benign++;
    if (row.label === 1) counts.clearedAlerts++;
    const { scenario: _dropped, ...rest } = row;
    return { ...rest, label: 0 as const };
  });
  counts.unmatched = verdicts.size - matched.size;
  return { rows: out, counts };
}

function compareTime(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every stored verdict, or none when the store cannot be read: feedback sharpens training but is not required. */
async function readFeedback(input: TrainingJobInput, logger: Logger): Promise<{ records: FeedbackRecord[]; skipped: number }> {
  if (!input.feedback) return { records: [], skipped: 0 };
  try {
    const { records, skipped } = await input.feedback.list();
    if (skipped.length > 0) {
      logger.warn('analyst feedback records skipped as unreadable; training goes on without them', {
        skipped: skipped.length,
        examples: skipped.slice(0, 10),
      });
    }
    logger.info('analyst feedback read', { records: records.length });
    return { records, skipped: skipped.length };
  } catch (err) {
    if (input.signal?.aborted) throw err;
    logger.warn('analyst feedback unavailable; training on alert labels alone', { error: err });
    return { records: [], skipped: 0 };
  }
}

/** ROC-AUC of a model on a table, or null when it cannot be measured there (no labels, other features). */
export function aucOn(model: LogTypeModel, table: FeatureTable): number | null {
  try {
    return rocAuc(scoreTable(model, table), table.labels);
  } catch (err) {
    if (err instanceof InputError) return null;
    throw err;
  }
}

async function currentDocument(store: ModelStore, logger: Logger): Promise<ModelDocument | null> {
  try {
    const pointer = await store.readPointer();
    return pointer ? parseModel(await store.readModel(pointer.version)) : null;
  } catch (err) {
    // A broken current model is no reason to keep a good new one out; it is compared against nothing.
    logger.warn('current model unreadable; gate compares against nothing', { error: err });
    return null;
  }
}

/** Runs the job; a failure is logged with the step it happened in before it is thrown. */
export async function runTrainingJob(input: TrainingJobInput): Promise<TrainingSummary> {
  const step = { stage: 'reading the current model', version: null as string | null };
  try {
    return await trainAndStore(input, step);
  } catch (err) {
    (input.logger ?? silentLogger).error('training failed', {
      stage: step.stage,
      version: step.version,
      window: { start: input.start.toISOString(), end: input.end.toISOString() },
      error: err,
    });
    throw err;
  }
}

async function trainAndStore(input: TrainingJobInput, step: { stage: string; version: string | null }): Promise<TrainingSummary> {
  const logger = input.logger ?? silentLogger;
  const now = input.now ?? (() => new Date());
  const gate = input.gate ?? DEFAULT_GATE;
  const started = now().getTime();
  const window = { start: input.start.toISOString(), end: input.end.toISOString() };
  const current = await currentDocument(input.store, logger);
  step.stage = 'reading analyst feedback';
  const feedback = await readFeedback(input, logger);
  const summaries: Record<string, LogTypeSummary> = {};
  const models: LogTypeModel[] = [];
  const evaluations: Record<string, Evaluation> = {};
  const reasons: string[] = [];
  let worse = false;

  for (const spec of input.specs) {
    step.stage = `reading ${spec.logType} feature rows from the source`;
    const rows = await input.source.featureRows(spec, input.start, input.end, input.signal);
    let alerts: AlertWindow[] = [];
    try {
      alerts = await input.source.alertWindows(spec, input.start, input.end, input.signal);
    } catch (err) {
      if (input.signal?.aborted) throw err;
      // Labels help but are optional: without them the model trains on synthetic anomalies alone.
      logger.warn('alert labels unavailable; training without them', { logType: spec.logType, error: err });
    }
    const alerted = applyAlertLabels(rows, alerts);
    const { rows: labelled, counts } = applyFeedbackLabels(alerted, feedback.records, spec, input);
    const summary: LogTypeSummary = {
      windows: rows.length,
      alertWindows: labelled.filter((r) => r.label === 1 && r.scenario === ALERT_SCENARIO).length,
      feedbackWindows: counts,
      trained: false,
    };
    summaries[spec.logType] = summary;
    if (rows.length < gate.minWindows) {
      summary.reason = `${rows.length} windows, fewer than the ${gate.minWindows} the gate requires`;
      reasons.push(`${spec.logType}: ${summary.reason}`);
      continue;
    }
    step.stage = `training ${spec.logType}`;
    const table = rowsToTable(labelled, spec.features.map((f) => f.name));
    const { model, evaluation } = (input.trainer ?? trainModel)(table, { ...input.train, spec });
    models.push(model);
    evaluations[spec.logType] = evaluation;
    // The same held-out slice trainModel evaluated on, scored by the current model for a fair comparison.
    const { holdout } = splitByTime(table, input.train?.holdoutFraction ?? 0.2);
    const holdoutTable = holdout.length > 0 ? subsetTable(table, holdout) : table;
    const previous = current?.models.find((m) => m.logType === spec.logType);
    Object.assign(summary, {
      trained: true,
      holdoutRows: holdoutTable.entities.length,
      rocAuc: evaluation.metrics.rocAuc,
      prAuc: evaluation.metrics.prAuc,
      threshold: model.threshold,
      currentRocAuc: previous ? aucOn(previous, holdoutTable) : null,
    });
    const newAuc = aucOn(model, holdoutTable);
    if (previous && newAuc !== null && summary.currentRocAuc != null && newAuc < summary.currentRocAuc - gate.tolerance) {
      worse = true;
      reasons.push(
        `${spec.logType}: held-out ROC-AUC ${newAuc.toFixed(3)} is below the current model's ` +
          `${summary.currentRocAuc.toFixed(3)} by more than ${gate.tolerance}`,
      );
    } else if (previous && newAuc === null) {
      reasons.push(`${spec.logType}: no labeled held-out windows, so no comparison with the current model`);
    }
  }

  // A log type the current model covers but this run could not train (a source outage, a renamed table) would
  // silently lose its detection if promoted.
  const trained = new Set(models.map((m) => m.logType));
  for (const m of current?.models ?? []) {
    if (!trained.has(m.logType)) {
      worse = true;
      reasons.push(`${m.logType}: the current model covers it and this run did not train it, so promoting would drop it`);
    }
  }
  const previousVersion = current?.version ?? null;
  if (models.length === 0) {
    const summary: TrainingSummary = {
      status: 'no-data',
      version: null,
      previousVersion,
      currentVersion: previousVersion,
      window,
      gate: { passed: false, reasons },
      logTypes: summaries,
      feedback: { records: feedback.records.length, skipped: feedback.skipped },
      durationMs: now().getTime() - started,
    };
    logger.warn('training finished without a model', { summary });
    return summary;
  }

  const createdAt = now();
  const version = newVersionName(createdAt);
  const document: ModelDocument = {
    schemaVersion: SCHEMA_VERSION,
    kind: MODEL_KIND,
    version,
    createdAt: createdAt.toISOString(),
    trainingWindow: window,
    models,
  };
  step.stage = `writing version ${version}`;
  step.version = version;
  const metrics = { version, window, logTypes: Object.fromEntries(models.map((m) => [m.logType, m.metrics])) };
  await input.store.writeVersion(version, {
    'model.json': serializeModel(document),
    'metrics.json': `${JSON.stringify(metrics, null, 2)}\n`,
    ...(input.renderReport ? { 'report.html': input.renderReport({ document, evaluations }) } : {}),
  });
  const passed = !worse;
  step.stage = `promoting version ${version}`;
  if (passed) await input.store.promote(version, createdAt);
  const summary: TrainingSummary = {
    status: passed ? 'promoted' : 'stored',
    version,
    previousVersion,
    currentVersion: passed ? version : previousVersion,
    window,
    gate: { passed, reasons },
    logTypes: summaries,
    feedback: { records: feedback.records.length, skipped: feedback.skipped },
    durationMs: now().getTime() - started,
  };
  logger.info('training finished', { summary });
  return summary;
}
