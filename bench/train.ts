// Benchmark row: whole-process `panther-anomaly train --rows` on a generated labelled CSV against the
// scikit-learn pipeline a Python user would write (bench/sklearn_pipeline.py), with the peak memory of each.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { mulberry32 } from '../handlers/engine/random';

export interface ProcessRun {
  ms: number;
  /** Peak resident set of the process, MB; null when this machine offers no way to read it. */
  peakRssMb: number | null;
  rocAuc: number | null;
}

export interface TrainBench {
  rows: number;
  features: number;
  csvMb: number;
  ours: ProcessRun;
  /** Null when no Python with scikit-learn and pandas was found; `skipped` says why. */
  sklearn: ProcessRun | null;
  skipped?: string;
  /** ours.ms / sklearn.ms; goal <= 1. */
  ratio: number | null;
  pythonVersion?: string;
}

/** Feature columns of the generated file: counts, byte sizes, rates, flags and mostly-zero columns. */
export const BENCH_FEATURES = [
  'events', 'distinct_ips', 'distinct_regions', 'errors', 'write_calls', 'list_calls', 's3_reads', 'bytes_out',
  'bytes_in', 'error_ratio', 'write_ratio', 'new_country', 'mfa_used', 'iam_changes', 'kms_decrypts', 'secret_reads',
] as const;

const SCENARIOS = ['exfiltration', 'privilege_escalation', 'credential_theft', 'brute_force'];

/**
 * A labelled feature-row CSV of `rows` rows: entities with their own levels over hourly windows, about 1 % attack
 * windows in four scenarios that push different features. Deterministic for a seed.
 */
