// The CDKTF app: composes the constructs of modules/ into one stack; synthesizes only when run as the program.
import { resolve } from 'node:path';
import { Construct } from 'constructs';
import { App, Aspects, CloudBackend, LocalBackend, NamedCloudWorkspace, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AwsAccount } from './modules/account';
import { DeploymentConfig, ImageMode, loadConfig, resolveImageMode } from './modules/config';
import { ContainerFunction, FunctionImageSource } from './modules/container-function';
import { DetectionApi } from './modules/detection-api';
import { EcrDockerRegistry } from './modules/docker-registry';
import { FEATURE_SPECS_KEY, ModelBucket } from './modules/model-bucket';
import { PantherSecret } from './modules/panther-secret';
import { TagAspect } from './modules/tag-aspect';
import { TrainingSchedule } from './modules/training-schedule';
import { WildcardResourceAspect } from './modules/wildcard-resource-aspect';

export const STACK_NAME = 'panther-anomaly';

export interface StackOptions {
  imageMode: ImageMode;
  /** Folder holding `<function>/` bundles from `npm run bundle`, read in build mode. */
  bundlesDir: string;
  /** Folder Terraform runs in (`<outdir>/stacks/<stack>`); build contexts are written relative to it. */
  stackDir: string;
}

const FUNCTIONS = ['training', 'detection'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

export class PantherAnomalyStack extends TerraformStack {
  readonly training: ContainerFunction;
  readonly detection: ContainerFunction;
  readonly modelBucket: ModelBucket;
  readonly secret: PantherSecret;
  readonly api: DetectionApi;
  readonly schedule: TrainingSchedule;

  constructor(scope: Construct, id: string, config: DeploymentConfig, options: StackOptions) {
    super(scope, id);
    const prefix = config.namePrefix;

    new AwsProvider(this, 'aws', { region: config.region });
    if (config.terraformCloud !== undefined) {
      new CloudBackend(this, {
        organization: config.terraformCloud.organization,
        workspaces: new NamedCloudWorkspace(config.terraformCloud.workspace),
      });
    } else {
      new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    }
    const account = new AwsAccount(this, 'account', { region: config.region });

    this.secret = new PantherSecret(this, 'panther-secret', { namePrefix: prefix });
    this.modelBucket = new ModelBucket(this, 'model-bucket', {
      namePrefix: prefix,
      account,
      modelPrefix: config.modelPrefix,
      noncurrentVersionDays: config.noncurrentVersionDays,
    });

    const registry = options.imageMode === 'build' ? new EcrDockerRegistry(this, 'docker') : undefined;
    const imageSource = (fn: FunctionName): FunctionImageSource =>
      registry === undefined
        ? { mode: 'prebuilt', variableName: `${fn}_image_uri` }
        : {
            mode: 'build',
            bundleDir: resolve(options.bundlesDir, fn),
            stackDir: options.stackDir,
            provider: registry.provider,
            ...(config.baseImage === undefined ? {} : { baseImage: config.baseImage }),
          };

    const common = {
      MODEL_BUCKET: this.modelBucket.bucket.bucket,
      MODEL_PREFIX: config.modelPrefix,
      LOG_LEVEL: config.logLevel,
      NODE_OPTIONS: '--enable-source-maps',
    };
    const featureSpecsKey = config.featureSpecsDocument === undefined ? undefined : FEATURE_SPECS_KEY;

    this.training = new ContainerFunction(this, 'training', {
      functionName: `${prefix}-training`,
      account,
      description: 'Trains the anomaly model from Panther data and promotes it when it passes the quality gate',
      architecture: config.architecture,
      memoryMb: config.training.memoryMb,
      timeoutSeconds: config.training.timeoutSeconds,
      environment: {
        ...common,
        PANTHER_API_URL: config.pantherApiUrl,
        PANTHER_TOKEN_SECRET_ARN: this.secret.arn,
        TRAINING_LOOKBACK_DAYS: String(config.training.lookbackDays),
        ...(featureSpecsKey === undefined ? {} : { FEATURE_SPECS_KEY: featureSpecsKey }),
      },
      logRetentionDays: config.logRetentionDays,
      keepImages: config.keepImages,
      image: imageSource('training'),
    });
    this.detection = new ContainerFunction(this, 'detection', {
      functionName: `${prefix}-detection`,
      account,
      description: 'Scores Panther events or feature rows against the current anomaly model',
      architecture: config.architecture,
      memoryMb: config.detection.memoryMb,
      timeoutSeconds: config.detection.timeoutSeconds,
      environment: {
        ...common,
        MODEL_REFRESH_SECONDS: String(config.detection.modelRefreshSeconds),
        MAX_BODY_BYTES: String(config.detection.maxBodyBytes),
      },
      logRetentionDays: config.logRetentionDays,
      keepImages: config.keepImages,
      image: imageSource('detection'),
    });

    this.secret.grantRead(this.training);
    this.modelBucket.grantModelReadWrite(this.training);
    this.modelBucket.grantModelRead(this.detection);
    if (config.featureSpecsDocument !== undefined) {
      this.modelBucket.putFeatureSpecs(config.featureSpecsDocument, this.training);
    }

    this.schedule = new TrainingSchedule(this, 'training-schedule', {
      namePrefix: prefix,
      schedule: config.training.schedule,
      training: this.training,
    });
    this.api = new DetectionApi(this, 'detection-api', {
      namePrefix: prefix,
      account,
      detection: this.detection,
      rateLimitPerSecond: config.api.rateLimitPerSecond,
      burstLimit: config.api.burstLimit,
      quotaPerDay: config.api.quotaPerDay,
      logRetentionDays: config.logRetentionDays,
      manageAccountLoggingRole: config.api.manageAccountLoggingRole,
    });

    this.output('api_url', this.api.invokeUrl, 'Base URL of the detection API (append /health or /detect)');
    this.output('api_key_id', this.api.apiKey.id, 'Id of the API key for POST /detect; read its value with the AWS CLI');
    this.output('training_function_name', this.training.function.functionName, 'Training Lambda function');
    this.output('detection_function_name', this.detection.function.functionName, 'Detection Lambda function');
    this.output('model_bucket_name', this.modelBucket.bucket.bucket, 'S3 bucket of model versions');
    this.output('training_repository_url', this.training.repository.repositoryUrl, 'ECR repository of the training image');
    this.output('detection_repository_url', this.detection.repository.repositoryUrl, 'ECR repository of the detection image');
    this.output('panther_token_secret_arn', this.secret.arn, 'Secret to put the Panther API token in');

    Aspects.of(this).add(new TagAspect({ project: 'panther-anomaly', 'managed-by': 'cdktf', ...config.tags }));
    Aspects.of(this).add(new WildcardResourceAspect());
  }

  private output(name: string, value: string, description: string): void {
    new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
  }
}

/** Builds the stack for a configuration into an app, without synthesizing it. */
export function buildStack(app: App, config: DeploymentConfig, options: StackOptions): PantherAnomalyStack {
  return new PantherAnomalyStack(app, STACK_NAME, config, options);
}

function main(): void {
  const config = loadConfig(resolve('config.json'));
  const app = new App();
  buildStack(app, config, {
    imageMode: resolveImageMode(config, process.env.IMAGE_MODE),
    bundlesDir: resolve('dist', 'bundles'),
    stackDir: resolve(app.outdir, 'stacks', STACK_NAME),
  });
  app.synth();
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(`synth failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
