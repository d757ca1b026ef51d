// Deployment settings: config.json parsed once with a schema into a frozen object; a bad value names its setting.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const IMAGE_MODES = ['build', 'prebuilt'] as const;
export type ImageMode = (typeof IMAGE_MODES)[number];

// The values CloudWatch Logs accepts; "never expire" (0) is left out on purpose: logs must age out.
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

// Bucket, repository, role and function names are all derived from the prefix; 24 characters keep the longest
// derived name (the bucket, with the account id appended) under S3's 63-character limit.
const namePrefix = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/, 'must be 3-24 characters of a-z, 0-9 and "-", starting with a letter');

const region = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region such as us-east-1');

const httpsUrl = z
  .string()
  .refine((value) => URL.canParse(value) && new URL(value).protocol === 'https:', 'must be a full https:// URL')
  // The token belongs in Secrets Manager; a URL with credentials would put it in the synthesized JSON.
  .refine(
    (value) => !URL.canParse(value) || (new URL(value).username === '' && new URL(value).password === ''),
    'must not carry credentials: put the Panther token in the Secrets Manager secret',
  );

// EventBridge schedule expressions: rate(...) with a unit, or a six-field cron(...).
const scheduleExpression = z
  .string()
  .regex(
    /^(rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/,
    'must be rate(<n> minutes|hours|days) or cron(<six fields>)',
  );

const memoryMb = z.number().int().min(128).max(10240);
const timeoutSeconds = z.number().int().min(1).max(900);

const modelPrefix = z
  .string()
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/, 'must be a relative S3 key prefix ending in "/", e.g. "models/"');

const trainingSettings = z.strictObject({
  memoryMb: memoryMb.default(3008),
  timeoutSeconds: timeoutSeconds.default(900),
  schedule: scheduleExpression.default('rate(1 day)'),
  lookbackDays: z.number().int().min(1).max(365).default(30),
});

const detectionSettings = z.strictObject({
  memoryMb: memoryMb.default(1024),
  timeoutSeconds: timeoutSeconds.default(30),
  modelRefreshSeconds: z.number().int().min(1).max(3600).default(60),
  // Lambda's synchronous payload limit is 6 MB and API Gateway may base64-encode the body, so 4 MiB is the most
  // a request can carry and still reach the handler intact.
  maxBodyBytes: z.number().int().min(1024).max(4 * 1024 * 1024).default(1048576),
});

const apiSettings = z.strictObject({
  rateLimitPerSecond: z.number().positive().max(10000).default(20),
  burstLimit: z.number().int().min(1).max(5000).default(40),
  quotaPerDay: z.number().int().min(1).default(100000),
  // API Gateway's CloudWatch role is one setting per account and region; an account that already has one keeps it.
  manageAccountLoggingRole: z.boolean().default(true),
});

const terraformCloudSettings = z.strictObject({
  organization: z.string().min(1),
  workspace: z.string().regex(/^[A-Za-z0-9_-]{1,90}$/, 'must be a Terraform Cloud workspace name'),
});

const tags = z.record(
  z.string().regex(/^[\w .:/=+@-]{1,128}$/, 'must be a valid AWS tag key'),
  z.string().max(256),
);

const deploymentSchema = z.strictObject({
  namePrefix: namePrefix.default('panther-anomaly'),
  region,
  architecture: z.enum(ARCHITECTURES).default('arm64'),
  imageMode: z.enum(IMAGE_MODES).default('prebuilt'),
  pantherApiUrl: httpsUrl,
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  logRetentionDays: z
    .number()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(90),
  modelPrefix: modelPrefix.default('models/'),
  featureSpecs: z.string().min(1).optional(),
  // The Lambda base image by digest, so a rebuild of the same bundle gives the same image; the Dockerfile's
  // default (a tag) is used when it is not set.
  baseImage: z
    .string()
    .regex(
      /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._\/-]+(:[\w.-]+)?@sha256:[0-9a-f]{64}$/,
      'must be an image reference pinned by digest, e.g. public.ecr.aws/lambda/nodejs:22@sha256:<64 hex>',
    )
    .optional(),
  noncurrentVersionDays: z.number().int().min(1).max(3650).default(90),
  keepImages: z.number().int().min(1).max(1000).default(10),
  training: trainingSettings.prefault({}),
  detection: detectionSettings.prefault({}),
  api: apiSettings.prefault({}),
  terraformCloud: terraformCloudSettings.optional(),
  tags: tags.default({}),
});

