// `npm run bench`: runs each benchmark row, prints a table with every figure beside its baseline from the same
// run, and writes bench/results.json. Progress goes to stderr. Not a test: nothing here fails the build.

import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { benchAggregate } from './aggregate';
import { benchLoad } from './load';
import { benchRuntime } from './runtime';
import { benchSolver } from './solver';
import { benchTrain } from './train';

export interface BenchRow {
  name: string;
  ours: string;
  baseline: string;
  /** What the ratio means and the goal, e.g. "ours / sklearn, goal <= 1.0". */
  ratioMeaning: string;
  ratio: number | null;
  met: boolean | null;
  memory: string;
  /** The row's own measurements, as its bench returned them. */
  detail: unknown;
}

const log = (text: string): void => void process.stderr.write(`${text}\n`);
const ms = (x: number): string => `${(x / 1000).toFixed(2)} s`;
const mb = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : `${Math.round(x)} MB`);
const auc = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(4));

async function trainRow(): Promise<BenchRow> {
  const r = await benchTrain({ rows: 500_000, repeats: 3, log });
  const name = `train ${r.rows.toLocaleString('en-US')} x ${r.features} CSV (${r.csvMb.toFixed(0)} MB), whole process`;
  return {
    name,
    ours: `${ms(r.ours.ms)}, AUC ${auc(r.ours.rocAuc)}`,
    baseline: r.sklearn ? `sklearn ${ms(r.sklearn.ms)}, AUC ${auc(r.sklearn.rocAuc)}` : `skipped: ${r.skipped}`,
    ratioMeaning: 'ours / sklearn time, goal <= 1.0',
    ratio: r.ratio,
    met: r.ratio === null ? null : r.ratio <= 1,
    memory: `${mb(r.ours.peakRssMb)} vs ${r.sklearn ? mb(r.sklearn.peakRssMb) : 'n/a'}`,
    detail: r,
  };
}

function solverRow(): BenchRow {
  const r = benchSolver();
  return {
    name: `logistic solver ${r.rows.toLocaleString('en-US')} x ${r.features}`,
    ours: `Newton ${ms(r.oursMs)}, AUC ${auc(r.oursAuc)}`,
    baseline: `ml-logistic-regression (${r.steps} steps) ${ms(r.mlLogisticMs)}, AUC ${auc(r.mlLogisticAuc)}`,
    ratioMeaning: 'ml-logistic-regression / ours time (times faster)',
    ratio: r.ratio,
    met: r.ratio >= 1 && (r.oursAuc ?? 0) >= (r.mlLogisticAuc ?? 0) - 0.005,
    memory: `${mb(r.peakRssMb)} (bench process)`,
    detail: r,
  };
}

async function aggregateRow(): Promise<BenchRow> {
  const r = await benchAggregate({ events: 1_000_000 });
  return {
    name: `aggregate ${r.events.toLocaleString('en-US')} CloudTrail events`,
    ours: `parse + aggregate ${ms(r.aggregateMs)} (${r.rows.toLocaleString('en-US')} rows)`,
    baseline: `JSON.parse ${ms(r.parseMs)}`,
    ratioMeaning: 'ours / JSON.parse time, goal <= 2.0',
    ratio: r.ratio,
    met: r.ratio <= 2,
    memory: `${mb(r.peakRssMb)} (bench process)`,
    detail: r,
  };
}

/** Cold start and /detect latency of the bundled detection handler (two rows from one run). */
async function runtimeRows(): Promise<BenchRow[]> {
  const r = await benchRuntime();
  const kib = (bytes: number): string => `${Math.round(bytes / 1024)} KiB`;
  return [
    {
      name: `cold start: detection bundle (${kib(r.detectionBundleBytes)}), model from S3, first /detect`,
      ours: `${ms(r.coldInitMs)} (median)`,
      baseline: r.sklearnImportMs === null ? 'skipped: no python3 with scikit-learn' : `python3 -c "import sklearn.linear_model" ${ms(r.sklearnImportMs)}`,
      ratioMeaning: 'ours / sklearn import time, goal < 0.2 with a bundle < 5 MB',
      ratio: r.coldInitRatio,
      met: r.coldInitRatio === null ? null : r.coldInitRatio < 0.2 && r.detectionBundleBytes < 5 * 1024 * 1024,
      memory: 'n/a',
      detail: r,
    },
    {
      name: `/detect latency, ${r.detectRows} rows per request, ${r.detectRequests} requests`,
      ours: `p50 ${r.detectP50Ms.toFixed(1)} ms, p99 ${r.detectP99Ms.toFixed(1)} ms`,
      baseline: 'none (no equivalent service to compare)',
      ratioMeaning: '',
      ratio: null,
      met: null,
      memory: 'n/a',
      detail: { detectRows: r.detectRows, detectRequests: r.detectRequests, detectP50Ms: r.detectP50Ms, detectP99Ms: r.detectP99Ms },
    },
  ];
}

