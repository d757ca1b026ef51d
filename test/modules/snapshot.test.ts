// One scrubbed snapshot per image mode, and proof that synthesis is deterministic.
// Update the snapshots after an intended change with: UPDATE_SNAPSHOTS=1 npx mocha test/modules/snapshot.test.ts
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { buildStack, STACK_NAME } from '../../main';
import { FIXTURE_BUNDLES, FIXTURE_DIR, fixtureConfig, STACK_DIR, synthFixture } from './stack-fixture';

/**
 * Replaces what changes without the stack changing in meaning: content hashes (bundle hashes, the deployment's route
 * hash), image tags derived from them, and the build context path, which depends on where the fixture lives.
 */
export function scrub(text: string): string {
  return text
    .replace(/\b[0-9a-f]{64}\b/g, '<sha256>')
    .replace(/bundle-[0-9a-f]{16}\b/g, 'bundle-<hash>')
    .replace(/"\$\{path\.module\}\/[^"]*\/bundles\/(training|detection)"/g, '"${path.module}/<bundles>/$1"');
}

describe('synthesized stack', () => {
  for (const mode of ['build', 'prebuilt'] as const) {
    it(`matches the scrubbed ${mode}-mode snapshot`, () => {
      const file = join(FIXTURE_DIR, `snapshot-${mode}.json`);
      const actual = scrub(synthFixture(mode).text) + '\n';
      if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(file, actual);
      assert.ok(existsSync(file), `${file} is missing: run UPDATE_SNAPSHOTS=1 npx mocha test/modules/snapshot.test.ts`);
      assert.equal(actual, readFileSync(file, 'utf8'));
    });

    it(`is byte-identical across two ${mode}-mode synths of the same config`, () => {
      assert.equal(synthFixture(mode).text, synthFixture(mode).text);
    });
  }

  it('writes byte-identical cdk.tf.json files, metadata included, from two full app synths', () => {
    const synthToFile = () => {
      const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'cdktf-out-')) });
      buildStack(app, fixtureConfig(), { imageMode: 'build', bundlesDir: FIXTURE_BUNDLES, stackDir: STACK_DIR });
      app.synth();
      return readFileSync(join(app.outdir, 'stacks', STACK_NAME, 'cdk.tf.json'));
    };
    const first = synthToFile();
    assert.ok(first.length > 10000);
    assert.ok(first.equals(synthToFile()));
  });

  it('scrubs hashes, tags and context paths but nothing else', () => {
    const hash = 'a'.repeat(64);
    const input = `{"t":"${hash}","n":"repo:bundle-0123456789abcdef","c":"\${path.module}/../x/bundles/training","k":"models/"}`;
    assert.equal(
      scrub(input),
      '{"t":"<sha256>","n":"repo:bundle-<hash>","c":"${path.module}/<bundles>/training","k":"models/"}',
    );
  });
});
