// Lambda entry point of POST /detect and GET /health (API Gateway REST proxy integration): adapter only.
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createDetectionApp } from './runtime/app';
import { detectionConfig } from './runtime/config';
import { createLogger } from './runtime/logger';
import { createModelStore } from './store/model-store';
import { s3Objects } from './store/s3';

// Built once per container: bad configuration fails the cold start, and the model cache outlives invocations.
const config = detectionConfig();
const logger = createLogger({ level: config.LOG_LEVEL, base: { fn: 'detection' } });
const store = createModelStore(s3Objects(new S3Client({}), config.MODEL_BUCKET), config.MODEL_PREFIX);
const app = createDetectionApp({
  store,
  refreshSeconds: config.MODEL_REFRESH_SECONDS,
  maxBodyBytes: config.MAX_BODY_BYTES,
  logger,
});

export function handler(event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> {
  return app.handle(event, context?.awsRequestId);
}
