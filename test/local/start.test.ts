// `npm start` as a user runs it: start the local run, read the printed URL and example, call them, stop it.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(__dirname, '..', '..');
const built = join(root, 'dist', 'handlers', 'local', 'start.js');

/** The built entry point when `npm run build` has run (npm test builds first), else the source through tsx. */
function startArgs(): string[] {
  return existsSync(built) ? [built] : ['--import', 'tsx', join(root, 'handlers', 'local', 'start.ts')];
}

function waitForOutput(child: ChildProcess, pattern: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no match for ${pattern} within ${ms} ms; stderr:\n${err}`)), ms);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${code}; stderr:\n${err}`));
    });
  });
}

describe('npm start (local run)', function () {
  this.timeout(90_000);
  let child: ChildProcess | undefined;
  let folder: string;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'local-run-'));
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(folder, { recursive: true, force: true });
  });

  it('trains on the sample, prints the URL and an example the API flags, and answers bad bodies with 4xx', async () => {
    // Prepare / Act
    child = spawn(process.execPath, startArgs(), {
      cwd: root,
      env: { ...process.env, PORT: '0', LOCAL_MODEL_DIR: folder, PANTHER_API_URL: '', PANTHER_API_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = await waitForOutput(child, /-d @'[^']+'\n/, 80_000);
    // Assess: the URL
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    assert.ok(url, out);
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    const status = (await health.json()) as { status: string; modelVersion: string; logTypes: string[] };
    assert.equal(status.status, 'ok');
    assert.deepEqual(status.logTypes, ['AWS.CloudTrail', 'Okta.SystemLog']);
    // The printed examples, run as printed.
    const commands = out.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl -s -X POST'));
    assert.equal(commands.length, 2);
    for (const command of commands) {
      const { stdout } = await promisify(execFile)('bash', ['-c', command], { maxBuffer: 1 << 22 });
      const body = JSON.parse(stdout) as { modelVersion: string; results: { anomaly: boolean; topFeatures: unknown[] }[] };
      assert.equal(body.modelVersion, status.modelVersion);
      assert.equal(body.results.length, 1, command.slice(0, 120));
      assert.equal(body.results[0].anomaly, true);
      assert.ok(body.results[0].topFeatures.length > 0);
    }
    // Bad bodies: JSON errors, never a 500.
    const bad = await fetch(`${url}/detect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"rows": 3}' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { field: string }).field, 'rows');
    const text = await fetch(`${url}/detect`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' });
    assert.equal(text.status, 415);
  });
});