/** Sustained load and a soak of the local detection server; shortened so the whole bench stays near 5 minutes. */
async function loadRow(): Promise<BenchRow> {
  const r = await benchLoad({ seconds: 20, requests: 40_000 });
  const m = r.soak.memory;
  return {
    name: `local /detect under load, ${r.rowsPerRequest} rows per request, ${r.sustained.connections} connections`,
    ours: `${r.sustained.requestsPerSecond} req/s, p99 ${r.sustained.latencyMs.p99} ms, ${r.sustained.errors + r.sustained.non2xx + r.sustained.timeouts} failures`,
    baseline: 'none (no equivalent service to compare)',
    ratioMeaning: '',
    ratio: null,
    met: null,
    memory: `server RSS ${mb(m.first.rssMb)} at start, ${mb(m.max.rssMb)} peak, ${mb(m.last.rssMb)} after ${r.soak.requests.toLocaleString('en-US')} requests`,
    detail: r,
  };
}

/** Column-aligned text table of the rows. */
export function formatTable(rows: BenchRow[]): string {
  const header = ['benchmark', 'ours', 'baseline', 'ratio', 'goal met', 'peak memory (ours vs baseline)'];
  const cells = rows.map((r) => [r.name, r.ours, r.baseline, r.ratio === null ? 'n/a' : `${r.ratio.toFixed(2)} (${r.ratioMeaning})`, r.met === null ? 'n/a' : r.met ? 'yes' : 'NO', r.memory]);
  const widths = header.map((h, k) => Math.max(h.length, ...cells.map((c) => c[k].length)));
  const line = (c: string[]): string => c.map((x, k) => x.padEnd(widths[k])).join(' | ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}

/** bench/results.json, also when this runs built, from dist/bench/. */
export function resultsPath(): string {
  const built = basename(dirname(__dirname)) === 'dist';
  return built ? join(__dirname, '..', '..', 'bench', 'results.json') : join(__dirname, 'results.json');
}

async function main(): Promise<void> {
  const started = Date.now();
  const runs: [string, () => Promise<BenchRow | BenchRow[]> | BenchRow][] = [
    // The solver row reports this process's lifetime peak memory: it runs first, before others raise it.
    ['solver', solverRow],
    ['aggregate', aggregateRow],
    ['train', trainRow],
    ['runtime', runtimeRows],
    ['load', loadRow],
  ];
  const rows: BenchRow[] = [];
  const failures: { bench: string; error: string }[] = [];
  for (const [name, run] of runs) {
    log(`bench ${name}: starting`);
    const t = Date.now();
    try {
      rows.push(...[await run()].flat());
      log(`bench ${name}: done in ${ms(Date.now() - t)}`);
    } catch (error) {
      // One broken row should not hide the others' figures.
      const text = error instanceof Error ? error.message : String(error);
      failures.push({ bench: name, error: text });
      log(`bench ${name}: FAILED: ${text}`);
    }
  }
  const table = formatTable(rows);
  process.stdout.write(`${table}\n`);
  const results = {
    generatedAt: new Date().toISOString(),
    machine: { node: process.version, cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30) },
    durationMs: Date.now() - started,
    rows,
    failures,
  };
  const out = resultsPath();
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`bench: wrote ${out} in ${ms(Date.now() - started)}`);
  if (failures.length > 0) process.exitCode = 1;
}

if (require.main === module) void main();
