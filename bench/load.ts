// Load benchmark of the detection API on the local server: a sustained phase (autocannon, 30 s x 64 connections
// of valid 100-row /detect requests) for latency and throughput, then a 100,000-request soak with the server
// process's memory sampled every second. The server runs in a child process, so its memory and event loop are
// its own and autocannon's are not counted. Not a test: it reports figures, nothing fails the build.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregateEvents } from '../handlers/engine/aggregate';
import { DEFAULT_SPECS } from '../handlers/engine/spec';
import { makeSample, trainOnSample } from '../handlers/local/sample';
import { serveLocally } from '../handlers/local/server';
import { createDetectionApp } from '../handlers/runtime/app';
import { createLogger } from '../handlers/runtime/logger';
import { directoryObjects } from '../handlers/store/directory';
import { createModelStore } from '../handlers/store/model-store';

// autocannon ships no types; these are the parts of its result read here.
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p99: number; max: number; mean: number };
  requests: { average: number; total: number };
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const ROWS_PER_REQUEST = 100;
const MAX_BODY_BYTES = 1_048_576;

export interface LoadPhase {
  seconds: number;
  connections: number;
  requests: number;
  ok: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number; mean: number };
}

export interface MemorySample {
  /** Seconds since the phase started. */
  t: number;
  rssMb: number;
  heapUsedMb: number;
}

export interface LoadBench {
  rowsPerRequest: number;
  bodyBytes: number;
  modelVersion: string;
  sustained: LoadPhase;
  soak: LoadPhase & { memory: { samples: MemorySample[]; first: MemorySample; last: MemorySample; max: MemorySample } };
}

/** What the server child tells its parent. */
type ServerMessage = { ready: { url: string; body: string; modelVersion: string } } | { memory: { rss: number; heapUsed: number } };

const progress = (m: string) => process.stderr.write(`bench load: ${m}\n`);
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** The sustained or soak phase's figures from autocannon's result. */
function phaseOf(r: AutocannonResult, connections: number): LoadPhase {
  return {
    seconds: r.duration,
    connections,
    requests: r.requests.total,
    ok: r['2xx'],
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    requestsPerSecond: Math.round(r.requests.average),
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, mean: Math.round(r.latency.mean * 100) / 100 },
  };
}

/** First, last and largest (by RSS) of the samples; heap is reported beside RSS in each. */
export function memorySummary(samples: MemorySample[]): { first: MemorySample; last: MemorySample; max: MemorySample } {
  if (samples.length === 0) throw new Error('no memory samples were taken');
  const max = samples.reduce((a, b) => (b.rssMb > a.rssMb ? b : a));
  return { first: samples[0], last: samples[samples.length - 1], max };
}

/** In the child: train on the local sample, serve it on 127.0.0.1, report the URL, then memory every second. */
async function serve(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-load-'));
  const store = createModelStore(directoryObjects(dir), '');
  const sample = makeSample();
  const summary = await trainOnSample(sample, store);
  if (!summary.currentVersion) throw new Error(`training promoted no model: ${summary.gate.reasons.join('; ')}`);
  // The local server's log level: one line per failed request, none per good one.
  const app = createDetectionApp({ store, refreshSeconds: 5, maxBodyBytes: MAX_BODY_BYTES, logger: createLogger({ level: 'warn' }) });
  const server = await serveLocally(app.handle, { port: 0, host: '127.0.0.1', maxBodyBytes: MAX_BODY_BYTES });
  // Held-out hours of the sample, as feature rows: what a caller scoring its own aggregates sends.
  const spec = DEFAULT_SPECS.find((s) => s.logType === 'AWS.CloudTrail')!;
  const rows = aggregateEvents(spec, sample.simulation.events, { start: sample.trainEnd, end: sample.end })
    .slice(0, ROWS_PER_REQUEST)
    .map((r) => ({ entity: r.entity, windowStart: r.windowStart, logType: spec.logType, features: r.features }));
  if (rows.length < ROWS_PER_REQUEST) throw new Error(`the sample has only ${rows.length} held-out rows`);
  const send = (m: ServerMessage) => process.send?.(m);
  send({ ready: { url: server.url, body: JSON.stringify({ rows }), modelVersion: summary.currentVersion } });
  const timer = setInterval(() => {
    const { rss, heapUsed } = process.memoryUsage();
    send({ memory: { rss, heapUsed } });
  }, 1_000);
  // The parent disconnecting is the signal to stop.
  process.once('disconnect', () => {
    clearInterval(timer);
    void server.close().then(() => rm(dir, { recursive: true, force: true }));
  });
}

function startServer(): Promise<{ child: ChildProcess; url: string; body: string; modelVersion: string }> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['serve'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const onExit = (code: number | null) => reject(new Error(`the bench server exited with ${code} before it was ready`));
    child.once('exit', onExit);
    child.on('message', (m: ServerMessage) => {
      if ('ready' in m) {
        child.off('exit', onExit);
        resolve({ child, ...m.ready });
      }
    });
  });
}

/**
 * Sustained load for `seconds` (default 30) on `connections` (default 64), then a soak of `requests` (default
 * 100,000) with the server's RSS and heap sampled every second.
 */
export async function benchLoad(opts: { seconds?: number; connections?: number; requests?: number } = {}): Promise<LoadBench> {
  const seconds = opts.seconds ?? 30;
  const connections = opts.connections ?? 64;
  const requests = opts.requests ?? 100_000;
  progress('training on the local sample and starting the server');
  const server = await startServer();
  try {
    const request = {
      url: `${server.url}/detect`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: server.body,
      connections,
    };
    progress(`sustained: ${seconds} s x ${connections} connections`);
    const sustained = phaseOf(await autocannon({ ...request, duration: seconds }), connections);

    progress(`soak: ${requests.toLocaleString('en-US')} requests, memory every second`);
    const samples: MemorySample[] = [];
    const started = Date.now();
    const record = (m: ServerMessage) => {
      if ('memory' in m) samples.push({ t: Math.round((Date.now() - started) / 100) / 10, rssMb: mb(m.memory.rss), heapUsedMb: mb(m.memory.heapUsed) });
    };
    server.child.on('message', record);
    const soakResult = await autocannon({ ...request, amount: requests });
    // One more sample after the last request, so a short soak still has a first and a last.
    await new Promise<void>((resolve) => server.child.once('message', () => resolve()));
    server.child.off('message', record);
    const soak = { ...phaseOf(soakResult, connections), memory: { samples, ...memorySummary(samples) } };
    return { rowsPerRequest: ROWS_PER_REQUEST, bodyBytes: Buffer.byteLength(server.body), modelVersion: server.modelVersion, sustained, soak };
  } finally {
    server.child.disconnect();
  }
}

if (require.main === module) {
  if (process.argv[2] === 'serve') {
    serve().catch((err: Error) => {
      process.stderr.write(`bench load server: ${err.message}\n`);
      process.exit(1);
    });
  } else {
    // `node dist/bench/load.js [seconds] [connections] [requests]`: the figures as JSON.
    const [seconds, connections, requests] = process.argv.slice(2).map(Number);
    benchLoad({ seconds: seconds || undefined, connections: connections || undefined, requests: requests || undefined })
      .then((r) => {
        const { samples, ...memory } = r.soak.memory;
        process.stdout.write(`${JSON.stringify({ ...r, soak: { ...r.soak, memory: { ...memory, sampleCount: samples.length } } }, null, 2)}\n`);
      })
      .catch((err: Error) => {
        process.stderr.write(`bench load: ${err.message}\n`);
        process.exitCode = 1;
      });
  }
}
