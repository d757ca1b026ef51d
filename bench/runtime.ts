// Runtime benchmark rows: detection bundle size, cold start of the bundled Lambda handler in a new Node process
// (load the bundle, load the model from S3, answer the first /detect) against `import sklearn.linear_model`,
// and /detect latency for a 100-row request on the local server.
import { execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { aggregateEvents } from '../handlers/engine/aggregate';
import { serializeModel, parseModel } from '../handlers/engine/model-document';
import { DEFAULT_SPECS } from '../handlers/engine/spec';
import { makeSample, trainOnSample } from '../handlers/local/sample';
import { serveLocally } from '../handlers/local/server';
import { createDetectionApp } from '../handlers/runtime/app';
import { directoryObjects } from '../handlers/store/directory';
import { createModelStore } from '../handlers/store/model-store';
import { s3Objects } from '../handlers/store/s3';
import { loopbackAwsEnvironment, startLoopbackS3 } from '../test/support/s3rver';

export interface RuntimeBench {
  detectionBundleBytes: number;
  trainingBundleBytes: number;
  /** Median wall time of a new Node process: load the bundle, load the model, answer the first /detect. */
  coldInitMs: number;
  /** Median wall time of `python3 -c "import sklearn.linear_model"`, or null when python lacks sklearn. */
  sklearnImportMs: number | null;
  coldInitRatio: number | null;
  detectRows: number;
  detectRequests: number;
  detectP50Ms: number;
  detectP99Ms: number;
  notes: string[];
}

const root = join(__dirname, '..');
// The bench runs from dist/bench after `npm run build`, or from the source through tsx.
const repo = existsSync(join(root, 'package.json')) ? root : join(root, '..');
const progress = (m: string) => process.stderr.write(`bench runtime: ${m}\n`);

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Wall time of one child process; rejects when it fails. */
function timeProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, stdout });
      else reject(new Error(`${command} exited ${code}: ${stderr.slice(0, 500)}`));
    });
  });
}

/** The first Python that has scikit-learn: $PYTHON, python3 on the PATH, then Debian's (python3-sklearn). */
async function pythonWithSklearn(): Promise<string | null> {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  for (const python of candidates) {
    try {
      await promisify(execFile)(python, ['-c', 'import sklearn.linear_model']);
      return python;
    } catch {
      // Not this one.
    }
  }
  return null;
}

async function sklearnImportMs(runs: number): Promise<number | null> {
  const python = await pythonWithSklearn();
  if (!python) return null;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timeProcess(python, ['-c', 'import sklearn.linear_model'], process.env)).ms);
  return median(times);
}

export async function benchRuntime(options: { coldRuns?: number; requests?: number } = {}): Promise<RuntimeBench> {
  const coldRuns = options.coldRuns ?? 5;
  const requests = options.requests ?? 300;
  const notes: string[] = [];
  const detectionBundle = join(repo, 'dist', 'bundles', 'detection', 'index.js');
  const trainingBundle = join(repo, 'dist', 'bundles', 'training', 'index.js');
  if (!existsSync(detectionBundle)) throw new Error('dist/bundles/detection/index.js is missing: run `npm run bundle` first');

  progress('training a model on the sample');
  const dir = await mkdtemp(join(tmpdir(), 'bench-runtime-'));
  const folderStore = createModelStore(directoryObjects(dir), '');
  const sample = makeSample();
  const summary = await trainOnSample(sample, folderStore);
  if (!summary.version) throw new Error('training on the sample produced no model');
  const modelText = await folderStore.readModel(summary.version);
  const spec = DEFAULT_SPECS.find((s) => s.logType === 'AWS.CloudTrail')!;
  const rows = aggregateEvents(spec, sample.simulation.events, { start: sample.trainEnd, end: sample.end })
    .slice(0, 100)
    .map((r) => ({ entity: r.entity, windowStart: r.windowStart, logType: r.logType ?? spec.logType, features: r.features }));
  const body = JSON.stringify({ rows });
  const event = {
    resource: '/detect',
    path: '/detect',
    httpMethod: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    isBase64Encoded: false,
    requestContext: { requestId: 'bench' },
  };

  progress('cold starts of the bundled detection handler against s3rver');
  const s3 = await startLoopbackS3('bench-models');
  let coldInitMs: number;
  try {
    const s3Store = createModelStore(s3Objects(s3.client, s3.bucket), 'models/');
    await s3Store.writeVersion(summary.version, { 'model.json': serializeModel(parseModel(modelText)) });
    await s3Store.promote(summary.version);
    const env = {
      ...process.env,
      MODEL_BUCKET: s3.bucket,
      MODEL_PREFIX: 'models/',
      LOG_LEVEL: 'error',
      ...loopbackAwsEnvironment(s3.endpoint),
      // As the stack sets it: source-mapped stack traces cost the parse of the map at load.
      NODE_OPTIONS: '--enable-source-maps',
      BENCH_EVENT: JSON.stringify(event),
    };
    const script =
      `const { handler } = require(${JSON.stringify(detectionBundle)});` +
      `handler(JSON.parse(process.env.BENCH_EVENT)).then((r) => { process.stdout.write(String(r.statusCode)); });`;
    const times: number[] = [];
    for (let i = 0; i < coldRuns; i++) {
      const run = await timeProcess(process.execPath, ['-e', script], env);
      if (run.stdout !== '200') throw new Error(`the bundled handler answered ${run.stdout}`);
      times.push(run.ms);
    }
    coldInitMs = median(times);
  } finally {
    await s3.stop();
  }
  const sklearn = await sklearnImportMs(coldRuns);
  if (sklearn === null) notes.push('python3 lacks scikit-learn: cold-init ratio skipped (Debian: apt-get install python3-sklearn)');

  progress(`${requests} sequential /detect requests of ${rows.length} rows on the local server`);
  const app = createDetectionApp({ store: folderStore, refreshSeconds: 60, maxBodyBytes: 1_048_576 });
  const server = await serveLocally(app.handle, { port: 0, maxBodyBytes: 1_048_576 });
  const latencies: number[] = [];
  try {
    const call = async () => {
      const started = performance.now();
      const res = await fetch(`${server.url}/detect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`/detect answered ${res.status}`);
      return performance.now() - started;
    };
    for (let i = 0; i < 20; i++) await call();
    for (let i = 0; i < requests; i++) latencies.push(await call());
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    detectionBundleBytes: statSync(detectionBundle).size,
    trainingBundleBytes: existsSync(trainingBundle) ? statSync(trainingBundle).size : 0,
    coldInitMs: round(coldInitMs),
    sklearnImportMs: sklearn === null ? null : round(sklearn),
    coldInitRatio: sklearn === null ? null : round(coldInitMs / sklearn),
    detectRows: rows.length,
    detectRequests: requests,
    detectP50Ms: round(percentile(latencies, 50)),
    detectP99Ms: round(percentile(latencies, 99)),
    notes,
  };
}

if (require.main === module) {
  benchRuntime().then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`));
}
