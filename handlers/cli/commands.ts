// What each CLI command does, as functions of parsed options: simulate, features, train, score, evaluate.
// They read and write files and call the engine; the program in index.ts parses arguments and maps errors.

import { WindowAggregator, type SkipCounts } from '../engine/aggregate';
import { InputError } from '../engine/errors';
import { computeMetrics } from '../engine/metrics';
import { MODEL_KIND, SCHEMA_VERSION, modelFor, parseModel, serializeModel, type LogTypeModel, type ModelDocument, type TrainingWindow } from '../engine/model-document';
import { renderReport } from '../engine/report';
import { scoreTable } from '../engine/score';
import { SCENARIOS, applyLabels, simulate, type ScenarioName, type WindowLabel } from '../engine/simulator';
import { DEFAULT_SPECS, parseFeatureSpecs } from '../engine/spec';
import { rowsToTable } from '../engine/table';
import { trainModel, type TrainOptions } from '../engine/train';
import type { Evaluation, FeatureRow, FeatureSpec, FeatureTable, Metrics } from '../engine/types';
import { newVersionName } from '../store/model-store';
import { formatFeatureCsv, readFeatureCsv, type CsvReadOptions } from './csv';
import { fileError, labelsFileFor, labelsPathFor, perLogTypePath, readEvents, readJson, readLabels, readText, writeJsonLines, writeText } from './files';
import type { Progress } from './progress';
import { SCORES_HEADER, scoreLines } from './scores';

/** Where a command's result text goes (stdout), apart from progress (stderr). */
export type Print = (text: string) => void;

const count = (n: number): string => n.toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------------------------
// simulate

export interface SimulateArgs {
  days: number;
  principals: number;
  seed: number;
  out: string;
  labels?: string;
  start?: string;
  scenarios?: string[];
}

export function parseScenarios(names: string[] | undefined): ScenarioName[] | undefined {
  if (names === undefined) return undefined;
  const known = new Set<string>(SCENARIOS);
  const unknown = names.find((n) => !known.has(n));
  if (unknown !== undefined) {
    throw new InputError(`--scenarios: unknown scenario "${unknown}"; known: ${SCENARIOS.join(', ')}`, { field: 'scenarios' });
  }
  return names as ScenarioName[];
}

