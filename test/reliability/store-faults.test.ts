// S3 failing under the training job and the detection API, on the loopback S3: a put failing on each object of
// a new version and on the pointer, the training process killed between the version and the pointer, a pointer
// to a missing version (NoSuchKey), a corrupt model.json, and reads failing. The current model stays
// byte-identical where nothing but the fault touched it, detection keeps answering with the last good model,
// and the log says what happened.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { renderReport } from '../../handlers/engine/report';
import { DEFAULT_SPECS } from '../../handlers/engine/spec';
import { createDetectionApp, type DetectionApp } from '../../handlers/runtime/app';
import { eventSource } from '../../handlers/runtime/feature-source';
import { runTrainingJob } from '../../handlers/runtime/training-job';
import { createModelStore, type ModelStore, type ObjectStore } from '../../handlers/store/model-store';
import { s3Objects } from '../../handlers/store/s3';
import { startLoopbackS3, type LoopbackS3 } from '../support/s3rver';
import {
  SIM_END,
  SIM_START,
  SMALL_GATE,
  capturedLogger,
  currentHashes,
  detectEvent,
  eventsBody,
  s3Error,
  smallSimulation,
  trainSmallModel,
  trainingFailure,
  type CapturedLog,
} from './setup';

const PREFIX = 'models/';

/** The object store with a fault: `put` or `get` throws when the predicate says so for that call. */
function faulty(
  objects: ObjectStore,
  faults: { put?: (key: string, n: number) => Error | undefined; get?: (key: string) => Error | undefined },
): ObjectStore & { puts: string[] } {
  const puts: string[] = [];
  return {
    ...objects,
    location: objects.location,
    puts,
    async put(key, body, options) {
      puts.push(key);
      const err = faults.put?.(key, puts.length);
      if (err) throw err;
      return objects.put(key, body, options);
    },
    async get(key) {
      const err = faults.get?.(key);
      if (err) throw err;
      return objects.get(key);
    },
  };
}

