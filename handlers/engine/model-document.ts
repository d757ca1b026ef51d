// The model document: versioned JSON holding everything scoring needs (spec and its hash, transforms, baseline,
// weights, threshold) and what training measured; validated on load with errors that name the bad path.

import { z } from 'zod';
import { InputError, ModelFormatError } from './errors';
import type { BaselineStatistics, EntityBaseline } from './baseline';
import { PROFILE_SLOTS } from './baseline';
import { parseFeatureSpecs, specHash as hashSpec } from './spec';
import type { FeatureTransform } from './transform';
import type { FeatureSpec, Metrics } from './types';

export const SCHEMA_VERSION = 1;
export const MODEL_KIND = 'panther-anomaly-model';

/** The logistic layer: log-odds = intercept + sum(weights[k] * input k); inputs are named `<feature>:up|down`. */
export interface LogisticLayer {
  /** Per feature, the positive part of its z-score then the negative part: `events:up`, `events:down`, ... */
  inputs: string[];
  weights: number[];
  intercept: number;
  /** Each side of a z-score is capped at this before it is weighted, so one absurd value cannot dominate. */
  zClip: number;
  /** Each side of a z-score counts only by its excess over this (see score.ts `part`). */
  zMargin: number;
}

/** Everything needed to score windows of one log type (or of one CSV's feature columns). */
export interface LogTypeModel {
  logType: string;
  /** The spec the rows were built with; null when trained from a feature-row CSV. */
  spec: FeatureSpec | null;
  specHash: string | null;
  featureNames: string[];
  transforms: FeatureTransform[];
  baseline: BaselineStatistics;
  logistic: LogisticLayer;
  /** Probability at or above which a window is an anomaly. */
  threshold: number;
  /** Held-out evaluation the threshold was chosen on. */
  metrics: Metrics;
  trainingWindow: TrainingWindow;
  /** Rows the model was fitted on (after the held-out slice was set aside). */
  trainedRows: number;
}

/** ISO-8601 bounds of the data trained on: first window start, last window start; null when rows had no time. */
export interface TrainingWindow {
  start: string | null;
  end: string | null;
}

export interface ModelDocument {
  schemaVersion: 1;
  kind: 'panther-anomaly-model';
  version: string;
  createdAt: string;
  trainingWindow: TrainingWindow;
  models: LogTypeModel[];
}

/** Stored numbers keep 6 significant digits: enough for scoring, and it keeps documents to a few MB. */
export function roundStored(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(6));
}

const finite = z.number();
const nullableFinite = finite.nullable();

const transformSchema = z.object({ kind: z.enum(['identity', 'signedLog1p']) });

const entitySchema = z.object({
  n: z.number().int().min(1),
  center: z.array(finite),
  scale: z.array(finite.positive()),
});

const baselineSchema = z.object({
  minHistory: z.number().int().min(1),
  priorStrength: finite.min(0),
  population: z.object({ center: z.array(finite), scale: z.array(finite.positive()) }),
  profile: z.array(z.array(finite)),
  entities: z.record(z.string(), entitySchema),
});

const metricsSchema = z.object({
  rows: z.number().int().min(0),
  positives: z.number().int().min(0),
  rocAuc: nullableFinite,
  prAuc: nullableFinite,
  precision: nullableFinite,
  recall: nullableFinite,
  falsePositiveRate: nullableFinite,
  threshold: finite,
  perScenario: z.record(z.string(), z.object({ rows: z.number().int().min(0), rocAuc: nullableFinite, recall: nullableFinite })),
});

const windowSchema = z.object({ start: z.string().nullable(), end: z.string().nullable() });

const modelSchema = z
  .object({
    logType: z.string().min(1),
    spec: z.unknown().nullable(),
    specHash: z.string().nullable(),
    featureNames: z.array(z.string().min(1)).min(1),
    transforms: z.array(transformSchema),
    baseline: baselineSchema,
    logistic: z.object({
      inputs: z.array(z.string()),
      weights: z.array(finite),
      intercept: finite,
      zClip: finite.positive(),
      zMargin: finite.min(0),
    }),
    threshold: finite,
    metrics: metricsSchema,
    trainingWindow: windowSchema,
    trainedRows: z.number().int().min(0),
  })
  .superRefine((m, ctx) => {
    const d = m.featureNames.length;
    const expectLength = (path: PropertyKey[], actual: number, expected: number): void => {
      if (actual !== expected) {
        ctx.addIssue({ code: 'custom', path, message: `has ${actual} entries, expected ${expected} (one per ${path.length > 1 ? 'feature' : 'input'})` });
      }
    };
    if (new Set(m.featureNames).size !== d) ctx.addIssue({ code: 'custom', path: ['featureNames'], message: 'names a feature twice' });
    expectLength(['transforms'], m.transforms.length, d);
    expectLength(['baseline', 'population', 'center'], m.baseline.population.center.length, d);
    expectLength(['baseline', 'population', 'scale'], m.baseline.population.scale.length, d);
    if (m.baseline.profile.length !== 0) {
      expectLength(['baseline', 'profile'], m.baseline.profile.length, PROFILE_SLOTS);
      m.baseline.profile.forEach((slot, s) => expectLength(['baseline', 'profile', s], slot.length, d));
    }
    for (const [entity, stats] of Object.entries(m.baseline.entities)) {
      expectLength(['baseline', 'entities', entity, 'center'], stats.center.length, d);
      expectLength(['baseline', 'entities', entity, 'scale'], stats.scale.length, d);
    }
    expectLength(['logistic', 'inputs'], m.logistic.inputs.length, 2 * d);
    expectLength(['logistic', 'weights'], m.logistic.weights.length, 2 * d);
    if (m.logistic.zMargin >= m.logistic.zClip) {
      ctx.addIssue({ code: 'custom', path: ['logistic', 'zMargin'], message: 'must be below zClip' });
    }
    if ((m.spec === null) !== (m.specHash === null)) {
      ctx.addIssue({ code: 'custom', path: ['specHash'], message: 'spec and specHash must both be present or both be null' });
    }
  });

const documentSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  kind: z.literal(MODEL_KIND),
  version: z.string().min(1),
  createdAt: z.string().min(1),
  trainingWindow: windowSchema,
  models: z.array(modelSchema).min(1),
});

/** `models[0].baseline.entities["arn:aws:iam::1:user/a"].center[3]` */
export function formatModelPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(String(p))) out += out === '' ? String(p) : `.${String(p)}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out === '' ? '(document)' : out;
}

/** Compact JSON of a document. Numbers are stored as the model holds them (training rounds them). */
export function serializeModel(doc: ModelDocument): string {
  return JSON.stringify(doc);
}

/**
 * Parses and validates a model document. Anything wrong (not JSON, another schema version or kind, a missing or
 * mistyped field, a non-finite number, arrays whose length does not match the features, a spec whose hash
 * differs) is a ModelFormatError whose message starts with the path of the problem.
 */
export function parseModel(text: string): ModelDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ModelFormatError(`model document is not JSON: ${(cause as Error).message}`, { cause });
  }
  const header = z.object({ schemaVersion: z.unknown(), kind: z.unknown() }).safeParse(json);
  if (header.success && header.data.kind !== MODEL_KIND) {
    throw new ModelFormatError(`kind: expected "${MODEL_KIND}", got ${JSON.stringify(header.data.kind)}`);
  }
  if (header.success && header.data.schemaVersion !== SCHEMA_VERSION) {
    throw new ModelFormatError(
      `schemaVersion: this build reads schema version ${SCHEMA_VERSION}, the document has ${JSON.stringify(header.data.schemaVersion)}`,
    );
  }
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelFormatError(`${formatModelPath(issue.path)}: ${issue.message}`, { cause: parsed.error });
  }
  const doc = parsed.data as ModelDocument;
  doc.models.forEach((model, i) => {
    model.baseline.entities = ownEntities(model, (json as { models: { baseline: { entities: object } }[] }).models[i].baseline.entities, i);
    if (model.spec === null) return;
    let spec: FeatureSpec;
    try {
      [spec] = parseFeatureSpecs(model.spec);
    } catch (cause) {
      const where = cause instanceof InputError && cause.field ? cause.field.replace(/^specs\[0\]/, '') : '';
      const message = (cause as Error).message.replace(/^specs\S*: /, '');
      throw new ModelFormatError(`models[${i}].spec${where}: ${message}`, { cause });
    }
    if (hashSpec(spec) !== model.specHash) {
      throw new ModelFormatError(`models[${i}].specHash: does not match the embedded spec (the spec was changed after training)`);
    }
    model.spec = spec;
  });
  return doc;
}

/**
 * The entity table rebuilt from own properties only. An entity may be named `__proto__` (entity names are data);
 * JSON.parse keeps it as an own property but a validator's plain assignment would not, so that one is validated
 * here and defined explicitly.
 */
function ownEntities(model: LogTypeModel, raw: object, i: number): Record<string, EntityBaseline> {
  const entities = Object.fromEntries(Object.entries(model.baseline.entities)) as Record<string, EntityBaseline>;
  if (Object.hasOwn(raw, '__proto__')) {
    const stats = entitySchema.safeParse((raw as Record<string, unknown>)['__proto__']);
    const d = model.featureNames.length;
    const path = `models[${i}].baseline.entities["__proto__"]`;
    if (!stats.success) throw new ModelFormatError(`${path}${formatModelPath(stats.error.issues[0].path).replace(/^(?=[A-Za-z])/, '.')}: ${stats.error.issues[0].message}`);
    if (stats.data.center.length !== d || stats.data.scale.length !== d) throw new ModelFormatError(`${path}: center and scale need ${d} entries each`);
    Object.defineProperty(entities, '__proto__', { value: stats.data, enumerable: true, writable: true, configurable: true });
  }
  return entities;
}

/**
 * The model for `logType`; with no log type asked, the only model of a one-model document. Anything else is an
 * InputError naming `logType`.
 */
export function modelFor(doc: ModelDocument, logType?: string): LogTypeModel {
  if (logType === undefined || logType === '') {
    if (doc.models.length === 1) return doc.models[0];
    throw new InputError(`logType is required: the model covers ${doc.models.map((m) => m.logType).join(', ')}`, { field: 'logType' });
  }
  const model = doc.models.find((m) => m.logType === logType);
  if (!model) {
    throw new InputError(`no model for log type "${logType}"; the model covers ${doc.models.map((m) => m.logType).join(', ')}`, {
      field: 'logType',
    });
  }
  return model;
}
