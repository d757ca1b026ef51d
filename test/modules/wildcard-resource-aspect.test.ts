// The IAM Aspect on a small stack of its own: a `*` resource or wildcard action fails synthesis, scoped ones pass.
import assert from 'node:assert/strict';
import { Aspects, Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { PolicyStatement, policyDocument, serviceTrustPolicy } from '../../modules/policy';
import { policyViolations, WildcardResourceAspect } from '../../modules/wildcard-resource-aspect';

function stackWithRolePolicy(statements: PolicyStatement[]): TerraformStack {
  const stack = new TerraformStack(Testing.app(), 'aspect-test');
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  const bucket = new S3Bucket(stack, 'bucket', { bucket: 'aspect-test-bucket' });
  const role = new IamRole(stack, 'role', { name: 'aspect-test', assumeRolePolicy: serviceTrustPolicy('lambda.amazonaws.com') });
  new IamRolePolicy(stack, 'policy', {
    role: role.id,
    policy: policyDocument(statements.map((s) => ({ ...s, resources: (s.resources ?? []).map((r) => r.replace('BUCKET', bucket.arn)) }))),
  });
  Aspects.of(stack).add(new WildcardResourceAspect());
  return stack;
}

describe('WildcardResourceAspect', () => {
  it('fails synthesis on a "*" resource for an action that takes an ARN, naming the construct and statement', () => {
    const stack = stackWithRolePolicy([{ sid: 'ReadEverything', actions: ['s3:GetObject'], resources: ['*'] }]);
    assert.throws(
      () => Testing.synth(stack),
      /IAM policy of aspect-test\/policy, statement "ReadEverything": "\*" resource for s3:GetObject/,
    );
  });

  it('fails synthesis on a wildcard action even with a scoped resource', () => {
    const stack = stackWithRolePolicy([{ sid: 'AllOfS3', actions: ['s3:*'], resources: ['BUCKET/*'] }]);
    assert.throws(() => Testing.synth(stack), /statement "AllOfS3": wildcard action "s3:\*"/);
  });

  it('fails synthesis on a standalone managed policy too', () => {
    const stack = new TerraformStack(Testing.app(), 'aspect-test');
    new AwsProvider(stack, 'aws', { region: 'us-east-1' });
    new IamPolicy(stack, 'managed', {
      name: 'too-broad',
      policy: policyDocument([{ sid: 'Logs', actions: ['logs:PutLogEvents'], resources: ['*'] }]),
    });
    Aspects.of(stack).add(new WildcardResourceAspect());
    assert.throws(() => Testing.synth(stack), /IAM policy of aspect-test\/managed, statement "Logs"/);
  });

  it('lets a statement scoped to a resource reference through', () => {
    const stack = stackWithRolePolicy([{ sid: 'ReadModels', actions: ['s3:GetObject'], resources: ['BUCKET/models/*'] }]);
    const json = JSON.parse(Testing.synth(stack));
    assert.equal(Object.keys(json.resource.aws_iam_role_policy).length, 1);
  });

  it('lets "*" through for actions AWS cannot scope to a resource', () => {
    const stack = stackWithRolePolicy([{ sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }]);
    assert.doesNotThrow(() => Testing.synth(stack));
  });

  describe('policyViolations', () => {
    const allow = (Action: unknown, Resource: unknown, extra: object = {}) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'S', Effect: 'Allow', Action, Resource, ...extra }] });

    it('finds every wildcard form of a resource', () => {
      for (const resource of ['*', 'arn:*', 'arn:aws:s3:::*', ['arn:aws:s3:::bucket/a', '*']]) {
        assert.equal(policyViolations(allow('s3:GetObject', resource)).length, 1, JSON.stringify(resource));
      }
    });

    it('passes ARNs that only end in a key or stream wildcard', () => {
      for (const resource of ['arn:aws:s3:::bucket/models/*', 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*']) {
        assert.deepEqual(policyViolations(allow('s3:GetObject', resource)), []);
      }
    });

    it('finds a full wildcard action and a NotResource grant', () => {
      assert.match(policyViolations(allow('*', 'arn:aws:s3:::bucket'))[0].problem, /wildcard action "\*"/);
      const notResource = JSON.stringify({
        Statement: { Sid: 'N', Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::other/*' },
      });
      assert.match(policyViolations(notResource)[0].problem, /NotAction \/ NotResource/);
    });

    it('ignores Deny statements, which may use wildcards to deny broadly', () => {
      const deny = JSON.stringify({
        Statement: [{ Sid: 'D', Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: '*' }],
      });
      assert.deepEqual(policyViolations(deny), []);
    });

    it('requires every action of a "*" statement to be one that cannot be scoped', () => {
      const mixed = allow(['ecr:GetAuthorizationToken', 'ecr:BatchGetImage'], '*');
      assert.equal(policyViolations(mixed).length, 1);
    });
  });
});