describe('faults: S3 and the training process', function () {
  this.timeout(60_000);
  let s3: LoopbackS3;
  let objects: ObjectStore;
  let store: ModelStore;
  let app: DetectionApp;
  let appLog: CapturedLog;
  let good: Awaited<ReturnType<typeof currentHashes>>;
  let goodPointerText: string;
  const hashes = () => currentHashes(store, (k) => objects.get(k), PREFIX);

  /** Detection answers /detect with the last good model. */
  async function assertServesLastGood(target: DetectionApp = app): Promise<void> {
    const res = await target.handle(detectEvent(eventsBody()));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(JSON.parse(res.body).modelVersion, good.version);
  }

  /** The training job over a store with the given faults; it must fail. */
  async function trainInto(broken: ObjectStore): Promise<{ error: Error; log: CapturedLog }> {
    const log = capturedLogger();
    const job = runTrainingJob({
      specs: DEFAULT_SPECS,
      start: SIM_START,
      end: SIM_END,
      source: eventSource(smallSimulation().events),
      store: createModelStore(broken, PREFIX),
      logger: log.logger,
      gate: SMALL_GATE,
      renderReport,
    });
    const error = await job.then(
      () => assert.fail('training should have failed'),
      (err: Error) => err,
    );
    return { error, log };
  }

  before(async () => {
    s3 = await startLoopbackS3('faults-store');
    objects = s3Objects(s3.client, s3.bucket);
    store = createModelStore(objects, PREFIX);
    await trainSmallModel(store);
    good = await hashes();
    goodPointerText = (await objects.get(`${PREFIX}current.json`))!;
    appLog = capturedLogger();
    app = createDetectionApp({ store, refreshSeconds: 0, maxBodyBytes: 1_048_576, logger: appLog.logger });
    await assertServesLastGood();
  });
  after(() => s3?.stop());
  beforeEach(() => {
    appLog.lines.length = 0;
  });

  // A new version is report.html, metrics.json, model.json, then the pointer: a put fails at each in turn.
  const steps = [
    { n: 1, object: 'report.html', stage: /^writing version / },
    { n: 2, object: 'metrics.json', stage: /^writing version / },
    { n: 3, object: 'model.json', stage: /^writing version / },
    { n: 4, object: 'current.json', stage: /^promoting version / },
  ];
  for (const step of steps) {
    it(`a put failing on object ${step.n} (${step.object}) leaves the current model as it was`, async () => {
      // Prepare
      const versionsBefore = await store.listVersions();
      const broken = faulty(objects, {
        put: (_key, n) => (n === step.n ? s3Error('InternalError', 500, 'We encountered an internal error. Please try again.') : undefined),
      });
      // Act
      const { error, log } = await trainInto(broken);
      // Assess
      assert.equal(error.name, 'InternalError');
      assert.ok(broken.puts[step.n - 1].endsWith(step.object), broken.puts.join(', '));
      const failure = trainingFailure(log);
      assert.match(failure.stage, step.stage);
      assert.equal(failure.error.name, 'InternalError');
      assert.match(failure.error.message, /internal error/);
      assert.match(failure.version ?? '', /^\d{8}T\d{9}Z-[0-9a-f]{6}$/);
      assert.deepEqual(await hashes(), good);
      // A version without model.json is incomplete and never listed; one with it is listed but not current.
      const versionsAfter = await store.listVersions();
      if (step.object === 'current.json') assert.deepEqual(versionsAfter, [...versionsBefore, failure.version].sort());
      else assert.deepEqual(versionsAfter, versionsBefore);
      await assertServesLastGood();
    });
  }

  it('a training process killed between writing the version and moving the pointer leaves the current model', async () => {
    // Prepare
    const versionsBefore = await store.listVersions();
    const child = fork(require.resolve('./train-child'), [s3.endpoint, s3.bucket], {
      execArgv: ['--require', require.resolve('tsx/cjs')],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    // Act: SIGKILL the moment it reports the version written, as a Lambda timeout or an OOM kill would.
    const written = await new Promise<string>((resolve, reject) => {
      child.on('message', (m: { written?: string; failed?: string }) => {
        if (m.written) {
          child.kill('SIGKILL');
          resolve(m.written);
        } else reject(new Error(`the training child failed: ${m.failed}\n${stderr}`));
      });
      child.on('exit', (code) => reject(new Error(`the training child exited with ${code} before writing a version\n${stderr}`)));
    });
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode);
      else child.once('exit', (_code, signal) => resolve(signal));
    });
    // Assess
    assert.equal(exit, 'SIGKILL');
    assert.deepEqual(await hashes(), good);
    assert.deepEqual(await store.listVersions(), [...versionsBefore, written].sort());
    await assertServesLastGood();
    // The orphaned version is whole: it can still be promoted by hand (and is not, here).
    assert.ok((await store.readModel(written)).length > 0);
  });

  it('a pointer to a missing version (NoSuchKey): warm detection keeps the last good model, a cold start answers 503', async () => {
    // Prepare: the pointer names a version whose model.json S3 does not have.
    await objects.put(`${PREFIX}current.json`, JSON.stringify({ version: 'v-missing', promotedAt: '2026-01-10T00:00:00.000Z', history: [] }));
    try {
      // Act + Assess
      await assertServesLastGood();
      const warn = appLog.records().find((r) => r.message === 'model refresh failed; serving the last good model');
      assert.ok(warn, appLog.lines.join('\n'));
      assert.equal(warn.level, 'warn');
      assert.deepEqual(warn.error, { name: 'VersionNotFoundError', message: `model version v-missing does not exist in s3://${s3.bucket}/${PREFIX}` });
      const cold = createDetectionApp({ store, refreshSeconds: 0, maxBodyBytes: 1_048_576 });
      const res = await cold.handle(detectEvent(eventsBody()));
      assert.equal(res.statusCode, 503);
      assert.match(JSON.parse(res.body).message, /^no usable model: model version v-missing does not exist/);
    } finally {
      await objects.put(`${PREFIX}current.json`, goodPointerText);
    }
    assert.deepEqual(await hashes(), good);
  });

  it('a corrupt model.json promoted by hand is never served; the last good model is', async () => {
    // Prepare: a version whose model.json was cut short, and the pointer moved to it.
    const text = await store.readModel(good.version!);
    await objects.put(`${PREFIX}v-corrupt/model.json`, text.slice(0, text.length >> 1));
    await store.promote('v-corrupt');
    try {
      // Act + Assess
      await assertServesLastGood();
      const warn = appLog.records().find((r) => r.message === 'model refresh failed; serving the last good model');
      assert.equal((warn?.error as { name: string }).name, 'ModelFormatError');
      assert.match((warn?.error as { message: string }).message, /^model document is not JSON/);
      const cold = createDetectionApp({ store, refreshSeconds: 0, maxBodyBytes: 1_048_576 });
      const res = await cold.handle(detectEvent(eventsBody()));
      assert.equal(res.statusCode, 503);
      assert.match(JSON.parse(res.body).message, /model document is not JSON/);
    } finally {
      await objects.put(`${PREFIX}current.json`, goodPointerText);
    }
    assert.deepEqual(await hashes(), good);
    await assertServesLastGood();
  });

  it('S3 reads failing (503 SlowDown) while serving: warm detection keeps answering and logs why', async () => {
    // Prepare: the app loads the model while S3 is healthy, then every read fails.
    let failing = false;
    const slow = faulty(objects, { get: () => (failing ? s3Error('SlowDown', 503, 'Please reduce your request rate.') : undefined) });
    const log = capturedLogger();
    const warm = createDetectionApp({ store: createModelStore(slow, PREFIX), refreshSeconds: 0, maxBodyBytes: 1_048_576, logger: log.logger });
    await assertServesLastGood(warm);
    failing = true;
    // Act + Assess
    await assertServesLastGood(warm);
    const warn = log.records().find((r) => r.message === 'model refresh failed; serving the last good model');
    assert.deepEqual(warn?.error, { name: 'SlowDown', message: 'Please reduce your request rate.' });
    assert.deepEqual(await hashes(), good);
  });
});
