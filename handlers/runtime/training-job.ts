// The training job shared by the Lambda and the local run: pull feature rows and alert labels per log type,
// train and evaluate, store a new version, and promote it only through the quality gate.
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
}

export interface LogTypeSummary {
  windows: number;
  alertWindows: number;
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
  durationMs: number;
}

/** The window ending at the last UTC midnight and reaching `days` back: complete days only. */
export function trainingWindow(now: Date, days: number): { start: Date; end: Date } {
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return { start: new Date(end.getTime() - days * 86_400_000), end };
}

/** Rows whose (entity, window) drew a Panther alert become attacks; the rest stay unlabeled. */
export function applyAlertLabels(rows: FeatureRow[], alerts: readonly AlertWindow[]): FeatureRow[] {
  const alerted = new Set(alerts.filter((a) => a.alerts > 0).map((a) => `${a.entity}\u0000${a.windowStart}`));
  return rows.map((row) =>
    alerted.has(`${row.entity}\u0000${row.windowStart}`) ? { ...row, label: 1, scenario: 'panther-alert' } : row,
  );
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
    const labelled = applyAlertLabels(rows, alerts);
    const summary: LogTypeSummary = {
      windows: rows.length,
      alertWindows: labelled.filter((r) => r.label === 1).length,
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
    durationMs: now().getTime() - started,
  };
  logger.info('training finished', { summary });
  return summary;
}
