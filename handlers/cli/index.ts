#!/usr/bin/env node
// The `panther-anomaly` command line: simulate, features, train, score and evaluate on exported data, so a
// detector can be backtested before anything is deployed. Errors are mapped to messages and exit codes here only.

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { InputError, ModelFormatError } from '../engine/errors';
import { StoreError } from '../store/model-store';
import { runEvaluate, runFeatures, runScore, runSimulate, runTrain } from './commands';
import { feedbackCommand } from './feedback';
import { modelsCommand } from './models';
import { silentProgress, stderrProgress, type Progress } from './progress';

export const EXIT_OK = 0;
/** Anything unexpected: a bug, a full disk. */
export const EXIT_FAILURE = 1;
/** The user's input is wrong (a file, a model, an argument); the message says what and where. */
export const EXIT_BAD_INPUT = 2;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** The one place errors become a message and an exit code. */
export function exitFor(error: unknown): { code: number; message: string } {
  if (error instanceof CommanderError) {
    // Commander has already printed usage errors; help and version are not failures.
    const ok = error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version';
    return { code: ok ? EXIT_OK : EXIT_BAD_INPUT, message: '' };
  }
  if (error instanceof InputError || error instanceof ModelFormatError) {
    return { code: EXIT_BAD_INPUT, message: `panther-anomaly: ${error.message}\n` };
  }
  // A store that cannot do what was asked (no such version, no pointer to roll back) has said why: no stack.
  if (error instanceof StoreError) return { code: EXIT_FAILURE, message: `panther-anomaly: ${error.message}\n` };
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { code: EXIT_FAILURE, message: `panther-anomaly: unexpected error: ${text}\n` };
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer.');
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError('must be a number from 0 up to (not including) 1.');
  return n;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const ROWS_HELP = 'feature-row CSV: entity,window_start[,label][,scenario] then numeric feature columns';
const EVENTS_HELP = 'Panther events, one JSON object per line (p_log_type selects the spec)';

/** Builds the program; `progress` is where long runs report (stderr unless --quiet). */
export function buildProgram(io: Io = processIo): Command {
  const program = new Command('panther-anomaly');
  let progress: Progress = stderrProgress(io.stderr);
  const out = (text: string): void => io.stdout(text);
  program
    .description('Per-entity anomaly detection for Panther logs: robust baselines plus a logistic model, trained and scored on files.')
    .option('-q, --quiet', 'no progress lines on stderr')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .hook('preAction', (cmd) => {
      if (cmd.opts().quiet) progress = silentProgress;
    })
    .addHelpText(
      'after',
      '\nA backtest from scratch:\n' +
        '  panther-anomaly simulate --days 30 --principals 50 --seed 1 --out events.jsonl\n' +
        '  panther-anomaly train --events events.jsonl --out model.json --report report.html\n' +
        '  panther-anomaly features --events events.jsonl --log-type AWS.CloudTrail --out rows.csv\n' +
        '  panther-anomaly train --rows rows.csv --out csv-model.json\n' +
        '  panther-anomaly score --model csv-model.json --rows rows.csv --out scores.csv\n' +
        '  panther-anomaly evaluate --model csv-model.json --rows rows.csv\n\n' +
        'Exit codes: 0 success, 2 bad input (the message names file:line:column), 1 unexpected failure.',
    );

  const command = (name: string, description: string): Command =>
    program.command(name).description(description).exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).showHelpAfterError('(run with --help for usage)');

  command('simulate', 'Write labelled sample Panther events (AWS.CloudTrail and Okta.SystemLog) with named attack scenarios.')
    .requiredOption('--out <events.jsonl>', 'where to write the events (JSONL)')
    .option('--days <n>', 'days of traffic', positiveInteger, 14)
    .option('--principals <n>', 'number of principals (people, CI and service roles)', positiveInteger, 20)
    .option('--seed <n>', 'random seed: the same seed gives the same events', integer, 1)
    .option('--labels <labels.jsonl>', 'where to write the attack window labels (default: <out>.labels.jsonl beside the events)')
    .option('--start <date>', 'first simulated day, UTC (default 2026-01-05)')
    .option('--scenarios <names>', 'comma-separated attack scenarios to inject (default: all)', list)
    .action(async (opts) => runSimulate(opts, progress, out));

  command('features', 'Aggregate Panther events into per-entity, per-window feature rows (CSV).')
    .requiredOption('--events <events.jsonl>', EVENTS_HELP)
    .requiredOption('--out <rows.csv>', 'where to write the rows; with several log types, one file per log type (rows.<log_type>.csv)')
    .option('--spec <spec.json>', 'feature specs (JSON array) instead of the built-in AWS.CloudTrail and Okta.SystemLog specs')
    .option('--labels <labels.jsonl>', 'window labels; adds label and scenario columns (default: <events>.labels.jsonl when it exists)')
    .option('--log-type <type>', 'only this log type')
    .action(async (opts) => runFeatures(opts, progress, out));

  command('train', 'Train a model on feature rows or on events, evaluate it on the latest windows, and write the model document.')
    .addOption(new Option('--rows <rows.csv>', ROWS_HELP).conflicts('events'))
    .addOption(new Option('--events <events.jsonl>', `${EVENTS_HELP}; one model per log type`).conflicts('rows'))
    .requiredOption('--out <model.json>', 'where to write the model document')
    .option('--report <report.html>', 'also write the training report (self-contained HTML)')
    .option('--spec <spec.json>', 'feature specs for --events (default: the built-in specs)')
    .option('--labels <labels.jsonl>', 'window labels for --events (default: <events>.labels.jsonl when it exists)')
    .option('--log-type <type>', 'with --rows: the name of the model (default "csv"); with --events: only this log type')
    .option('--holdout <fraction>', 'share of the latest windows held out for the threshold and the evaluation (default 0.2)', fraction)
    .option('--fpr <rate>', 'target false-positive rate on held-out benign windows (default 0.01)', fraction)
    .option('--seed <n>', 'seed of sampling and synthetic anomalies (default 1)', integer)
    .action(async (opts) => runTrain(opts, progress, out));

  const scoring = (name: string, description: string): Command =>
    command(name, description)
      .requiredOption('--model <model.json>', 'model document written by train')
      .addOption(new Option('--rows <rows.csv>', `${ROWS_HELP}; the feature columns must be the model's`).conflicts('events'))
      .addOption(new Option('--events <events.jsonl>', `${EVENTS_HELP}; aggregated with the specs in the model`).conflicts('rows'))
      .option('--log-type <type>', 'which model of the document to use (needed with --rows when it has several)');

  scoring('score', 'Score rows: entity,window_start,score,anomaly,top_features (the strongest features with their z-scores).')
    .option('--out <scores.csv>', 'where to write the scores (default: stdout)')
    .option('--top <n>', 'features listed in top_features', positiveInteger, 3)
    .action(async (opts) => runScore(opts, progress, out));

  scoring('evaluate', 'Measure a model on labelled rows: ROC-AUC, PR-AUC, precision and recall at its threshold, per scenario.')
    .option('--labels <labels.jsonl>', 'window labels for --events (default: <events>.labels.jsonl when it exists)')
    .option('--json', 'print the metrics as JSON')
    .action(async (opts) => runEvaluate(opts, progress, out));

  const models = modelsCommand({ stdout: (line) => io.stdout(`${line}\n`) });
  for (const c of [models, ...models.commands]) c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).showHelpAfterError('(run with --help for usage)');
  program.addCommand(models);
  program.addCommand(feedbackCommand(io));

  return program;
}

/** Runs the CLI on arguments (without `node` and the script); resolves to the exit code. */
export async function main(args: string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    if (args.length === 0) {
      io.stderr(program.helpInformation());
      return EXIT_BAD_INPUT;
    }
    await program.parseAsync(args, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    const { code, message } = exitFor(error);
    if (message !== '') io.stderr(message);
    return code;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
