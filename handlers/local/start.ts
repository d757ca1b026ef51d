// `npm start`: train on the bundled sample (or a live Panther tenant when PANTHER_API_URL and PANTHER_API_TOKEN
// are set), keep the model in a local folder, and serve the detection API on localhost with a ready example.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseModel } from '../engine/model-document';
import { renderReport } from '../engine/report';
import { DEFAULT_SPECS } from '../engine/spec';
import { createPantherClient } from '../panther/client';
import { staticToken } from '../panther/token';
import { createDetectionApp } from '../runtime/app';
import { eventSource, pantherSource, type FeatureSource } from '../runtime/feature-source';
import { createLogger } from '../runtime/logger';
import { DEFAULT_GATE, runTrainingJob, trainingWindow } from '../runtime/training-job';
import { directoryObjects } from '../store/directory';
import { createFeedbackStore } from '../store/feedback';
import { createModelStore } from '../store/model-store';
import { makeSample, pickExample, SAMPLE_GATE, shellQuote, type Example } from './sample';
import { serveLocally } from './server';

const progress = (message: string) => process.stderr.write(`${message}\n`);

/** A path relative to the working folder when it lies inside it, else absolute. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** ROC-AUC needs both kinds of window; a held-out slice with no alerted window has none to give. */
function heldOutAuc(auc: number | null | undefined): string {
  return typeof auc === 'number' ? auc.toFixed(3) : 'n/a (no alerted window held out)';
}

interface Plan {
  source: FeatureSource;
  start: Date;
  end: Date;
  live: boolean;
  example: (docText: string) => Example | null;
}

function plan(env: NodeJS.ProcessEnv): Plan {
  if (env.PANTHER_API_URL && env.PANTHER_API_TOKEN) {
    const client = createPantherClient({ url: env.PANTHER_API_URL, token: staticToken(env.PANTHER_API_TOKEN) });
    const days = Number(env.TRAINING_LOOKBACK_DAYS ?? 30);
    progress(`training from the Panther tenant at ${new URL(env.PANTHER_API_URL).host}, last ${days} days`);
    return { source: pantherSource(client), ...trainingWindow(new Date(), days), live: true, example: () => null };
  }
  if (env.PANTHER_API_URL || env.PANTHER_API_TOKEN) {
    progress('only one of PANTHER_API_URL and PANTHER_API_TOKEN is set; both are needed to train from a tenant');
  }
  progress('simulating the sample: 30 principals, 21 days of CloudTrail and Okta traffic with attacks (seed 42)');
  const sample = makeSample();
  progress(`  ${sample.simulation.events.length} events, ${sample.simulation.labels.length} attacked windows`);
  return {
    source: eventSource(sample.simulation.events, sample.alerts),
    start: sample.trainStart,
    end: sample.trainEnd,
    live: false,
    example: (docText) => pickExample(sample, parseModel(docText)),
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  const folder = resolve(env.LOCAL_MODEL_DIR ?? join('.local', 'models'));
  const objects = directoryObjects(folder);
  const store = createModelStore(objects, '');
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'warn', write: (line) => process.stderr.write(`${line}\n`) });

  const run = plan(env);
  progress(`training on ${run.start.toISOString().slice(0, 10)} .. ${run.end.toISOString().slice(0, 10)}`);
  const summary = await runTrainingJob({
    specs: DEFAULT_SPECS,
    start: run.start,
    end: run.end,
    source: run.source,
    store,
    // Verdicts recorded with `panther-anomaly feedback add --dir <this folder>`.
    feedback: createFeedbackStore(objects, ''),
    logger,
    renderReport,
    // The sample is small by design; a live tenant keeps the stack's gate.
    gate: run.live ? DEFAULT_GATE : SAMPLE_GATE,
  });
  for (const [logType, s] of Object.entries(summary.logTypes)) {
    const verdicts = s.feedbackWindows.attack + s.feedbackWindows.benign;
    progress(`  ${logType}: ${s.windows} windows, ${s.alertWindows} alerted` + (verdicts > 0 ? `, ${verdicts} by analyst feedback` : '') + (s.trained ? `, held-out ROC-AUC ${heldOutAuc(s.rocAuc)}` : `, not trained: ${s.reason}`));
  }
  progress(`model ${summary.version ?? '(none)'} ${summary.status}; current: ${summary.currentVersion ?? '(none)'} in ${displayPath(folder)}`);
  if (summary.version) progress(`report: ${displayPath(join(folder, summary.version, 'report.html'))}`);

  const maxBodyBytes = Number(env.MAX_BODY_BYTES ?? 1_048_576);
  const app = createDetectionApp({ store, refreshSeconds: 5, maxBodyBytes, logger });
  const server = await serveLocally(app.handle, { port, host: env.HOST ?? '127.0.0.1', maxBodyBytes });

  const lines = [`panther-anomaly detection API listening on ${server.url}`, '', `  curl -s ${server.url}/health`];
  const current = summary.currentVersion ? await store.readModel(summary.currentVersion) : null;
  const example = current ? run.example(current) : null;
  if (example) {
    const body = JSON.stringify({ rows: [example.row] });
    const eventsFile = join(folder, 'example-events.json');
    await mkdir(folder, { recursive: true });
    await writeFile(eventsFile, JSON.stringify({ events: example.events }));
    lines.push(
      '',
      `A held-out ${example.scenario} window (${example.row.entity} at ${example.row.windowStart}), flagged with score ${example.expected.score.toFixed(3)}:`,
      '',
      `  curl -s -X POST ${server.url}/detect -H 'content-type: application/json' -d ${shellQuote(body)}`,
      '',
      `The same window as its ${example.events.length} raw Panther events:`,
      '',
      `  curl -s -X POST ${server.url}/detect -H 'content-type: application/json' -d @${shellQuote(eventsFile)}`,
    );
  } else if (!current) {
    lines.push('', 'No model is current yet, so /detect answers 503 until training promotes one.');
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
  const stop = () => {
    server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`panther-anomaly: ${(err as Error).message}\n`);
  process.exit(1);
});
