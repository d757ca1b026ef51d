// The Lambda functions' environment, parsed once with a schema into a frozen object: bad configuration fails at
// cold start with a message naming the setting, not on the first request.
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const common = {
  MODEL_BUCKET: z.string({ error: 'is required (the S3 bucket holding the models)' }).min(1),
  MODEL_PREFIX: z
    .string()
    .default('models/')
    .refine((p) => p === '' || p.endsWith('/'), 'must be empty or end with "/"'),
  LOG_LEVEL: z
    .string()
    .default('info')
    .transform((l) => l.toLowerCase())
    .pipe(z.enum(['debug', 'info', 'warn', 'error'])),
};

const detectionSchema = z.object({
  ...common,
  MODEL_REFRESH_SECONDS: z.coerce.number().nonnegative().default(60),
  MAX_BODY_BYTES: positiveInt(1_048_576),
});

const trainingSchema = z.object({
  ...common,
  PANTHER_API_URL: z.url({ error: 'must be the full GraphQL URL from the Panther console' }),
  PANTHER_TOKEN_SECRET_ARN: z
    .string({ error: 'is required (the ARN of the secret holding the Panther token)' })
    .startsWith('arn:', 'must be the ARN of the secret holding the Panther token'),
  TRAINING_LOOKBACK_DAYS: positiveInt(30),
  FEATURE_SPECS_KEY: z.string().min(1).optional(),
});

export type DetectionConfig = Readonly<z.infer<typeof detectionSchema>>;
export type TrainingConfig = Readonly<z.infer<typeof trainingSchema>>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function parse<T>(schema: z.ZodType<T>, env: Env, fn: string): Readonly<T> {
  // An empty variable means "not set", so the default applies.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new ConfigError(`${fn} function configuration: ${problems}`);
  }
  return Object.freeze(result.data);
}

export function detectionConfig(env: Env = process.env): DetectionConfig {
  return parse(detectionSchema, env, 'detection');
}

export function trainingConfig(env: Env = process.env): TrainingConfig {
  return parse(trainingSchema, env, 'training');
}