export async function runSimulate(args: SimulateArgs, progress: Progress, print: Print): Promise<void> {
  let start: Date | undefined;
  if (args.start !== undefined) {
    start = new Date(args.start);
    if (Number.isNaN(start.getTime())) throw new InputError(`--start: "${args.start}" is not a date (use YYYY-MM-DD)`, { field: 'start' });
  }
  progress.step(`simulating ${args.principals} principals over ${args.days} days (seed ${args.seed})`);
  const simulation = simulate({ days: args.days, principals: args.principals, seed: args.seed, start, scenarios: parseScenarios(args.scenarios) });
  const labelsFile = args.labels ?? labelsPathFor(args.out);
  await writeJsonLines(args.out, simulation.events);
  await writeJsonLines(labelsFile, simulation.labels);
  const scenarios = new Set(simulation.labels.map((l) => l.scenario));
  print(
    `wrote ${count(simulation.events.length)} events to ${args.out} and ${count(simulation.labels.length)} labelled windows ` +
      `(${scenarios.size} scenarios) to ${labelsFile}\n`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Events to feature rows

/** Feature specs from a JSON file (an array of specs, or one), or the built-in defaults. */
export function loadSpecs(file: string | undefined): FeatureSpec[] {
  if (file === undefined) return DEFAULT_SPECS.map((s) => s);
  const json = readJson(file);
  try {
    return parseFeatureSpecs(json);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${file}: ${error.message}`, { field: error.field, cause: error });
    throw error;
  }
}

export interface EventRows {
  spec: FeatureSpec;
  rows: FeatureRow[];
}

function skipNote(skipped: SkipCounts): string {
  const parts = Object.entries(skipped)
    .filter(([, n]) => n > 0)
    .map(([why, n]) => `${count(n)} ${why}`);
  return parts.length === 0 ? '' : ` (skipped: ${parts.join(', ')})`;
}

/** Aggregates a JSONL events file with the specs, streaming; rows per spec, labelled when labels are given. */
export async function eventRows(file: string, specs: readonly FeatureSpec[], labelsFile: string | undefined, progress: Progress): Promise<EventRows[]> {
  const aggregator = new WindowAggregator(specs);
  let events = 0;
  await readEvents(file, (event) => {
    aggregator.add(event);
    events++;
    progress.count(`reading ${file}: events`, events);
  });
  const labels: WindowLabel[] | undefined = labelsFile === undefined ? undefined : await readLabels(labelsFile);
  const out = specs.map((spec) => {
    const rows = aggregator.rows(spec.logType);
    return { spec, rows: labels === undefined ? rows : applyLabels(rows, labels) };
  });
  progress.step(
    `read ${count(events)} events from ${file}: ${out.map((o) => `${count(o.rows.length)} ${o.spec.logType} windows`).join(', ')}` +
      `${skipNote(aggregator.skipped)}${labelsFile ? `; labels from ${labelsFile}` : ''}`,
  );
  return out;
}

/** Reads a feature CSV; a file that cannot be opened is an InputError naming it. */
async function readRows(options: CsvReadOptions & { path: string }): Promise<FeatureTable> {
  try {
    return await readFeatureCsv(options.path, options);
  } catch (error) {
    throw fileError(options.file, error);
  }
}

function tableOf(spec: FeatureSpec, rows: FeatureRow[]): FeatureTable {
  const table = rowsToTable(rows, spec.features.map((f) => f.name));
  table.logType = spec.logType;
  return table;
}

/** Picks the log types asked for (all with rows when none is). */
function pickLogTypes(all: EventRows[], logType: string | undefined): EventRows[] {
  if (logType === undefined) return all.filter((r) => r.rows.length > 0);
  const chosen = all.find((r) => r.spec.logType === logType);
  if (chosen === undefined) {
    throw new InputError(`--log-type: no spec for "${logType}"; the specs cover ${all.map((r) => r.spec.logType).join(', ')}`, { field: 'logType' });
  }
  return [chosen];
}

// ---------------------------------------------------------------------------------------------------------------
// features

export interface FeaturesArgs {
  events: string;
  spec?: string;
  labels?: string;
  logType?: string;
  out: string;
}

/**
 * Writes the feature-row CSV. A CSV has one set of feature columns, so events of several log types give one file
 * per log type (`rows.csv` -> `rows.aws_cloudtrail.csv`, ...) unless --log-type picks one.
 */
export async function runFeatures(args: FeaturesArgs, progress: Progress, print: Print): Promise<void> {
  const specs = loadSpecs(args.spec);
  const all = await eventRows(args.events, specs, labelsFileFor(args.events, args.labels), progress);
  const chosen = pickLogTypes(all, args.logType);
  if (chosen.length === 0) throw new InputError(`${args.events}: no event matched a spec (${specs.map((s) => s.logType).join(', ')})`, { field: 'events' });
  const single = args.logType !== undefined || chosen.length === 1;
  for (const { spec, rows } of chosen) {
    const file = single ? args.out : perLogTypePath(args.out, spec.logType);
    writeText(file, formatFeatureCsv(tableOf(spec, rows)));
    print(`wrote ${count(rows.length)} ${spec.logType} feature rows (${spec.features.length} features) to ${file}\n`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// train

export interface TrainArgs {
  rows?: string;
  events?: string;
  spec?: string;
  labels?: string;
  logType?: string;
  out: string;
  report?: string;
  holdout?: number;
  fpr?: number;
  seed?: number;
}

function oneSource(args: { rows?: string; events?: string }): 'rows' | 'events' {
  if (args.rows !== undefined && args.events !== undefined) throw new InputError('give either --rows or --events, not both', { field: 'rows' });
  if (args.rows === undefined && args.events === undefined) throw new InputError('give --rows <file.csv> or --events <file.jsonl>', { field: 'rows' });
  return args.rows !== undefined ? 'rows' : 'events';
}

/** The earliest start and latest end over the models' training windows. */
export function unionWindow(models: readonly LogTypeModel[]): TrainingWindow {
  const starts = models.map((m) => m.trainingWindow.start).filter((s): s is string => s !== null).sort();
  const ends = models.map((m) => m.trainingWindow.end).filter((s): s is string => s !== null).sort();
  return { start: starts[0] ?? null, end: ends[ends.length - 1] ?? null };
}

export function buildDocument(models: LogTypeModel[], createdAt: Date): ModelDocument {
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: MODEL_KIND,
    version: newVersionName(createdAt),
    createdAt: createdAt.toISOString(),
    trainingWindow: unionWindow(models),
    models,
  };
}

function trainOptions(args: TrainArgs, progress: Progress, logType: string): TrainOptions {
  let started = 0;
  const options: TrainOptions = {
    onProgress: (phase, fraction) => {
      if (fraction === 0) {
        started = performance.now();
        progress.step(`training ${logType}: ${phase}`);
      } else if (fraction === 1) {
        progress.step(`training ${logType}: ${phase} done in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      }
    },
  };
  if (args.holdout !== undefined) options.holdoutFraction = args.holdout;
  if (args.fpr !== undefined) options.targetFalsePositiveRate = args.fpr;
  if (args.seed !== undefined) options.seed = args.seed;
  return options;
}

