// main.ts as the program cdktf runs: reads config.json from the working folder, honours IMAGE_MODE, and on bad
// input exits 1 with a message naming the setting. Importing it (as the other tests do) synthesizes nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_DIR, fixtureRawConfig, REPO_ROOT } from './stack-fixture';

const TSX_CLI = require.resolve('tsx/cli');
const STACK_JSON = join('cdktf.out', 'stacks', 'panther-anomaly', 'cdk.tf.json');

function runApp(config: unknown, env: Record<string, string> = {}): { dir: string; status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'main-app-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  copyFileSync(join(FIXTURE_DIR, 'feature-specs.json'), join(dir, 'feature-specs.json'));
  const run = spawnSync(process.execPath, [TSX_CLI, join(REPO_ROOT, 'main.ts')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, IMAGE_MODE: '', CHECKPOINT_DISABLE: '1', ...env },
  });
  return { dir, status: run.status, stderr: run.stderr };
}

describe('main.ts as a program', function () {
  this.timeout(120_000);

  it('synthesizes the configured mode into cdktf.out of the working folder, with no token from the environment', () => {
    const token = 'sentinel-panther-token-4f2a9c';
    const { dir, status, stderr } = runApp(fixtureRawConfig(), { PANTHER_TOKEN: token, PANTHER_API_TOKEN: token });
    assert.equal(status, 0, stderr);
    const text = readFileSync(join(dir, STACK_JSON), 'utf8');
    assert.equal(text.includes(token), false);
    const stack = JSON.parse(text);
    assert.equal(stack.resource.docker_image, undefined);
    assert.deepEqual(Object.keys(stack.variable).sort(), ['detection_image_uri', 'training_image_uri']);
  });

  it('lets IMAGE_MODE=build override the config, and then needs the bundles', () => {
    const { dir, status, stderr } = runApp(fixtureRawConfig(), { IMAGE_MODE: 'build' });
    assert.equal(status, 1);
    assert.match(stderr, /^synth failed: .*dist[/\\]bundles[/\\]training does not exist: run `npm run bundle`/m);
    assert.equal(existsSync(join(dir, STACK_JSON)), false);
  });

  it('exits 1 naming the setting when config.json has a bad value', () => {
    const { status, stderr } = runApp({ ...fixtureRawConfig(), detection: { memoryMb: 64 } });
    assert.equal(status, 1);
    assert.match(stderr, /^synth failed: detection\.memoryMb: Too small/m);
  });
});
