// What the synthesized stack must hold in both image modes: functions, images, schedule, API, IAM, bucket, secret.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Testing } from 'cdktf';
import { bundleHash, imageTag } from '../../modules/bundle-image';
import { DIGEST_PINNED_ECR_URI } from '../../modules/container-function';
import { byAttribute, FIXTURE_BUNDLES, Json, only, onlyId, ref, synthFixture } from './stack-fixture';

const modes = ['build', 'prebuilt'] as const;

function policiesOfRole(json: Json, roleId: string): Json[] {
  return Object.values(json.resource.aws_iam_role_policy as Record<string, Json>)
    .filter((p) => p.role === ref('aws_iam_role', roleId, 'id'))
    .flatMap((p) => JSON.parse(p.policy).Statement);
}

describe('stack', () => {
  for (const mode of modes) {
    describe(`${mode} mode`, () => {
      const { json } = synthFixture(mode);
      const [trainingId, training] = byAttribute(json, 'aws_lambda_function', 'function_name', 'pa-test-training');
      const [detectionId, detection] = byAttribute(json, 'aws_lambda_function', 'function_name', 'pa-test-detection');
      const bucketId = onlyId(json, 'aws_s3_bucket');
      const bucketArn = ref('aws_s3_bucket', bucketId, 'arn');

      it('deploys both functions from images with the configured memory, timeout and architecture', () => {
        assert.equal(Object.keys(json.resource.aws_lambda_function).length, 2);
        assert.deepEqual(
          [training.package_type, training.memory_size, training.timeout, training.architectures],
          ['Image', 2048, 600, ['x86_64']],
        );
        assert.deepEqual(
          [detection.package_type, detection.memory_size, detection.timeout, detection.architectures],
          ['Image', 512, 20, ['x86_64']],
        );
      });

      it('gives each function exactly the environment of the runtime contract', () => {
        const secretId = onlyId(json, 'aws_secretsmanager_secret');
        const bucketName = ref('aws_s3_bucket', bucketId, 'bucket');
        const common = {
          MODEL_BUCKET: bucketName,
          MODEL_PREFIX: 'anomaly/models/',
          LOG_LEVEL: 'debug',
          NODE_OPTIONS: '--enable-source-maps',
        };
        assert.deepEqual(training.environment.variables, {
          ...common,
          PANTHER_API_URL: 'https://api.acme.runpanther.net/public/graphql',
          PANTHER_TOKEN_SECRET_ARN: ref('aws_secretsmanager_secret', secretId, 'arn'),
          TRAINING_LOOKBACK_DAYS: '14',
          FEATURE_SPECS_KEY: 'config/feature-specs.json',
        });
        assert.deepEqual(detection.environment.variables, {
          ...common,
          MODEL_REFRESH_SECONDS: '120',
          MAX_BODY_BYTES: '262144',
        });
      });

      it('creates each log group with its retention before the function', () => {
        for (const [fn, id] of [
          [training, trainingId],
          [detection, detectionId],
        ] as const) {
          const [logId, log] = byAttribute(json, 'aws_cloudwatch_log_group', 'name', `/aws/lambda/${fn.function_name}`);
          assert.equal(log.retention_in_days, 30);
          assert.ok(fn.depends_on.includes(`aws_cloudwatch_log_group.${logId}`), `${id} depends on its log group`);
        }
      });

      it('keeps two ECR repositories: immutable tags, scan on push, encryption, keep-last-5, pull only by their function', () => {
        const repos = Object.values(json.resource.aws_ecr_repository as Record<string, Json>);
        assert.deepEqual(repos.map((r) => r.name).sort(), ['pa-test-detection', 'pa-test-training']);
        for (const repo of repos) {
          assert.equal(repo.image_tag_mutability, 'IMMUTABLE');
          assert.deepEqual(repo.image_scanning_configuration, { scan_on_push: true });
          assert.deepEqual(repo.encryption_configuration, [{ encryption_type: 'AES256' }]);
        }
        const partition = `\${data.aws_partition.${Object.keys(json.data.aws_partition)[0]}.partition}`;
        const account = `\${data.aws_caller_identity.${Object.keys(json.data.aws_caller_identity)[0]}.account_id}`;
        const pullPolicies = Object.values(json.resource.aws_ecr_repository_policy as Record<string, Json>).map((p) => [
          p.repository,
          JSON.parse(p.policy).Statement,
        ]);
        assert.deepEqual(
          pullPolicies.sort(),
          ['detection', 'training'].map((fn) => [
            ref('aws_ecr_repository', `${fn}_repository`, 'name'),
            [
              {
                Sid: 'LambdaPullForItsFunction',
                Effect: 'Allow',
                Principal: { Service: 'lambda.amazonaws.com' },
                Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
                Condition: { StringLike: { 'aws:sourceArn': `arn:${partition}:lambda:eu-west-1:${account}:function:pa-test-${fn}` } },
              },
            ],
          ]),
        );
        const lifecycles = Object.values(json.resource.aws_ecr_lifecycle_policy as Record<string, Json>);
        assert.equal(lifecycles.length, 2);
        for (const lifecycle of lifecycles) {
          const [rule] = JSON.parse(lifecycle.policy).rules;
          assert.deepEqual(rule.selection, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5 });
          assert.deepEqual(rule.action, { type: 'expire' });
        }
      });

      it('schedules training with the configured expression, and only that rule may invoke it', () => {
        const [ruleId, rule] = byAttribute(json, 'aws_cloudwatch_event_rule', 'name', 'pa-test-training');
        assert.equal(rule.schedule_expression, 'cron(0 3 * * ? *)');
        const target = only(json, 'aws_cloudwatch_event_target');
        assert.equal(target.arn, ref('aws_lambda_function', trainingId, 'arn'));
        assert.equal(target.rule, ref('aws_cloudwatch_event_rule', ruleId, 'name'));
        const [, permission] = byAttribute(json, 'aws_lambda_permission', 'principal', 'events.amazonaws.com');
        assert.equal(permission.source_arn, ref('aws_cloudwatch_event_rule', ruleId, 'arn'));
        assert.equal(permission.function_name, ref('aws_lambda_function', trainingId, 'function_name'));
      });

      it('routes GET /health openly and POST /detect behind an API key, both to the detection function', () => {
        const apiId = onlyId(json, 'aws_api_gateway_rest_api');
        const routes = Object.entries(json.resource.aws_api_gateway_resource as Record<string, Json>).map(([id, r]) => {
          const [, method] = byAttribute(json, 'aws_api_gateway_method', 'resource_id', ref('aws_api_gateway_resource', id, 'id'));
          const [, integration] = byAttribute(
            json,
            'aws_api_gateway_integration',
            'resource_id',
            ref('aws_api_gateway_resource', id, 'id'),
          );
          assert.equal(r.parent_id, ref('aws_api_gateway_rest_api', apiId, 'root_resource_id'));
          assert.equal(integration.type, 'AWS_PROXY');
          assert.equal(integration.uri, ref('aws_lambda_function', detectionId, 'invoke_arn'));
          return [r.path_part, method.http_method, method.authorization, method.api_key_required];
        });
        assert.deepEqual(routes.sort(), [
          ['detect', 'POST', 'NONE', true],
          ['health', 'GET', 'NONE', false],
        ]);
        const stageId = onlyId(json, 'aws_api_gateway_stage');
        const sourceArns = Object.values(json.resource.aws_lambda_permission as Record<string, Json>)
          .filter((p) => p.principal === 'apigateway.amazonaws.com')
          .map((p) => [p.function_name, p.source_arn]);
        const stageArn = ref('aws_api_gateway_stage', stageId, 'execution_arn');
        const detectionName = ref('aws_lambda_function', detectionId, 'function_name');
        assert.deepEqual(sourceArns.sort(), [
          [detectionName, `${stageArn}/GET/health`],
          [detectionName, `${stageArn}/POST/detect`],
        ]);
      });

      it('throttles and meters /detect through a usage plan, and logs access to its own log group', () => {
        const plan = only(json, 'aws_api_gateway_usage_plan');
        assert.deepEqual(plan.throttle_settings, { rate_limit: 5, burst_limit: 10 });
        assert.deepEqual(plan.quota_settings, { limit: 5000, period: 'DAY' });
        const planKey = only(json, 'aws_api_gateway_usage_plan_key');
        assert.equal(planKey.key_id, ref('aws_api_gateway_api_key', onlyId(json, 'aws_api_gateway_api_key'), 'id'));
        assert.equal(only(json, 'aws_api_gateway_api_key').value, undefined, 'the key value is generated by AWS');
        const settings = only(json, 'aws_api_gateway_method_settings').settings;
        assert.equal(settings.throttling_rate_limit, 5);
        assert.equal(settings.throttling_burst_limit, 10);
        assert.equal(settings.logging_level, 'OFF');
        assert.equal(settings.data_trace_enabled, false);
        const stage = only(json, 'aws_api_gateway_stage');
        const [accessLogId] = byAttribute(json, 'aws_cloudwatch_log_group', 'name', '/aws/apigateway/pa-test-detection');
        assert.equal(stage.access_log_settings.destination_arn, ref('aws_cloudwatch_log_group', accessLogId, 'arn'));
        assert.ok(only(json, 'aws_api_gateway_account').cloudwatch_role_arn.startsWith('${aws_iam_role.'));
      });

      it('grants training exactly: its logs, read/write under the model prefix, the feature specs key, the token', () => {
        const trainingRole = training.role.match(/^\$\{aws_iam_role\.(.+)\.arn\}$/)[1];
        const [logId] = byAttribute(json, 'aws_cloudwatch_log_group', 'name', '/aws/lambda/pa-test-training');
        const secretArn = ref('aws_secretsmanager_secret', onlyId(json, 'aws_secretsmanager_secret'), 'arn');
        const statements = policiesOfRole(json, trainingRole).map((s) => [s.Sid, s.Effect, s.Action, s.Resource, s.Condition]);
        assert.deepEqual(statements.sort(), [
          ['ListModels', 'Allow', ['s3:ListBucket'], [bucketArn], { StringLike: { 's3:prefix': ['anomaly/models/*'] } }],
          ['ReadFeatureSpecs', 'Allow', ['s3:GetObject'], [`${bucketArn}/config/feature-specs.json`], undefined],
          ['ReadModels', 'Allow', ['s3:GetObject'], [`${bucketArn}/anomaly/models/*`], undefined],
          ['ReadPantherToken', 'Allow', ['secretsmanager:GetSecretValue'], [secretArn], undefined],
          ['WriteModels', 'Allow', ['s3:PutObject'], [`${bucketArn}/anomaly/models/*`], undefined],
          ['WriteOwnLogs', 'Allow', ['logs:CreateLogStream', 'logs:PutLogEvents'], [`${ref('aws_cloudwatch_log_group', logId, 'arn')}:*`], undefined],
        ]);
      });

      it('grants detection exactly: its logs and read-only access to the model prefix', () => {
        const detectionRole = detection.role.match(/^\$\{aws_iam_role\.(.+)\.arn\}$/)[1];
        const [logId] = byAttribute(json, 'aws_cloudwatch_log_group', 'name', '/aws/lambda/pa-test-detection');
        const statements = policiesOfRole(json, detectionRole).map((s) => [s.Sid, s.Effect, s.Action, s.Resource, s.Condition]);
        assert.deepEqual(statements.sort(), [
          ['ListModels', 'Allow', ['s3:ListBucket'], [bucketArn], { StringLike: { 's3:prefix': ['anomaly/models/*'] } }],
          ['ReadModels', 'Allow', ['s3:GetObject'], [`${bucketArn}/anomaly/models/*`], undefined],
          ['WriteOwnLogs', 'Allow', ['logs:CreateLogStream', 'logs:PutLogEvents'], [`${ref('aws_cloudwatch_log_group', logId, 'arn')}:*`], undefined],
        ]);
      });

      it('lets only Lambda assume the function roles', () => {
        for (const fn of [training, detection]) {
          const roleId = fn.role.match(/^\$\{aws_iam_role\.(.+)\.arn\}$/)[1];
          const trust = JSON.parse(json.resource.aws_iam_role[roleId].assume_role_policy);
          assert.deepEqual(trust.Statement, [
            { Sid: 'AssumedByService', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ]);
        }
      });

      it('protects the model bucket: versioning, encryption, no public access, TLS only, noncurrent versions expire', () => {
        const bucketRef = ref('aws_s3_bucket', bucketId, 'id');
        assert.deepEqual(only(json, 'aws_s3_bucket_versioning').versioning_configuration, { status: 'Enabled' });
        assert.equal(only(json, 'aws_s3_bucket_versioning').bucket, bucketRef);
        assert.deepEqual(only(json, 'aws_s3_bucket_server_side_encryption_configuration').rule, [
          { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } },
        ]);
        const block = only(json, 'aws_s3_bucket_public_access_block');
        assert.deepEqual(
          [block.bucket, block.block_public_acls, block.block_public_policy, block.ignore_public_acls, block.restrict_public_buckets],
          [bucketRef, true, true, true, true],
        );
        const policy = JSON.parse(only(json, 'aws_s3_bucket_policy').policy);
        assert.deepEqual(policy.Statement, [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: ['s3:*'],
            Resource: [bucketArn, `${bucketArn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ]);
        const [rule] = only(json, 'aws_s3_bucket_lifecycle_configuration').rule;
        assert.deepEqual(rule.noncurrent_version_expiration, [{ noncurrent_days: 45 }]);
        assert.equal(rule.status, 'Enabled');
        assert.equal(only(json, 'aws_s3_bucket').force_destroy, undefined, 'never force-destroyed with models in it');
      });

      it('uploads the configured feature specs, re-serialised, to config/feature-specs.json', () => {
        const object = only(json, 'aws_s3_object');
        assert.equal(object.key, 'config/feature-specs.json');
        assert.equal(object.bucket, ref('aws_s3_bucket', bucketId, 'id'));
        assert.equal(JSON.parse(object.content)[0].logType, 'AWS.CloudTrail');
        assert.ok(!object.content.includes('\n'));
      });

      it('holds a secret for the Panther token but never its value', () => {
        const secret = only(json, 'aws_secretsmanager_secret');
        assert.equal(secret.name, 'pa-test/panther-api-token');
        assert.equal(json.resource.aws_secretsmanager_secret_version, undefined);
        assert.doesNotMatch(JSON.stringify(json), /secret_string|secret_binary/);
      });

      it('tags every taggable resource with the project tags and the configured ones', () => {
        for (const type of ['aws_lambda_function', 'aws_s3_bucket', 'aws_ecr_repository', 'aws_iam_role', 'aws_api_gateway_rest_api']) {
          for (const resource of Object.values(json.resource[type] as Record<string, Json>)) {
            assert.deepEqual(resource.tags, { project: 'panther-anomaly', 'managed-by': 'cdktf', team: 'detection-engineering' });
          }
        }
      });

      it('outputs the API URL, API key id, function names, bucket, repositories and secret', () => {
        assert.deepEqual(Object.keys(json.output).sort(), [
          'api_key_id',
          'api_url',
          'detection_function_name',
          'detection_repository_url',
          'model_bucket_name',
          'panther_token_secret_arn',
          'training_function_name',
          'training_repository_url',
        ]);
        assert.equal(json.output.api_url.value, ref('aws_api_gateway_stage', onlyId(json, 'aws_api_gateway_stage'), 'invoke_url'));
      });
    });
  }

  describe('build mode images', () => {
    const { json } = synthFixture('build');

    it('logs the docker provider in to ECR with a fresh authorization token', () => {
      const tokenId = Object.keys(json.data.aws_ecr_authorization_token)[0];
      const [auth] = json.provider.docker[0].registry_auth;
      const token = (attr: string) => `\${data.aws_ecr_authorization_token.${tokenId}.${attr}}`;
      assert.deepEqual(auth, {
        address: `\${replace(${token('proxy_endpoint').slice(2, -1)}, "https://", "")}`,
        username: token('user_name'),
        password: token('password'),
      });
    });

    it('builds each image from its bundle folder for the architecture, triggered by the bundle content hash', () => {
      for (const fn of ['training', 'detection']) {
        const [repoId] = byAttribute(json, 'aws_ecr_repository', 'name', `pa-test-${fn}`);
        const hash = bundleHash(join(FIXTURE_BUNDLES, fn));
        const [imageId, image] = byAttribute(
          json,
          'docker_image',
          'name',
          `${ref('aws_ecr_repository', repoId, 'repository_url')}:bundle-${hash.slice(0, 16)}`,
        );
        assert.deepEqual(image.build, {
          context: `\${path.module}/../../../test/fixtures/stack/bundles/${fn}`,
          dockerfile: 'Dockerfile',
          platform: 'linux/amd64',
        });
        assert.deepEqual(image.triggers, { bundle_sha256: hash });
        const [pushId, push] = byAttribute(json, 'docker_registry_image', 'name', ref('docker_image', imageId, 'name'));
        assert.equal(push.keep_remotely, true);
        assert.deepEqual(push.triggers, { bundle_sha256: hash });
        const [, lambda] = byAttribute(json, 'aws_lambda_function', 'function_name', `pa-test-${fn}`);
        assert.equal(
          lambda.image_uri,
          `${ref('aws_ecr_repository', repoId, 'repository_url')}@${ref('docker_registry_image', pushId, 'sha256_digest')}`,
        );
      }
    });

    it('passes a configured base image to the Dockerfile, and tags and triggers on it too', () => {
      const base = `public.ecr.aws/lambda/nodejs:22@sha256:${'0f'.repeat(32)}`;
      const { json: pinned } = synthFixture('build', { baseImage: base });
      const hash = bundleHash(join(FIXTURE_BUNDLES, 'training'));
      const [, image] = byAttribute(
        pinned,
        'docker_image',
        'name',
        `${ref('aws_ecr_repository', 'training_repository', 'repository_url')}:${imageTag(hash, base)}`,
      );
      assert.deepEqual(image.build.build_args, { BASE_IMAGE: base });
      assert.deepEqual(image.triggers, { bundle_sha256: hash, base_image: base });
      assert.notEqual(imageTag(hash, base), imageTag(hash));
    });

    it('builds for linux/arm64 when the functions run on arm64', () => {
      const { json: arm } = synthFixture('build', { architecture: 'arm64' });
      const platforms = Object.values(arm.resource.docker_image as Record<string, Json>).map((i) => i.build.platform);
      assert.deepEqual(platforms, ['linux/arm64', 'linux/arm64']);
      const archs = Object.values(arm.resource.aws_lambda_function as Record<string, Json>).map((f) => f.architectures);
      assert.deepEqual(archs, [['arm64'], ['arm64']]);
    });

    it('fails synthesis, saying to run npm run bundle, when a bundle folder is missing', () => {
      const empty = mkdtempSync(join(tmpdir(), 'no-bundles-'));
      assert.throws(() => synthFixture('build', {}, empty), /bundles-.*training does not exist: run `npm run bundle`/);
    });

    it('fails synthesis when a bundle folder has no Dockerfile', () => {
      const bundles = mkdtempSync(join(tmpdir(), 'bundles-'));
      mkdirSync(join(bundles, 'training'));
      writeFileSync(join(bundles, 'training', 'index.js'), '');
      assert.throws(() => synthFixture('build', {}, bundles), /training[/\\]Dockerfile does not exist: run `npm run bundle`/);
    });
  });

  describe('prebuilt mode images', () => {
    const { json, text } = synthFixture('prebuilt');

    it('has no docker provider or docker resource at all', () => {
      assert.equal(json.provider.docker, undefined);
      assert.equal(json.terraform.required_providers.docker, undefined);
      assert.doesNotMatch(text, /docker_|kreuzwerker/);
    });

    it('takes each image URI from a variable validated as a digest-pinned ECR URI', () => {
      for (const fn of ['training', 'detection']) {
        const [, lambda] = byAttribute(json, 'aws_lambda_function', 'function_name', `pa-test-${fn}`);
        assert.equal(lambda.image_uri, `\${var.${fn}_image_uri}`);
        const variable = json.variable[`${fn}_image_uri`];
        assert.equal(variable.type, 'string');
        assert.equal(variable.nullable, false);
        assert.equal(
          variable.validation[0].condition,
          `\${can(regex(${JSON.stringify(DIGEST_PINNED_ECR_URI)}, var.${fn}_image_uri))}`,
        );
      }
    });

    it('accepts only ECR URIs pinned by a full sha256 digest', () => {
      const pattern = new RegExp(DIGEST_PINNED_ECR_URI);
      const digest = 'sha256:' + 'ab'.repeat(32);
      const good = [
        `123456789012.dkr.ecr.eu-west-1.amazonaws.com/pa-test-training@${digest}`,
        `123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/pa-test-detection@${digest}`,
      ];
      const bad = [
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com/pa-test-training:latest',
        `123456789012.dkr.ecr.eu-west-1.amazonaws.com/pa-test-training@sha256:${'ab'.repeat(31)}`,
        `123456789012.dkr.ecr.eu-west-1.amazonaws.com/pa-test-training@sha256:${'AB'.repeat(32)}`,
        `docker.io/library/node@${digest}`,
        `12345678901.dkr.ecr.eu-west-1.amazonaws.com/pa-test-training@${digest}`,
        `123456789012.dkr.ecr.eu-west-1.amazonaws.com/pa-test-training@${digest}\n`,
      ];
      for (const uri of good) assert.match(uri, pattern);
      for (const uri of bad) assert.doesNotMatch(uri, pattern);
    });
  });

  describe('policy Aspects on the real stack', () => {
    it('refuse a "*" grant added to a function role', () => {
      const { stack } = synthFixture('prebuilt');
      stack.detection.grant('too-broad', [{ sid: 'ReadAnyObject', actions: ['s3:GetObject'], resources: ['*'] }]);
      assert.throws(() => Testing.synth(stack), /IAM policy of panther-anomaly\/detection\/detection-too-broad, statement "ReadAnyObject"/);
    });
  });

  describe('state backend', () => {
    it('uses a local backend when no Terraform Cloud workspace is configured', () => {
      const { json } = synthFixture('prebuilt');
      assert.deepEqual(json.terraform.backend, { local: { path: 'terraform.panther-anomaly.tfstate' } });
      assert.equal(json.terraform.cloud, undefined);
    });

    it('uses a cloud block when the config names an organization and a workspace', () => {
      const { json } = synthFixture('prebuilt', { terraformCloud: { organization: 'acme', workspace: 'panther-anomaly-prod' } });
      assert.deepEqual(json.terraform.cloud, { organization: 'acme', workspaces: { name: 'panther-anomaly-prod' } });
      assert.equal(json.terraform.backend, undefined);
    });
  });
});