/** One summary line per model: what it was measured at on its held-out slice. */
export function metricsLine(logType: string, m: Metrics): string {
  const f = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(3));
  return `${logType}: held-out ${count(m.rows)} windows (${count(m.positives)} attacks), ROC-AUC ${f(m.rocAuc)}, PR-AUC ${f(m.prAuc)}, precision ${f(m.precision)}, recall ${f(m.recall)} at threshold ${m.threshold.toPrecision(4)}`;
}

export async function runTrain(args: TrainArgs, progress: Progress, print: Print): Promise<void> {
  const trained: { model: LogTypeModel; evaluation: Evaluation }[] = [];
  if (oneSource(args) === 'rows') {
    const file = args.rows!;
    // A CSV already holds feature rows and labels: a spec or a labels file would silently do nothing.
    if (args.spec !== undefined || args.labels !== undefined) {
      throw new InputError(`${args.spec !== undefined ? '--spec' : '--labels'} applies to --events; a feature CSV carries its own features and label column`, { field: 'rows' });
    }
    const logType = args.logType ?? 'csv';
    const table = await readRows({ path: file, file, logType, onProgress: (n) => progress.count(`reading ${file}: rows`, n) });
    progress.step(`read ${count(table.entities.length)} rows x ${table.featureNames.length} features from ${file}`);
    if (table.entities.length === 0) throw new InputError(`${file}: no rows to train on`, { field: 'rows' });
    trained.push(trainModel(table, { ...trainOptions(args, progress, logType), logType }));
  } else {
    const file = args.events!;
    const all = await eventRows(file, loadSpecs(args.spec), labelsFileFor(file, args.labels), progress);
    const chosen = pickLogTypes(all, args.logType);
    if (chosen.length === 0 || chosen.every((c) => c.rows.length === 0)) throw new InputError(`${file}: no event matched a spec, so there is nothing to train on`, { field: 'events' });
    for (const { spec, rows } of chosen) {
      trained.push(trainModel(tableOf(spec, rows), { ...trainOptions(args, progress, spec.logType), spec, logType: spec.logType }));
    }
  }
  const document = buildDocument(
    trained.map((t) => t.model),
    new Date(),
  );
  writeText(args.out, serializeModel(document));
  for (const { model } of trained) print(`${metricsLine(model.logType, model.metrics)}\n`);
  print(`wrote model ${document.version} (${document.models.map((m) => m.logType).join(', ')}) to ${args.out}\n`);
  if (args.report !== undefined) {
    const evaluations = Object.fromEntries(trained.map((t) => [t.model.logType, t.evaluation]));
    writeText(args.report, renderReport({ document, evaluations }));
    print(`wrote report to ${args.report}\n`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// score and evaluate

export function loadModel(file: string): ModelDocument {
  const text = readText(file);
  try {
    return parseModel(text);
  } catch (error) {
    if (error instanceof Error && error.name === 'ModelFormatError') {
      error.message = `${file}: ${error.message}`;
    }
    throw error;
  }
}

export interface ScoreArgs {
  model: string;
  rows?: string;
  events?: string;
  labels?: string;
  logType?: string;
  out?: string;
  top?: number;
}

/** A model and the table of rows to score with it. */
interface Scored {
  model: LogTypeModel;
  table: FeatureTable;
}

/** Loads the rows to score (a CSV against one model, or events against each model with a spec). */
async function rowsToScore(args: ScoreArgs, document: ModelDocument, progress: Progress, withLabels: boolean): Promise<Scored[]> {
  if (oneSource(args) === 'rows') {
    const file = args.rows!;
    const model = modelFor(document, args.logType);
    const table = await readRows({ path: file, file, expectedFeatures: model.featureNames, logType: model.logType, onProgress: (n) => progress.count(`reading ${file}: rows`, n) });
    progress.step(`read ${count(table.entities.length)} rows from ${file}`);
    return [{ model, table }];
  }
  const models = args.logType !== undefined ? [modelFor(document, args.logType)] : document.models;
  const fromCsv = models.find((m) => m.spec === null);
  if (fromCsv !== undefined) {
    throw new InputError(`${args.model}: the ${fromCsv.logType} model was trained on a feature CSV and has no feature spec; score it with --rows`, { field: 'events' });
  }
  const labels = withLabels ? labelsFileFor(args.events!, args.labels) : undefined;
  const all = await eventRows(args.events!, models.map((m) => m.spec!), labels, progress);
  return models.map((model, k) => ({ model, table: tableOf(all[k].spec, all[k].rows) }));
}

export async function runScore(args: ScoreArgs, progress: Progress, print: Print): Promise<void> {
  const document = loadModel(args.model);
  const top = args.top ?? 3;
  const lines = [SCORES_HEADER];
  let anomalies = 0;
  for (const { model, table } of await rowsToScore(args, document, progress, false)) {
    const scored = scoreLines(model, table, top, (n) => progress.count(`scoring ${model.logType}: rows`, n));
    for (const line of scored.lines) lines.push(line);
    anomalies += scored.anomalies;
  }
  const text = `${lines.join('\n')}\n`;
  if (args.out === undefined || args.out === '-') {
    print(text);
  } else {
    writeText(args.out, text);
    print(`scored ${count(lines.length - 1)} rows, ${count(anomalies)} anomalies, with model ${document.version}: wrote ${args.out}\n`);
  }
}

export interface EvaluateArgs extends ScoreArgs {
  json?: boolean;
}

/** Metrics of each model on the labelled rows given; rows without a label count as benign, as in training. */
export async function evaluateRows(args: EvaluateArgs, progress: Progress): Promise<{ document: ModelDocument; results: Record<string, Metrics> }> {
  const document = loadModel(args.model);
  const results: Record<string, Metrics> = {};
  for (const { model, table } of await rowsToScore(args, document, progress, true)) {
    let labelled = 0;
    for (let i = 0; i < table.labels.length; i++) if (table.labels[i] !== -1) labelled++;
    if (table.entities.length > 0 && labelled === 0) {
      const source = args.rows ?? args.events!;
      throw new InputError(
        args.rows !== undefined
          ? `${source}: no labels: evaluate needs a "label" column (1 attack, 0 benign)`
          : `${source}: no labels: give --labels <labels.jsonl> or put <name>.labels.jsonl beside the events`,
        { field: 'label' },
      );
    }
    const scores = scoreTable(model, table);
    results[model.logType] = computeMetrics(scores, table.labels, table.scenarios, model.threshold);
  }
  return { document, results };
}

/** Metrics as a text table: the totals, then one line per scenario. */
export function formatEvaluation(results: Record<string, Metrics>): string {
  const f = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(4));
  const lines: string[] = [];
  for (const [logType, m] of Object.entries(results)) {
    lines.push(`${logType}  (threshold ${m.threshold.toPrecision(4)})`);
    lines.push(`  windows            ${count(m.rows)}`);
    lines.push(`  attack windows     ${count(m.positives)}`);
    lines.push(`  ROC-AUC            ${f(m.rocAuc)}`);
    lines.push(`  PR-AUC             ${f(m.prAuc)}`);
    lines.push(`  precision          ${f(m.precision)}`);
    lines.push(`  recall             ${f(m.recall)}`);
    lines.push(`  false-positive rate ${f(m.falsePositiveRate)}`);
    const scenarios = Object.entries(m.perScenario);
    if (scenarios.length > 0) {
      const width = Math.max(8, ...scenarios.map(([name]) => name.length));
      lines.push(`  ${'scenario'.padEnd(width)}  windows  ROC-AUC  recall`);
      for (const [name, s] of scenarios) {
        lines.push(`  ${name.padEnd(width)}  ${String(s.rows).padStart(7)}  ${f(s.rocAuc).padStart(7)}  ${f(s.recall).padStart(6)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function runEvaluate(args: EvaluateArgs, progress: Progress, print: Print): Promise<void> {
  const { document, results } = await evaluateRows(args, progress);
  print(args.json ? `${JSON.stringify({ modelVersion: document.version, logTypes: results }, null, 2)}\n` : formatEvaluation(results));
}
