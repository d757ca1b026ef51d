// The security review of the synthesized stack as a table of rules (in the spirit of checkov and tfsec): each rule
// has an id, a description, a check over the Terraform JSON, and a way to break the stack that the check must catch.
import { policyViolations } from '../../modules/wildcard-resource-aspect';
import { Json } from './stack-fixture';

export interface SecurityRule {
  id: string;
  description: string;
  /** Findings on a synthesized stack; empty when the rule holds. */
  check(stack: Json): string[];
  /** Changes a copy of a passing stack so that it breaks the rule: proves the check can fail. */
  breaks(stack: Json): void;
}

type Entry = [string, Json];

function resources(stack: Json, type: string): Entry[] {
  return Object.entries((stack.resource?.[type] ?? {}) as Record<string, Json>);
}

function first(stack: Json, type: string): Json {
  const [entry] = resources(stack, type);
  if (entry === undefined) throw new Error(`the stack has no ${type} to break`);
  return entry[1];
}

function refersTo(value: unknown, type: string, id: string): boolean {
  return typeof value === 'string' && value.startsWith(`\${${type}.${id}.`);
}

/** One finding per bucket that no resource of `type` attached to it satisfies. */
function everyBucketHas(stack: Json, type: string, what: string, holds: (r: Json) => boolean): string[] {
  return resources(stack, 'aws_s3_bucket').flatMap(([id]) => {
    const attached = resources(stack, type).filter(([, r]) => refersTo(r.bucket, 'aws_s3_bucket', id));
    return attached.some(([, r]) => holds(r)) ? [] : [`aws_s3_bucket.${id} has no ${what}`];
  });
}

function rolePolicies(stack: Json, roleId: string): Json[] {
  return resources(stack, 'aws_iam_role_policy')
    .filter(([, p]) => refersTo(p.role, 'aws_iam_role', roleId))
    .flatMap(([, p]) => JSON.parse(p.policy).Statement as Json[]);
}

function functionRole(stack: Json, suffix: string): [string, Json[]] {
  const fn = resources(stack, 'aws_lambda_function').find(([, f]) => String(f.function_name).endsWith(suffix));
  if (fn === undefined) throw new Error(`no function named *${suffix}`);
  const roleId = String(fn[1].role).match(/^\$\{aws_iam_role\.(.+)\.arn\}$/)?.[1] ?? '';
  return [fn[1].function_name, rolePolicies(stack, roleId)];
}

function actionsOf(statements: Json[]): string[] {
  return statements.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat() as string[]);
}

function policyStrings(stack: Json): Array<[string, string]> {
  return Object.entries((stack.resource ?? {}) as Record<string, Record<string, Json>>).flatMap(([type, byId]) =>
    Object.entries(byId)
      .filter(([, r]) => typeof r.policy === 'string' && r.policy.trimStart().startsWith('{'))
      .map(([id, r]): [string, string] => [`${type}.${id}`, r.policy]),
  );
}

// Names that say "secret" in an environment variable; an ARN or a key name pointing at one is fine, a value is not.
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|CREDENTIAL)/i;
const SECRET_REFERENCE = /_(ARN|NAME|ID)$/;

