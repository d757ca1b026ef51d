// Feature specs: the schema users write in config, its validation, its hash, and the built-in default specs.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import cloudTrailSpec from './specs/aws-cloudtrail.json';
import oktaSpec from './specs/okta-systemlog.json';
import { InputError } from './errors';
import { PATH_SEGMENT } from './fields';
import type { FeatureDef, FeatureSpec, Predicate } from './types';

/** Output columns every compiled query and row carries besides the features; no feature may take these names. */
export const RESERVED_FEATURE_NAMES = ['entity', 'window_start', 'windowstart', 'label', 'scenario', 'alerts'];

const MAX_PATH_SEGMENTS = 12;

const fieldPath = z
  .string()
  .min(1)
  .refine((p) => {
    const parts = p.split('.');
    return parts.length <= MAX_PATH_SEGMENTS && parts.every((s) => PATH_SEGMENT.test(s));
  }, 'must be a dotted path of identifiers, e.g. userIdentity.sessionContext.sessionIssuer.arn');

const scalar = z.union([z.string(), z.number().refine(Number.isFinite, 'must be finite'), z.boolean()]);

const predicate: z.ZodType<Predicate> = z.lazy(() =>
  z.discriminatedUnion('op', [
    z.object({ op: z.literal('eq'), field: fieldPath, value: scalar }).strict(),
    z.object({ op: z.literal('in'), field: fieldPath, values: z.array(scalar).min(1) }).strict(),
    z.object({ op: z.literal('prefix'), field: fieldPath, value: z.string() }).strict(),
    z.object({ op: z.literal('exists'), field: fieldPath }).strict(),
    z.object({ op: z.literal('not'), predicate }).strict(),
    z.object({ op: z.literal('and'), predicates: z.array(predicate).min(1) }).strict(),
    z.object({ op: z.literal('or'), predicates: z.array(predicate).min(1) }).strict(),
  ]),
);

// Lower-case identifiers: they survive any column-name case a warehouse returns and need no escaping.
const featureName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a lower-case identifier (a-z, 0-9, _), at most 64 characters')
  .refine((n) => !RESERVED_FEATURE_NAMES.includes(n), 'is reserved for an output column');

const feature: z.ZodType<FeatureDef> = z.discriminatedUnion('kind', [
  z.object({ name: featureName, kind: z.literal('count') }).strict(),
  z.object({ name: featureName, kind: z.literal('distinct'), field: fieldPath }).strict(),
  z.object({ name: featureName, kind: z.literal('countWhere'), where: predicate }).strict(),
  z.object({ name: featureName, kind: z.literal('ratio'), numerator: z.string(), denominator: z.string() }).strict(),
]);

const featureSpec = z
  .object({
    logType: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, 'must be a Panther log type, e.g. AWS.CloudTrail'),
    table: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$/, 'must be a (database.schema.)table name')
      .optional(),
    entity: z.array(fieldPath).min(1),
    windowMinutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .refine((m) => 1440 % m === 0, 'must divide 1440, so windows align to UTC midnight'),
    features: z.array(feature).min(1),
    description: z.string().optional(),
    timeFields: z.array(fieldPath).optional(),
  })
  .strict();

/** `specs[0].features[3].where.op`: where in the user's file the problem is. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = 'specs';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

/** Checks that only the schema cannot express: unique names, ratio references, unique log types. */
function crossCheck(specs: FeatureSpec[]): void {
  const logTypes = new Map<string, number>();
  specs.forEach((spec, i) => {
    const seenType = logTypes.get(spec.logType);
    if (seenType !== undefined) {
      throw new InputError(`${formatPath([i, 'logType'])}: log type ${spec.logType} already has a spec (specs[${seenType}])`, {
        field: formatPath([i, 'logType']),
      });
    }
    logTypes.set(spec.logType, i);
    const kinds = new Map<string, FeatureDef['kind']>();
    spec.features.forEach((f, j) => {
      if (kinds.has(f.name)) {
        const field = formatPath([i, 'features', j, 'name']);
        throw new InputError(`${field}: feature name "${f.name}" is used twice`, { field });
      }
      kinds.set(f.name, f.kind);
    });
    spec.features.forEach((f, j) => {
      if (f.kind !== 'ratio') return;
      for (const side of ['numerator', 'denominator'] as const) {
        const ref = f[side];
        const kind = kinds.get(ref);
        const field = formatPath([i, 'features', j, side]);
        if (kind === undefined) throw new InputError(`${field}: no feature named "${ref}" in this spec`, { field });
        // Ratios of ratios would need a second aggregation level in SQL; nobody has needed one.
        if (kind === 'ratio') throw new InputError(`${field}: "${ref}" is a ratio; a ratio takes two non-ratio features`, { field });
      }
    });
  });
}

/**
 * Validates feature specs from config (a JSON array, or one spec object) and returns them typed.
 * Throws InputError whose `field` names the offending path, e.g. `specs[0].features[3].where.op`.
 */
export function parseFeatureSpecs(json: unknown): FeatureSpec[] {
  const input = Array.isArray(json) ? json : [json];
  const parsed = z.array(featureSpec).min(1).safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = formatPath(issue.path);
    throw new InputError(`${field}: ${issue.message}`, { field, cause: parsed.error });
  }
  const specs = parsed.data as FeatureSpec[];
  crossCheck(specs);
  return specs;
}

/** JSON with keys sorted at every level and undefined members dropped: the same spec always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** sha256 (hex) of the canonical JSON of a spec; a model records it to refuse rows built by another spec. */
export function specHash(spec: FeatureSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

function tableSuffix(logType: string): string {
  return logType.toLowerCase().replace(/\./g, '_');
}

/** Three-part table of a spec's events: `AWS.CloudTrail` -> `panther_logs.public.aws_cloudtrail`. */
export function tableName(spec: FeatureSpec): string {
  return spec.table ?? `panther_logs.public.${tableSuffix(spec.logType)}`;
}

/** The alert-match table with the same suffix: `panther_rule_matches.public.aws_cloudtrail`. */
export function ruleMatchesTableName(spec: FeatureSpec): string {
  const suffix = spec.table ? spec.table.split('.').pop()! : tableSuffix(spec.logType);
  return `panther_rule_matches.public.${suffix}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Built-in specs (AWS.CloudTrail, Okta.SystemLog), validated at load and frozen: copy one to change it. */
export const DEFAULT_SPECS: FeatureSpec[] = deepFreeze(parseFeatureSpecs([cloudTrailSpec, oktaSpec]));

/** The spec for a log type among `specs`, or undefined. */
export function specFor(specs: readonly FeatureSpec[], logType: string): FeatureSpec | undefined {
  return specs.find((s) => s.logType === logType);
}
