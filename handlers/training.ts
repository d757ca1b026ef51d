// Lambda entry point of the scheduled (or manually invoked) training job: adapter only.
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { renderReport } from './engine/report';
import { createPantherClient } from './panther/client';
import { secretsManagerToken } from './panther/token';
import { trainingConfig } from './runtime/config';
import { pantherSource } from './runtime/feature-source';
import { createLogger } from './runtime/logger';
import { loadSpecs, trainingRequest } from './runtime/training-event';
import { runTrainingJob, type TrainingSummary } from './runtime/training-job';
import { createFeedbackStore } from './store/feedback';
import { createModelStore } from './store/model-store';
import { s3Objects } from './store/s3';

// Built once per container; the token is read from Secrets Manager on first use and again after a 401/403.
const config = trainingConfig();
const logger = createLogger({ level: config.LOG_LEVEL, base: { fn: 'training' } });
const objects = s3Objects(new S3Client({}), config.MODEL_BUCKET);
const store = createModelStore(objects, config.MODEL_PREFIX);
// Analysts' verdicts live under the model prefix, which this function already reads.
const feedback = createFeedbackStore(objects, config.MODEL_PREFIX);
const client = createPantherClient({
  url: config.PANTHER_API_URL,
  token: secretsManagerToken(new SecretsManagerClient({}), config.PANTHER_TOKEN_SECRET_ARN),
});
// Stop the Panther queries a minute before Lambda's own limit, so the failure is ours and says where it was.
const SAFETY_MS = 60_000;

export async function handler(event: unknown, context?: Context): Promise<TrainingSummary> {
  const window = trainingRequest(event, new Date(), config.TRAINING_LOOKBACK_DAYS);
  const specs = await loadSpecs(objects, config.FEATURE_SPECS_KEY);
  const remaining = context?.getRemainingTimeInMillis?.();
  const signal = remaining ? AbortSignal.timeout(Math.max(remaining - SAFETY_MS, 1_000)) : undefined;
  return runTrainingJob({
    specs,
    ...window,
    source: pantherSource(client, { logger }),
    store,
    feedback,
    logger,
    signal,
    renderReport,
  });
}
