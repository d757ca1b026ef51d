// Real validation: the prebuilt-mode stack through `terraform init -backend=false` and `terraform validate` against
// the hashicorp/aws 5.100.0 provider from an offline filesystem mirror named by TF_PROVIDER_MIRROR.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Json, synthFixture } from './stack-fixture';

const AWS_PROVIDER = join('registry.terraform.io', 'hashicorp', 'aws', '5.100.0');

interface Validation {
  valid: boolean;
  diagnostics: Array<{ severity: string; summary: string; detail?: string }>;
}

function providerMirror(): string {
  const mirror = process.env.TF_PROVIDER_MIRROR;
  assert.ok(
    mirror !== undefined && mirror !== '',
    'TF_PROVIDER_MIRROR is not set: point it at the offline provider mirror that holds ' +
      `${AWS_PROVIDER}, e.g. TF_PROVIDER_MIRROR="$(find / -maxdepth 3 -name tf-plugins -type d | head -n1)" npm test`,
  );
  assert.ok(existsSync(join(mirror, AWS_PROVIDER)), `TF_PROVIDER_MIRROR=${mirror} holds no ${AWS_PROVIDER}`);
  return mirror;
}

function terraform(dir: string, cliConfig: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('terraform', args, {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      TF_CLI_CONFIG_FILE: cliConfig,
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
    },
  });
  if (result.error !== undefined) throw new Error(`cannot run terraform: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function validate(dir: string, cliConfig: string, stack: Json): Validation {
  writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(stack, null, 2));
  const run = terraform(dir, cliConfig, ['validate', '-json', '-no-color']);
  return JSON.parse(run.stdout) as Validation;
}

function summaries(validation: Validation): string {
  return validation.diagnostics.map((d) => `${d.severity}: ${d.summary}: ${d.detail ?? ''}`).join('\n');
}

describe('terraform validate (prebuilt mode, real AWS provider schema)', function () {
  this.timeout(240_000);
  let dir: string;
  let cliConfig: string;
  let stack: Json;

  before(function () {
    const mirror = providerMirror();
    dir = mkdtempSync(join(tmpdir(), 'tf-validate-'));
    cliConfig = join(dir, 'offline.tfrc');
    // Only the mirror: nothing is fetched from the network, and a provider missing from it fails init.
    writeFileSync(
      cliConfig,
      `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`,
    );
    stack = synthFixture('prebuilt').json;
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(stack, null, 2));
    const init = terraform(dir, cliConfig, ['init', '-backend=false', '-input=false', '-no-color']);
    assert.equal(init.status, 0, `terraform init failed:\n${init.stdout}\n${init.stderr}`);
  });

  it('passes terraform validate', () => {
    const validation = validate(dir, cliConfig, stack);
    assert.equal(validation.valid, true, summaries(validation));
    assert.deepEqual(validation.diagnostics.filter((d) => d.severity === 'error'), []);
  });

  it('fails when an attribute is misspelled', () => {
    const broken = structuredClone(stack);
    const fn = Object.values(broken.resource.aws_lambda_function as Record<string, Json>)[0];
    fn.memory_sise = fn.memory_size;
    delete fn.memory_size;
    const validation = validate(dir, cliConfig, broken);
    assert.equal(validation.valid, false);
    assert.match(summaries(validation), /Extraneous JSON object property: No argument or block type is named "memory_sise"/);
  });

  it('fails when a value is outside what the provider accepts', () => {
    const broken = structuredClone(stack);
    const log = Object.values(broken.resource.aws_cloudwatch_log_group as Record<string, Json>)[0];
    log.retention_in_days = 10;
    const validation = validate(dir, cliConfig, broken);
    assert.equal(validation.valid, false);
    assert.match(summaries(validation), /retention_in_days/);
  });

  it('fails when a required block is missing', () => {
    const broken = structuredClone(stack);
    const method = Object.values(broken.resource.aws_api_gateway_method as Record<string, Json>)[0];
    delete method.http_method;
    const validation = validate(dir, cliConfig, broken);
    assert.equal(validation.valid, false);
    assert.match(summaries(validation), /Missing required argument.*"http_method" is required/s);
  });
});
