// The bundle content hash that names and triggers image builds, and the platform that matches an architecture.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleHash, imageTag, platformOf } from '../../modules/bundle-image';
import { FIXTURE_BUNDLES } from './stack-fixture';

const fresh = () => mkdtempSync(join(tmpdir(), 'bundle-hash-'));

describe('bundleHash', () => {
  it('of an empty folder is the SHA-256 of nothing', () => {
    assert.equal(bundleHash(fresh()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('of one file covers its name, size and bytes', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a'), 'xy');
    // Hand-built input: "a" NUL "2" NUL, then the two content bytes.
    const expected = createHash('sha256').update(Buffer.from('a\u00002\u0000xy', 'utf8')).digest('hex');
    assert.equal(bundleHash(dir), expected);
  });

  it('is the same for the same content in another folder', () => {
    const copy = join(fresh(), 'training');
    cpSync(join(FIXTURE_BUNDLES, 'training'), copy, { recursive: true });
    assert.equal(bundleHash(copy), bundleHash(join(FIXTURE_BUNDLES, 'training')));
  });

  it('changes when one byte changes, a file is renamed, or a file is added in a subfolder', () => {
    const base = fresh();
    writeFileSync(join(base, 'index.js'), 'abc');
    const changed = fresh();
    writeFileSync(join(changed, 'index.js'), 'abd');
    const renamed = fresh();
    writeFileSync(join(renamed, 'main.js'), 'abc');
    const added = fresh();
    writeFileSync(join(added, 'index.js'), 'abc');
    mkdirSync(join(added, 'lib'));
    writeFileSync(join(added, 'lib', 'x.js'), '');
    const hashes = new Set([base, changed, renamed, added].map(bundleHash));
    assert.equal(hashes.size, 4);
  });

  it('does not let content move across a file boundary unnoticed', () => {
    const one = fresh();
    writeFileSync(join(one, 'a'), 'bc');
    writeFileSync(join(one, 'b'), '');
    const two = fresh();
    writeFileSync(join(two, 'a'), 'b');
    writeFileSync(join(two, 'b'), 'c');
    assert.notEqual(bundleHash(one), bundleHash(two));
  });
});

describe('imageTag', () => {
  const hash = '0123456789abcdef'.repeat(4);

  it('is the first 16 hex of the bundle hash without a base image', () => {
    assert.equal(imageTag(hash), 'bundle-0123456789abcdef');
  });

  it('with a base image, is the first 16 hex of SHA-256 over the bundle hash, a newline and the base image', () => {
    const base = 'public.ecr.aws/lambda/nodejs:22@sha256:' + 'e'.repeat(64);
    const expected = createHash('sha256').update(`${hash}\n${base}`).digest('hex').slice(0, 16);
    assert.equal(imageTag(hash, base), `bundle-${expected}`);
    assert.notEqual(imageTag(hash, base), imageTag(hash, base.replace(/e$/, 'f')));
  });
});

describe('platformOf', () => {
  it('matches the Lambda architecture', () => {
    assert.equal(platformOf('x86_64'), 'linux/amd64');
    assert.equal(platformOf('arm64'), 'linux/arm64');
  });
});
