// The shapes every part of the engine agrees on: feature specs, feature rows and tables, models and scores.
// Pure data: everything here is JSON-serialisable except the typed arrays of FeatureTable.

/** Dotted path into a Panther event, e.g. `userIdentity.sessionContext.sessionIssuer.arn`. */
export type FieldPath = string;

export type Scalar = string | number | boolean;

/** Row filter for `countWhere` features; the same tree compiles to SQL and to an in-process test. */
export type Predicate =
  | { op: 'eq'; field: FieldPath; value: Scalar }
  | { op: 'in'; field: FieldPath; values: Scalar[] }
  | { op: 'prefix'; field: FieldPath; value: string }
  | { op: 'exists'; field: FieldPath }
  | { op: 'not'; predicate: Predicate }
  | { op: 'and'; predicates: Predicate[] }
  | { op: 'or'; predicates: Predicate[] };

/** One feature of a window, from the small aggregate algebra. `ratio` refers to two other features by name. */
export type FeatureDef =
  | { name: string; kind: 'count' }
  | { name: string; kind: 'distinct'; field: FieldPath }
  | { name: string; kind: 'countWhere'; where: Predicate }
  | { name: string; kind: 'ratio'; numerator: string; denominator: string };

/** Declarative description of how one Panther log type becomes per-entity, per-window feature rows. */
export interface FeatureSpec {
  /** Panther log type, e.g. `AWS.CloudTrail`. */
  logType: string;
  /** Three-part table name; defaults to `panther_logs.public.<log type lower-cased, '.' -> '_'>`. */
  table?: string;
  /** The entity key is the first of these fields that is present and non-empty. */
  entity: FieldPath[];
  /** Tumbling window length in minutes, aligned to UTC midnight; divides 1440. */
  windowMinutes: number;
  features: FeatureDef[];
  /** What the spec is for and why its entity is chosen; free text for people. */
  description?: string;
  /**
   * Fields read (in order) for the event time when `p_event_time` is absent, e.g. raw events that never went
   * through Panther's normalisation (`eventTime` for CloudTrail, `published` for Okta). SQL always uses
   * `p_event_time`, which Panther sets on every row.
   */
  timeFields?: FieldPath[];
}

/** A Panther event as the data lake returns it: the normalized log plus `p_*` standard fields. */
export type PantherEvent = Record<string, unknown>;

/** Aggregated features of one entity in one window; the unit that is trained on and scored. */
export interface FeatureRow {
  entity: string;
  /** ISO-8601 UTC start of the window, e.g. `2026-01-05T13:00:00.000Z`. */
  windowStart: string;
  logType?: string;
  features: Record<string, number>;
  /** 1 = known attack (alert or analyst feedback), 0 = known benign; absent = unknown. */
  label?: 0 | 1;
  /** Name of the attack scenario when a label names one. */
  scenario?: string;
}

/**
 * Columnar form of many feature rows, for training and batch scoring without per-row objects.
 * `values` is row-major: row i, feature j at `values[i * featureNames.length + j]`.
 */
export interface FeatureTable {
  featureNames: string[];
  entities: string[];
  /** Window start as epoch milliseconds; NaN when the source gave no parseable time. */
  windowStarts: Float64Array;
  /** The source's own text of each window start (a CSV's `window_start`), echoed back in outputs. */
  windowTexts?: string[];
  values: Float64Array;
  /** -1 unknown, 0 benign, 1 attack. */
  labels: Int8Array;
  scenarios: (string | undefined)[];
  logType?: string;
}

/** Per-feature explanation of one score. */
export interface FeatureExplanation {
  feature: string;
  /** Observed value in the window. */
  value: number;
  /** What the baseline expected, in the feature's own units. */
  expected: number;
  /** Robust z-score of the observed value against the baseline, after the feature's transform. */
  z: number;
  /** This feature's additive share of the log-odds. */
  contribution: number;
}

export interface ScoreResult {
  entity: string;
  windowStart: string;
  logType?: string;
  /** Probability in [0, 1] that the window is anomalous. */
  score: number;
  anomaly: boolean;
  zScores: Record<string, number>;
  /** Strongest contributions first. */
  topFeatures: FeatureExplanation[];
  /** Whether the entity's own history or the population baseline was used. */
  baselineSource: 'entity' | 'population';
}

export interface Metrics {
  rows: number;
  positives: number;
  rocAuc: number | null;
  prAuc: number | null;
  precision: number | null;
  recall: number | null;
  falsePositiveRate: number | null;
  threshold: number;
  /** ROC-AUC per scenario (each scenario's windows against all benign windows). */
  perScenario: Record<string, { rows: number; rocAuc: number | null; recall: number | null }>;
}

/** What training measured on its held-out, later slice of time; the training report is drawn from it. */
export interface Evaluation {
  metrics: Metrics;
  /** One entry per held-out window: score, label (-1 unknown, 0, 1) and scenario name. */
  scores: number[];
  labels: number[];
  scenarios: (string | undefined)[];
  /** The highest-scoring held-out windows, explained. */
  top: ScoreResult[];
}