// A feature spec is checked here only for its shape; the engine owns its meaning and checks the rest at run time.
const featureSpecShape = z.looseObject({
  logType: z.string().min(1),
  entity: z.array(z.string().min(1)).min(1),
  windowMinutes: z
    .number()
    .int()
    .positive()
    .refine((minutes) => 1440 % minutes === 0, 'must divide 1440 (a day)'),
  features: z.array(z.looseObject({ name: z.string().min(1), kind: z.string().min(1) })).min(1),
});
const featureSpecsShape = z.array(featureSpecShape).min(1);

type ParsedDeployment = z.infer<typeof deploymentSchema>;

export type DeploymentConfig = DeepReadonly<
  ParsedDeployment & {
    /** Canonical JSON of the feature specs file that `featureSpecs` names, when it names one. */
    featureSpecsDocument?: string;
  }
>;

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Bad configuration; the message starts with the setting's path, e.g. `training.memoryMb`. */
export class ConfigError extends Error {
  readonly setting: string;
  constructor(setting: string, message: string, options: { cause?: unknown } = {}) {
    super(`${setting}: ${message}`, { cause: options.cause });
    this.name = 'ConfigError';
    this.setting = setting;
  }
}

export interface ConfigSource {
  /** Name used in messages, e.g. `config.json`. */
  name: string;
  /** Folder that relative paths in the config (featureSpecs) are resolved against. */
  baseDir: string;
}

/** Validates raw configuration (the parsed JSON of config.json) and returns it frozen, defaults filled in. */
export function parseConfig(raw: unknown, source: ConfigSource): DeploymentConfig {
  const result = deploymentSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    // An unknown key is reported at its own path, so a misspelled setting is named as written.
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
    throw new ConfigError(settingPath(path), `${issue.message} (in ${source.name})`);
  }
  const featureSpecsDocument =
    result.data.featureSpecs === undefined ? undefined : readFeatureSpecs(resolve(source.baseDir, result.data.featureSpecs));
  return deepFreeze({ ...result.data, ...(featureSpecsDocument === undefined ? {} : { featureSpecsDocument }) });
}

/** Reads and validates a config file; a missing file or bad JSON is reported as a ConfigError too. */
export function loadConfig(file: string): DeploymentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('config', `cannot read ${file}`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('config', `${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return parseConfig(raw, { name: file, baseDir: dirname(file) });
}

/** The image mode in force: an IMAGE_MODE value, when one is given, overrides the config. */
export function resolveImageMode(config: DeploymentConfig, override: string | undefined): ImageMode {
  if (override === undefined || override === '') return config.imageMode;
  if (!(IMAGE_MODES as readonly string[]).includes(override)) {
    throw new ConfigError('IMAGE_MODE', `must be one of ${IMAGE_MODES.join(' | ')}, got "${override}"`);
  }
  return override as ImageMode;
}

function readFeatureSpecs(file: string): string {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError('featureSpecs', `cannot read a JSON document from ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const result = featureSpecsShape.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(`featureSpecs${indexPath(issue.path)}`, `${issue.message} (in ${file})`);
  }
  // Re-serialised so the uploaded object, and so the synthesized JSON, does not depend on the file's whitespace.
  return JSON.stringify(raw);
}

function settingPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'config';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function indexPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}
