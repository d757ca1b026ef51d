// Benchmark row: in-process aggregation of CloudTrail JSONL against JSON.parse of the same lines (goal <= 2x).
import { SpecAggregator } from '../handlers/engine/aggregate';
import { simulate } from '../handlers/engine/simulator';
import { DEFAULT_SPECS } from '../handlers/engine/spec';
import type { PantherEvent } from '../handlers/engine/types';

export interface AggregateBenchResult {
  events: number;
  /** JSON.parse of every line. */
  parseMs: number;
  /** JSON.parse plus aggregation of every line, and building the rows at the end. */
  aggregateMs: number;
  /** aggregateMs / parseMs. */
  ratio: number;
  rows: number;
  peakRssMb: number;
}

const DAY = 86400000;
/** Events are made two days at a time, so the JSONL never has to be held whole (1,000,000 lines is about 1.3 GB). */
const CHUNK_DAYS = 2;

/** Simulated CloudTrail events as JSONL lines, one chunk at a time; the same principals chunk after chunk. */
function* cloudTrailLines(total: number, principals: number, seed: number): Generator<string[]> {
  const spec = DEFAULT_SPECS.find((s) => s.logType === 'AWS.CloudTrail')!;
  const first = Date.UTC(2026, 0, 5);
  let made = 0;
  for (let chunk = 0; made < total; chunk++) {
    const { events } = simulate({ days: CHUNK_DAYS, principals, seed, start: new Date(first + chunk * CHUNK_DAYS * DAY), specs: [spec] });
    const lines: string[] = [];
    for (const e of events) {
      if (e.p_log_type !== 'AWS.CloudTrail') continue;
      if (made++ >= total) break;
      lines.push(JSON.stringify(e));
    }
    yield lines;
  }
}

/**
 * Times JSON.parse per line against parse + aggregate per line over `events` simulated CloudTrail lines.
 * Generation happens between the timed parts; the two loops alternate chunk by chunk so machine load hits both.
 */
export async function benchAggregate(opts: { events: number; principals?: number; seed?: number }): Promise<AggregateBenchResult> {
  const spec = DEFAULT_SPECS.find((s) => s.logType === 'AWS.CloudTrail')!;
  const aggregator = new SpecAggregator(spec);
  let parseMs = 0;
  let aggregateMs = 0;
  let peakRss = process.memoryUsage().rss;
  let count = 0;
  let chunk = 0;
  for (const lines of cloudTrailLines(opts.events, opts.principals ?? 100, opts.seed ?? 1)) {
    count += lines.length;
    // Which loop runs first alternates, so neither always meets the lines cold.
    for (const pass of chunk++ % 2 === 0 ? ['parse', 'aggregate'] : ['aggregate', 'parse']) {
      const t = performance.now();
      if (pass === 'parse') {
        for (let i = 0; i < lines.length; i++) JSON.parse(lines[i]);
        parseMs += performance.now() - t;
      } else {
        for (let i = 0; i < lines.length; i++) aggregator.add(JSON.parse(lines[i]) as PantherEvent);
        aggregateMs += performance.now() - t;
      }
    }
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const t = performance.now();
  const rows = aggregator.rows().length;
  aggregateMs += performance.now() - t;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return {
    events: count,
    parseMs: Math.round(parseMs),
    aggregateMs: Math.round(aggregateMs),
    ratio: Math.round((aggregateMs / parseMs) * 100) / 100,
    rows,
    peakRssMb: Math.round(peakRss / 1048576),
  };
}
