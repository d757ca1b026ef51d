// The local run's sample: deterministic simulated Panther traffic, trained on its earlier days with Panther-style
// alerts on some attack kinds, and an example request built from an attack in the later, held-out days.
import { aggregateEvents, entityReader, eventTimeReader, logTypeOf } from '../engine/aggregate';
import { modelFor, type ModelDocument } from '../engine/model-document';
import { scoreRows } from '../engine/score';
import { applyLabels, simulate, type Simulation } from '../engine/simulator';
import { DEFAULT_SPECS } from '../engine/spec';
import type { AlertWindow } from '../engine/sql';
import type { FeatureRow, PantherEvent, ScoreResult } from '../engine/types';
import { eventSource } from '../runtime/feature-source';
import { DEFAULT_GATE, runTrainingJob, type TrainingJobInput, type TrainingSummary } from '../runtime/training-job';
import type { ModelStore } from '../store/model-store';

export const SAMPLE = Object.freeze({
  days: 21,
  principals: 30,
  seed: 42,
  start: new Date('2026-01-05T00:00:00Z'),
  /** Days trained on; the rest is held out and only used for the example. */
  trainDays: 18,
  /** Attack kinds that Panther's rules alert on in the sample; the model has to find the others unaided. */
  alertedScenarios: ['console_brute_force', 'okta_password_spray', 'iam_privilege_escalation'],
});

export interface Sample {
  simulation: Simulation;
  trainStart: Date;
  trainEnd: Date;
  end: Date;
  alerts: AlertWindow[];
}

export function makeSample(): Sample {
  const simulation = simulate({ days: SAMPLE.days, principals: SAMPLE.principals, seed: SAMPLE.seed, start: SAMPLE.start });
  const day = 86_400_000;
  const trainEnd = new Date(SAMPLE.start.getTime() + SAMPLE.trainDays * day);
  const alerts = simulation.labels
    .filter((l) => (SAMPLE.alertedScenarios as readonly string[]).includes(l.scenario) && l.windowStart < trainEnd.toISOString())
    .map((l) => ({ entity: l.entity, windowStart: l.windowStart, alerts: 1, logType: l.logType }));
  return {
    simulation,
    trainStart: SAMPLE.start,
    trainEnd,
    end: new Date(SAMPLE.start.getTime() + SAMPLE.days * day),
    alerts,
  };
}

/** The sample is small by design, so its gate asks for fewer windows than a live tenant's. */
export const SAMPLE_GATE = Object.freeze({ ...DEFAULT_GATE, minWindows: 50 });

/** Trains on the sample's earlier days, with its alerts as labels, into a store, through the usual job. */
export function trainOnSample(
  sample: Sample,
  store: ModelStore,
  options: Pick<TrainingJobInput, 'logger' | 'renderReport'> = {},
): Promise<TrainingSummary> {
  return runTrainingJob({
    specs: DEFAULT_SPECS,
    start: sample.trainStart,
    end: sample.trainEnd,
    source: eventSource(sample.simulation.events, sample.alerts),
    store,
    gate: SAMPLE_GATE,
    ...options,
  });
}

export interface Example {
  scenario: string;
  row: FeatureRow;
  events: PantherEvent[];
  expected: ScoreResult;
}

/**
 * The held-out attack window the model scores highest among those it flags, as a feature row and as the raw
 * events of that window; null when the model flags none.
 */
export function pickExample(sample: Sample, doc: ModelDocument): Example | null {
  let best: Example | null = null;
  for (const spec of DEFAULT_SPECS) {
    const model = doc.models.find((m) => m.logType === spec.logType);
    if (!model) continue;
    const rows = applyLabels(
      aggregateEvents(spec, sample.simulation.events, { start: sample.trainEnd, end: sample.end }),
      sample.simulation.labels,
    );
    const attacks = rows.filter((r) => r.label === 1);
    const scored = scoreRows(modelFor(doc, spec.logType), attacks);
    scored.forEach((result, i) => {
      if (!result.anomaly || (best && best.expected.score >= result.score)) return;
      const row = attacks[i];
      best = {
        scenario: row.scenario ?? 'attack',
        row: { entity: row.entity, windowStart: row.windowStart, logType: spec.logType, features: row.features },
        events: [],
        expected: result,
      };
    });
  }
  if (!best) return null;
  const example: Example = best;
  const spec = DEFAULT_SPECS.find((s) => s.logType === example.row.logType)!;
  const from = new Date(example.row.windowStart);
  const to = new Date(from.getTime() + spec.windowMinutes * 60_000);
  // The raw events of exactly that window: aggregating them reproduces the row.
  const entity = entityReader(spec);
  const time = eventTimeReader(spec);
  example.events = sample.simulation.events.filter((e) => {
    const t = time(e);
    return logTypeOf(e) === spec.logType && t >= from.getTime() && t < to.getTime() && entity(e) === example.row.entity;
  });
  return example;
}

/** A shell-safe single-quoted argument. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
