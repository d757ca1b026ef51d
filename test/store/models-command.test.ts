// `models list | promote | rollback` over a local folder and over S3 (s3rver), through commander as a user types it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelsCommand } from '../../handlers/cli/models';
import { directoryObjects } from '../../handlers/store/directory';
import { createModelStore } from '../../handlers/store/model-store';
import { s3Objects } from '../../handlers/store/s3';
import { startLoopbackS3 } from '../support/s3rver';

async function run(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const command = modelsCommand({ stdout: (t) => lines.push(t) });
  command.exitOverride();
  await command.parseAsync(args, { from: 'user' });
  return lines;
}

const metrics = (auc: number) => JSON.stringify({ logTypes: { 'AWS.CloudTrail': { rocAuc: auc } } });

describe('models command', () => {
  it('lists, promotes and rolls back in a local folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'models-cli-'));
    try {
      const store = createModelStore(directoryObjects(dir), '');
      await store.writeVersion('v1', { 'model.json': '{}', 'metrics.json': metrics(0.9871) });
      await store.writeVersion('v2', { 'model.json': '{}' });
      await store.promote('v1');
      assert.deepEqual(await run(['list', '--dir', dir]), ['* v1  AWS.CloudTrail ROC-AUC 0.987', '  v2']);
      assert.deepEqual(await run(['promote', 'v2', '--dir', dir]), ['current model: v2 (previously v1)']);
      assert.equal((await store.readPointer())?.version, 'v2');
      assert.deepEqual(await run(['rollback', '--dir', dir]), ['current model: v1']);
      await assert.rejects(run(['promote', 'v7', '--dir', dir]), /model version v7 does not exist/);
      await assert.rejects(run(['rollback', '--dir', dir]), /no earlier current version/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says so when a folder holds no versions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'models-cli-'));
    try {
      assert.deepEqual(await run(['list', '--dir', dir]), [`no model versions in ${dir}/`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('works on an S3 bucket under the stack prefix models/', async () => {
    const s3 = await startLoopbackS3('deployed-models');
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    });
    try {
      const store = createModelStore(s3Objects(s3.client, s3.bucket), 'models/');
      await store.writeVersion('v1', { 'model.json': '{}' });
      await store.writeVersion('v2', { 'model.json': '{}' });
      await store.promote('v1');
      assert.deepEqual(await run(['promote', 'v2', '--bucket', s3.bucket]), ['current model: v2 (previously v1)']);
      assert.deepEqual(await run(['list', '--bucket', s3.bucket]), ['  v1', '* v2']);
      assert.deepEqual(await run(['rollback', '--bucket', s3.bucket]), ['current model: v1']);
      await assert.rejects(run(['list', '--bucket', s3.bucket, '--dir', 'models-folder']), /either --bucket or --dir/);
    } finally {
      process.env = saved;
      await s3.stop();
    }
  });
});
