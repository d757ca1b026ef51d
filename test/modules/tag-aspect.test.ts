// The tag Aspect: every taggable resource gets the common tags; a resource's own tags win.
import assert from 'node:assert/strict';
import { Aspects, Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { TagAspect } from '../../modules/tag-aspect';

describe('TagAspect', () => {
  const stack = new TerraformStack(Testing.app(), 'tags');
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  new S3Bucket(stack, 'plain', { bucket: 'plain' });
  new S3Bucket(stack, 'owned', { bucket: 'owned', tags: { team: 'own-team', extra: 'yes' } });
  new LambdaPermission(stack, 'permission', {
    action: 'lambda:InvokeFunction',
    functionName: 'f',
    principal: 'events.amazonaws.com',
  });
  Aspects.of(stack).add(new TagAspect({ project: 'panther-anomaly', team: 'common' }));
  const json = JSON.parse(Testing.synth(stack));
  const buckets = Object.values(json.resource.aws_s3_bucket) as Array<{ bucket: string; tags: object }>;

  it('adds the common tags to a resource without tags', () => {
    assert.deepEqual(buckets.find((b) => b.bucket === 'plain')?.tags, { project: 'panther-anomaly', team: 'common' });
  });

  it('keeps a resource its own tags, which override the common ones', () => {
    assert.deepEqual(buckets.find((b) => b.bucket === 'owned')?.tags, { project: 'panther-anomaly', team: 'own-team', extra: 'yes' });
  });

  it('leaves resources that take no tags alone', () => {
    const [permission] = Object.values(json.resource.aws_lambda_permission) as object[];
    assert.equal('tags' in permission, false);
  });
});