export function generateTrainingCsv(rows: number, seed = 1, entities = 2000): string {
  const random = mulberry32(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const level = Array.from({ length: entities }, () => Math.exp(1.5 + normal()));
  const bytes = Array.from({ length: entities }, () => Math.exp(8 + 2.5 * normal()));
  const header = `entity,window_start,label,scenario,${BENCH_FEATURES.join(',')}`;
  const lines: string[] = [header];
  const t0 = Date.UTC(2026, 0, 5);
  for (let i = 0; i < rows; i++) {
    const e = i % entities;
    const window = new Date(t0 + Math.floor(i / entities) * 3600_000).toISOString();
    const mu = level[e] * (0.6 + 0.8 * random());
    let events = Math.max(1, Math.round(mu + Math.sqrt(mu) * normal()));
    let ips = 1 + (random() < 0.1 ? 1 : 0);
    let regions = 1;
    let errors = Math.round(events * 0.03 * random() * 2);
    let writes = Math.round(events * 0.2 * random());
    const lists = Math.round(events * 0.5 * random());
    let s3 = random() < 0.3 ? Math.round(events * random()) : 0;
    let out = Math.round(bytes[e] * Math.exp(0.5 * normal()));
    const inBytes = Math.round(bytes[e] * 0.3 * Math.exp(0.5 * normal()));
    let newCountry = random() < 0.002 ? 1 : 0;
    const mfa = random() < 0.9 ? 1 : 0;
    let iam = random() < 0.01 ? 1 : 0;
    let kms = random() < 0.05 ? Math.round(3 * random()) : 0;
    let secrets = random() < 0.02 ? 1 : 0;
    let label = 0;
    let scenario = '';
    if (random() < 0.01) {
      label = 1;
      scenario = SCENARIOS[Math.floor(random() * SCENARIOS.length)];
      const strength = 0.5 + random();
      if (scenario === 'exfiltration') {
        s3 += Math.round(200 * strength);
        out *= Math.round(20 * strength);
      } else if (scenario === 'privilege_escalation') {
        iam += Math.round(5 * strength);
        writes += Math.round(20 * strength);
      } else if (scenario === 'credential_theft') {
        ips += Math.round(3 * strength);
        regions += Math.round(2 * strength);
        newCountry = 1;
        secrets += Math.round(4 * strength);
        kms += Math.round(6 * strength);
      } else {
        errors += Math.round(80 * strength);
        events += Math.round(80 * strength);
      }
    }
    const errorRatio = events === 0 ? 0 : Math.min(1, errors / events);
    const writeRatio = events === 0 ? 0 : Math.min(1, writes / events);
    lines.push(
      `user-${e},${window},${label},${scenario},${events},${ips},${regions},${errors},${writes},${lists},${s3},${out},${inBytes},` +
        `${errorRatio.toFixed(4)},${writeRatio.toFixed(4)},${newCountry},${mfa},${iam},${kms},${secrets}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Reads the peak resident set from GNU time's `-v` report, in MB. */
export function peakFromTimeReport(stderr: string): number | null {
  const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return match ? Number(match[1]) / 1024 : null;
}

const GNU_TIME = '/usr/bin/time';

function hasGnuTime(): boolean {
  if (!existsSync(GNU_TIME)) return false;
  const probe = spawnSync(GNU_TIME, ['-v', 'true'], { encoding: 'utf8' });
  return probe.status === 0 && /Maximum resident set size/.test(probe.stderr);
}

/**
 * Runs a command to completion and measures wall time and peak memory: through GNU time when it is installed,
 * else by reading the kernel's high-water mark (VmHWM) of the process while it runs.
 */
export async function measureProcess(command: string, args: string[], cwd: string): Promise<{ ms: number; peakRssMb: number | null; stdout: string; stderr: string }> {
  const useTime = hasGnuTime();
  const [file, argv] = useTime ? [GNU_TIME, ['-v', command, ...args]] : [command, args];
  const start = performance.now();
  const child = spawn(file, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let polledKb = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        try {
          const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (match) polledKb = Math.max(polledKb, Number(match[1]));
        } catch {
          // The process has ended between two polls.
        }
      }, 20);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const ms = performance.now() - start;
  if (poll) clearInterval(poll);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`);
  return { ms, peakRssMb: useTime ? peakFromTimeReport(stderr) : polledKb > 0 ? polledKb / 1024 : null, stdout, stderr };
}

/** Node arguments that run the CLI: the built one, or the sources through tsx when the bench itself runs from them. */
export function cliCommand(): string[] {
  const ext = extname(__filename);
  const entry = join(__dirname, '..', 'handlers', 'cli', `index${ext}`);
  return ext === '.ts' ? ['--import', require.resolve('tsx'), entry] : [entry];
}

/** bench/sklearn_pipeline.py, whether this runs from bench/ or from dist/bench/. */
export function pipelineScript(): string {
  const beside = join(__dirname, 'sklearn_pipeline.py');
  return existsSync(beside) ? beside : join(__dirname, '..', '..', 'bench', 'sklearn_pipeline.py');
}

/** A Python that can run the scikit-learn pipeline, or why there is none. The bench installs nothing. */
export function findSklearnPython(): { python: string; version: string } | { missing: string } {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import sys, sklearn, pandas; print(sys.version.split()[0], sklearn.__version__, pandas.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) {
      const [py, sk, pd] = probe.stdout.trim().split(' ');
      return { python, version: `Python ${py}, scikit-learn ${sk}, pandas ${pd}` };
    }
  }
  return { missing: 'no python3 with scikit-learn and pandas (Debian: apt-get install python3-sklearn python3-pandas)' };
}

/**
 * Times `panther-anomaly train` (the built CLI, a fresh process) and the scikit-learn pipeline on the same
 * generated file, alternating, best of `repeats` each so a busy neighbour on a shared machine hurts both alike.
 */
export async function benchTrain(opts: { rows?: number; repeats?: number; cli?: string[]; log?: (text: string) => void }): Promise<TrainBench> {
  const cli = opts.cli ?? cliCommand();
  const rows = opts.rows ?? 500_000;
  const repeats = opts.repeats ?? 2;
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'panther-anomaly-bench-'));
  try {
    log(`train bench: generating ${rows.toLocaleString('en-US')} x ${BENCH_FEATURES.length} labelled rows`);
    const csv = generateTrainingCsv(rows);
    const csvPath = join(dir, 'rows.csv');
    writeFileSync(csvPath, csv);
    const python = findSklearnPython();
    if ('missing' in python) log(`train bench: scikit-learn row skipped: ${python.missing}`);
    let ours: ProcessRun | null = null;
    let sklearn: ProcessRun | null = null;
    for (let r = 0; r < repeats; r++) {
      log(`train bench: panther-anomaly train, run ${r + 1} of ${repeats}`);
      const run = await measureProcess(process.execPath, [...cli, '--quiet', 'train', '--rows', csvPath, '--out', join(dir, 'model.json')], dir);
      const auc = /ROC-AUC (\d\.\d+)/.exec(run.stdout);
      if (ours === null || run.ms < ours.ms) ours = { ms: run.ms, peakRssMb: run.peakRssMb, rocAuc: auc ? Number(auc[1]) : null };
      if (!('missing' in python)) {
        log(`train bench: scikit-learn pipeline, run ${r + 1} of ${repeats}`);
        const py = await measureProcess(python.python, [pipelineScript(), csvPath], dir);
        const report = JSON.parse(py.stdout.trim().split('\n').pop()!) as { rocAuc: number | null; peakRssMb: number };
        if (sklearn === null || py.ms < sklearn.ms) sklearn = { ms: py.ms, peakRssMb: py.peakRssMb ?? report.peakRssMb, rocAuc: report.rocAuc };
      }
    }
    const result: TrainBench = {
      rows,
      features: BENCH_FEATURES.length,
      csvMb: Buffer.byteLength(csv) / 1e6,
      ours: ours!,
      sklearn,
      ratio: sklearn === null ? null : ours!.ms / sklearn.ms,
    };
    if ('missing' in python) result.skipped = python.missing;
    else result.pythonVersion = python.version;
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