export const SECURITY_RULES: readonly SecurityRule[] = [
  {
    id: 'PA-S3-001',
    description: 'Every S3 bucket has default server-side encryption',
    check: (s) =>
      everyBucketHas(s, 'aws_s3_bucket_server_side_encryption_configuration', 'default encryption', (r) =>
        [r.rule].flat().some((rule: Json) => ['AES256', 'aws:kms', 'aws:kms:dsse'].includes(rule?.apply_server_side_encryption_by_default?.sse_algorithm)),
      ),
    breaks: (s) => delete s.resource.aws_s3_bucket_server_side_encryption_configuration,
  },
  {
    id: 'PA-S3-002',
    description: 'Every S3 bucket has versioning enabled',
    check: (s) =>
      everyBucketHas(s, 'aws_s3_bucket_versioning', 'versioning enabled', (r) => r.versioning_configuration?.status === 'Enabled'),
    breaks: (s) => (first(s, 'aws_s3_bucket_versioning').versioning_configuration.status = 'Suspended'),
  },
  {
    id: 'PA-S3-003',
    description: 'Every S3 bucket blocks all four kinds of public access',
    check: (s) =>
      everyBucketHas(s, 'aws_s3_bucket_public_access_block', 'full public access block', (r) =>
        ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'].every((k) => r[k] === true),
      ),
    breaks: (s) => (first(s, 'aws_s3_bucket_public_access_block').restrict_public_buckets = false),
  },
  {
    id: 'PA-S3-004',
    description: 'Every S3 bucket policy denies any request not made over TLS, on the bucket and its objects',
    check: (s) =>
      everyBucketHas(s, 'aws_s3_bucket_policy', 'TLS-only policy', (r) =>
        (JSON.parse(r.policy).Statement as Json[]).some(
          (st) =>
            st.Effect === 'Deny' &&
            [st.Action].flat().includes('s3:*') &&
            [st.Resource].flat().length === 2 &&
            st.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        ),
      ),
    breaks: (s) => {
      const policy = first(s, 'aws_s3_bucket_policy');
      const doc = JSON.parse(policy.policy);
      doc.Statement[0].Condition = {};
      policy.policy = JSON.stringify(doc);
    },
  },
  {
    id: 'PA-S3-005',
    description: 'Every S3 bucket has ACLs disabled (bucket owner enforced)',
    check: (s) =>
      everyBucketHas(s, 'aws_s3_bucket_ownership_controls', 'BucketOwnerEnforced ownership', (r) =>
        [r.rule].flat().some((rule: Json) => rule?.object_ownership === 'BucketOwnerEnforced'),
      ),
    breaks: (s) => delete s.resource.aws_s3_bucket_ownership_controls,
  },
  {
    id: 'PA-IAM-001',
    description: 'No Allow statement grants a wildcard action or a "*" resource where an ARN exists',
    check: (s) =>
      policyStrings(s).flatMap(([address, policy]) =>
        policyViolations(policy).map((v) => `${address} statement ${v.sid}: ${v.problem}`),
      ),
    breaks: (s) => {
      const policy = first(s, 'aws_iam_role_policy');
      const doc = JSON.parse(policy.policy);
      doc.Statement[0].Resource = '*';
      policy.policy = JSON.stringify(doc);
    },
  },
  {
    id: 'PA-IAM-002',
    description: 'Detection may only read models and write its own logs: no write, delete or secret access',
    check: (s) => {
      const [name, statements] = functionRole(s, '-detection');
      const allowed = new Set(['s3:GetObject', 's3:ListBucket', 'logs:CreateLogStream', 'logs:PutLogEvents']);
      return actionsOf(statements)
        .filter((a) => !allowed.has(a))
        .map((a) => `${name} may ${a}`);
    },
    breaks: (s) => {
      const policy = resources(s, 'aws_iam_role_policy').find(([id]) => id.includes('detection-models-read'))?.[1];
      const doc = JSON.parse(policy?.policy);
      doc.Statement[0].Action.push('s3:PutObject');
      if (policy !== undefined) policy.policy = JSON.stringify(doc);
    },
  },
  {
    id: 'PA-IAM-003',
    description: 'Training may read the one secret and read/write models, but never delete an object or version',
    check: (s) => {
      const [name, statements] = functionRole(s, '-training');
      const allowed = new Set([
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'secretsmanager:GetSecretValue',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]);
      const secretArns = resources(s, 'aws_secretsmanager_secret').map(([id]) => `\${aws_secretsmanager_secret.${id}.arn}`);
      const secretReads = statements.filter((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'));
      return [
        ...actionsOf(statements)
          .filter((a) => !allowed.has(a))
          .map((a) => `${name} may ${a}`),
        ...secretReads
          .flatMap((st) => [st.Resource].flat() as string[])
          .filter((r) => !secretArns.includes(r))
          .map((r) => `${name} may read secret ${r}`),
      ];
    },
    breaks: (s) => {
      const policy = resources(s, 'aws_iam_role_policy').find(([id]) => id.includes('training-models-read-write'))?.[1];
      const doc = JSON.parse(policy?.policy);
      doc.Statement.push({ Sid: 'Prune', Effect: 'Allow', Action: ['s3:DeleteObjectVersion'], Resource: doc.Statement[0].Resource });
      if (policy !== undefined) policy.policy = JSON.stringify(doc);
    },
  },
  {
    id: 'PA-IAM-004',
    description: 'Every role is assumable by one AWS service only, and no AWS-managed policy is attached',
    check: (s) => [
      ...resources(s, 'aws_iam_role').flatMap(([id, role]) => {
        const statements = JSON.parse(role.assume_role_policy).Statement as Json[];
        const principals = statements.map((st) => Object.keys(st.Principal ?? {}).join(','));
        return principals.every((p) => p === 'Service') ? [] : [`aws_iam_role.${id} trusts ${principals.join(' ')}`];
      }),
      ...resources(s, 'aws_iam_role_policy_attachment').map(([id]) => `aws_iam_role_policy_attachment.${id}`),
      ...resources(s, 'aws_iam_role')
        .filter(([, role]) => role.managed_policy_arns !== undefined)
        .map(([id]) => `aws_iam_role.${id} has managed_policy_arns`),
    ],
    breaks: (s) => {
      const role = first(s, 'aws_iam_role');
      role.assume_role_policy = JSON.stringify({
        Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
      });
    },
  },
  {
    id: 'PA-API-001',
    description: 'No API method but GET /health is anonymous: /detect requires an API key or IAM auth',
    check: (s) => {
      const paths = new Map(resources(s, 'aws_api_gateway_resource').map(([id, r]) => [`\${aws_api_gateway_resource.${id}.id}`, r.path_part]));
      return resources(s, 'aws_api_gateway_method')
        .filter(([, m]) => m.authorization === 'NONE' && m.api_key_required !== true)
        .filter(([, m]) => !(m.http_method === 'GET' && paths.get(m.resource_id) === 'health'))
        .map(([, m]) => `${m.http_method} /${paths.get(m.resource_id) ?? '?'} is anonymous`);
    },
    breaks: (s) => {
      const detect = resources(s, 'aws_api_gateway_method').find(([, m]) => m.http_method === 'POST');
      if (detect !== undefined) detect[1].api_key_required = false;
    },
  },
  {
    id: 'PA-API-002',
    description: 'The stage is throttled, and a usage plan with throttling and a quota covers it',
    check: (s) => {
      const settings = resources(s, 'aws_api_gateway_method_settings').map(([, m]) => m.settings);
      const plans = resources(s, 'aws_api_gateway_usage_plan').map(([, p]) => p);
      const findings: string[] = [];
      if (!settings.some((x) => x?.throttling_rate_limit > 0 && x?.throttling_burst_limit > 0)) findings.push('stage not throttled');
      if (!plans.some((p) => p.throttle_settings?.rate_limit > 0 && p.quota_settings?.limit > 0 && p.api_stages?.length > 0)) {
        findings.push('no usage plan with throttle, quota and stage');
      }
      return findings;
    },
    breaks: (s) => delete first(s, 'aws_api_gateway_usage_plan').quota_settings,
  },
  {
    id: 'PA-API-003',
    description: 'Every stage writes access logs to a log group with a retention; execution logs and data traces are off',
    check: (s) => {
      const groups = new Map(resources(s, 'aws_cloudwatch_log_group').map(([id, g]) => [`\${aws_cloudwatch_log_group.${id}.arn}`, g]));
      return [
        ...resources(s, 'aws_api_gateway_stage')
          .filter(([, st]) => !(groups.get(st.access_log_settings?.destination_arn)?.retention_in_days > 0))
          .map(([id]) => `aws_api_gateway_stage.${id} has no access log group with retention`),
        ...resources(s, 'aws_api_gateway_method_settings')
          .filter(([, m]) => m.settings?.data_trace_enabled !== false || !['OFF', undefined].includes(m.settings?.logging_level))
          .map(([id]) => `aws_api_gateway_method_settings.${id} logs request data`),
      ];
    },
    breaks: (s) => (first(s, 'aws_api_gateway_method_settings').settings.data_trace_enabled = true),
  },
  {
    id: 'PA-LAMBDA-001',
    description: 'Every Lambda permission is scoped to a source ARN (the API stage route or the schedule rule)',
    check: (s) =>
      resources(s, 'aws_lambda_permission')
        .filter(([, p]) => typeof p.source_arn !== 'string' || !p.source_arn.startsWith('${aws_'))
        .map(([id]) => `aws_lambda_permission.${id} has no resource-scoped source_arn`),
    breaks: (s) => delete first(s, 'aws_lambda_permission').source_arn,
  },
  {
    id: 'PA-LAMBDA-002',
    description: 'No secret value in a function environment: secret-like names only carry an ARN, name or id',
    check: (s) =>
      resources(s, 'aws_lambda_function').flatMap(([, f]) =>
        Object.entries((f.environment?.variables ?? {}) as Record<string, string>)
          .filter(([key, value]) => SECRET_NAME.test(key) && !(SECRET_REFERENCE.test(key) && value.startsWith('${aws_')))
          .map(([key]) => `${f.function_name} has ${key} in its environment`),
      ),
    breaks: (s) => (first(s, 'aws_lambda_function').environment.variables.PANTHER_TOKEN = 'abc123'),
  },
  {
    id: 'PA-LAMBDA-003',
    description: 'Every function has its /aws/lambda log group with a retention, created before the function',
    check: (s) =>
      resources(s, 'aws_lambda_function').flatMap(([, f]) => {
        const group = resources(s, 'aws_cloudwatch_log_group').find(([, g]) => g.name === `/aws/lambda/${f.function_name}`);
        if (group === undefined || !(group[1].retention_in_days > 0)) return [`${f.function_name} has no log group with retention`];
        return (f.depends_on ?? []).includes(`aws_cloudwatch_log_group.${group[0]}`) ? [] : [`${f.function_name} may start before its log group`];
      }),
    breaks: (s) => delete first(s, 'aws_lambda_function').depends_on,
  },
  {
    id: 'PA-LAMBDA-004',
    description: 'Every function runs an image pinned by digest (pushed digest, or a variable validated as one)',
    check: (s) =>
      resources(s, 'aws_lambda_function').flatMap(([, f]) => {
        const uri = String(f.image_uri);
        const variable = uri.match(/^\$\{var\.([a-z_]+)\}$/)?.[1];
        if (variable !== undefined) {
          const condition = String(s.variable?.[variable]?.validation?.[0]?.condition ?? '');
          return condition.includes('@sha256:[0-9a-f]{64}$') ? [] : [`${f.function_name}: ${variable} is not validated as a digest`];
        }
        return /@\$\{docker_registry_image\.[^}]+\.sha256_digest\}$/.test(uri) ? [] : [`${f.function_name} runs ${uri}`];
      }),
    breaks: (s) => (first(s, 'aws_lambda_function').image_uri = '123456789012.dkr.ecr.us-east-1.amazonaws.com/x:latest'),
  },
  {
    id: 'PA-ECR-001',
    description: 'Every ECR repository has immutable tags, scan on push, encryption, a lifecycle policy, and lets only Lambda pull, for one function ARN',
    check: (s) =>
      resources(s, 'aws_ecr_repository').flatMap(([id, r]) => {
        const findings: string[] = [];
        if (r.image_tag_mutability !== 'IMMUTABLE') findings.push(`${r.name} has mutable tags`);
        if (r.image_scanning_configuration?.scan_on_push !== true) findings.push(`${r.name} is not scanned on push`);
        if (!([r.encryption_configuration].flat()[0]?.encryption_type)) findings.push(`${r.name} has no encryption setting`);
        const lifecycle = resources(s, 'aws_ecr_lifecycle_policy').some(([, l]) => refersTo(l.repository, 'aws_ecr_repository', id));
        if (!lifecycle) findings.push(`${r.name} has no lifecycle policy`);
        const policies = resources(s, 'aws_ecr_repository_policy').filter(([, p]) => refersTo(p.repository, 'aws_ecr_repository', id));
        for (const [, policy] of policies) {
          for (const st of JSON.parse(policy.policy).Statement as Json[]) {
            const onlyLambda = JSON.stringify(st.Principal) === JSON.stringify({ Service: 'lambda.amazonaws.com' });
            if (st.Effect === 'Allow' && (!onlyLambda || st.Condition?.StringLike?.['aws:sourceArn'] === undefined)) {
              findings.push(`${r.name} lets ${JSON.stringify(st.Principal)} pull without a source ARN condition`);
            }
          }
        }
        return findings;
      }),
    breaks: (s) => (first(s, 'aws_ecr_repository').image_tag_mutability = 'MUTABLE'),
  },
  {
    id: 'PA-SM-001',
    description: 'No secret value in the configuration (and so none in the state): no secret version, no secret string',
    check: (s) => [
      ...resources(s, 'aws_secretsmanager_secret_version').map(([id]) => `aws_secretsmanager_secret_version.${id}`),
      ...(/"secret_(string|binary)"/.test(JSON.stringify(s)) ? ['a secret_string or secret_binary attribute'] : []),
    ],
    breaks: (s) => {
      s.resource.aws_secretsmanager_secret_version = { v: { secret_id: 'x', secret_string: 'token' } };
    },
  },
  {
    id: 'PA-SM-002',
    description: 'Every secret can be recovered for days after a deletion',
    check: (s) =>
      resources(s, 'aws_secretsmanager_secret')
        .filter(([, x]) => !(x.recovery_window_in_days >= 7))
        .map(([id]) => `aws_secretsmanager_secret.${id} is deleted without a recovery window`),
    breaks: (s) => (first(s, 'aws_secretsmanager_secret').recovery_window_in_days = 0),
  },
  {
    id: 'PA-LOG-001',
    description: 'Every log group has a retention, so logs of sensitive traffic age out',
    check: (s) =>
      resources(s, 'aws_cloudwatch_log_group')
        .filter(([, g]) => !(g.retention_in_days > 0))
        .map(([, g]) => `${g.name} keeps logs forever`),
    breaks: (s) => (first(s, 'aws_cloudwatch_log_group').retention_in_days = 0),
  },
];
