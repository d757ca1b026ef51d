// The same ModelStore behaviour, checked against a local folder and against S3 (s3rver with the real SDK).
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  StoreError,
  VersionExistsError,
  VersionNotFoundError,
  checkVersionName,
  createModelStore,
  newVersionName,
  parsePointer,
  type ModelStore,
} from '../../handlers/store/model-store';
import { directoryObjects } from '../../handlers/store/directory';
import { s3Objects } from '../../handlers/store/s3';
import { startLoopbackS3, type LoopbackS3 } from '../support/s3rver';

const files = (tag: string) => ({
  'model.json': JSON.stringify({ tag }),
  'report.html': `<html>${tag}</html>`,
  'metrics.json': JSON.stringify({ rocAuc: 0.9 }),
});

interface Backend {
  name: string;
  open(): Promise<ModelStore>;
  close(): Promise<void>;
}

let folder = '';
let s3: LoopbackS3 | undefined;
const backends: Backend[] = [
  {
    name: 'local folder',
    async open() {
      folder = await mkdtemp(join(tmpdir(), 'models-'));
      return createModelStore(directoryObjects(folder), 'models/');
    },
    close: () => rm(folder, { recursive: true, force: true }),
  },
  {
    name: 'S3 (s3rver)',
    async open() {
      s3 = await startLoopbackS3();
      return createModelStore(s3Objects(s3.client, s3.bucket), 'models/');
    },
    close: async () => s3?.stop(),
  },
];

for (const backend of backends) {
  describe(`ModelStore over ${backend.name}`, () => {
    let store: ModelStore;
    beforeEach(async () => {
      store = await backend.open();
    });
    afterEach(() => backend.close());

    it('starts empty: no versions, no pointer', async () => {
      assert.deepEqual(await store.listVersions(), []);
      assert.equal(await store.readPointer(), null);
    });

    it('writes versions, lists them oldest first and reads each file back', async () => {
      await store.writeVersion('20260102T000000000Z-bbbbbb', files('b'));
      await store.writeVersion('20260101T000000000Z-aaaaaa', files('a'));
      assert.deepEqual(await store.listVersions(), ['20260101T000000000Z-aaaaaa', '20260102T000000000Z-bbbbbb']);
      assert.equal(await store.readModel('20260101T000000000Z-aaaaaa'), '{"tag":"a"}');
      assert.equal(await store.readFile('20260102T000000000Z-bbbbbb', 'report.html'), '<html>b</html>');
    });

    it('refuses to overwrite a version and leaves the first one intact', async () => {
      // s3rver ignores If-None-Match, so on S3 this proves the existence check before the write; real S3 also
      // enforces the conditional put, which closes the race between check and write.
      await store.writeVersion('v1', files('first'));
      await assert.rejects(store.writeVersion('v1', files('second')), VersionExistsError);
      assert.equal(await store.readModel('v1'), '{"tag":"first"}');
      assert.equal(await store.readFile('v1', 'report.html'), '<html>first</html>');
    });

    it('reports a missing version by name', async () => {
      await assert.rejects(store.readModel('v9'), (err: unknown) => {
        assert.ok(err instanceof VersionNotFoundError);
        assert.match(err.message, /v9/);
        return true;
      });
      await assert.rejects(store.promote('v9'), VersionNotFoundError);
    });

    it('promotes, remembers the replaced version and rolls back to it, twice', async () => {
      for (const v of ['v1', 'v2', 'v3']) await store.writeVersion(v, files(v));
      await store.promote('v1', new Date('2026-01-01T00:00:00Z'));
      await store.promote('v2');
      const p3 = await store.promote('v3');
      assert.deepEqual([p3.version, p3.history], ['v3', ['v2', 'v1']]);
      const back = await store.rollback(new Date('2026-01-05T00:00:00Z'));
      assert.deepEqual(back, { version: 'v2', promotedAt: '2026-01-05T00:00:00.000Z', history: ['v1'] });
      assert.deepEqual(await store.readPointer(), back);
      assert.equal((await store.rollback()).version, 'v1');
      await assert.rejects(store.rollback(), /no earlier current version/);
      // Nothing was deleted.
      assert.deepEqual(await store.listVersions(), ['v1', 'v2', 'v3']);
    });

    it('promoting the current version again changes nothing', async () => {
      await store.writeVersion('v1', files('v1'));
      const first = await store.promote('v1', new Date('2026-01-01T00:00:00Z'));
      assert.deepEqual(await store.promote('v1', new Date('2026-02-01T00:00:00Z')), first);
    });

    it('rollback with no pointer says there is nothing to roll back', async () => {
      await assert.rejects(store.rollback(), (err: unknown) => err instanceof StoreError && /nothing to roll back/.test(err.message));
    });

    it('refuses version names that could leave the prefix', async () => {
      await assert.rejects(store.writeVersion('../escape', files('x')), /not a valid model version name/);
      await assert.rejects(store.readModel('a/b'), /not a valid model version name/);
    });
  });
}

describe('ModelStore details', () => {
  it('does not list a version whose model.json was never written (an interrupted write)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'models-'));
    try {
      const objects = directoryObjects(dir);
      await objects.put('models/v0/report.html', '<html></html>');
      const store = createModelStore(objects);
      await store.writeVersion('v1', { 'model.json': '{}' });
      assert.deepEqual(await store.listVersions(), ['v1']);
      // Only the two model folders exist, no temporary files are left behind.
      assert.deepEqual((await readdir(join(dir, 'models'))).sort(), ['v0', 'v1']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a corrupt pointer with a message naming the store', async () => {
    const s3 = await startLoopbackS3();
    try {
      await s3.client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: 'models/current.json', Body: Buffer.from('{"vers') }),
      );
      const store = createModelStore(s3Objects(s3.client, s3.bucket));
      await assert.rejects(store.readPointer(), /pointer in s3:\/\/models-test\/models\/ is not JSON/);
    } finally {
      await s3.stop();
    }
  });

  it('names versions by UTC time to the millisecond, sortable, with a random suffix', () => {
    const a = newVersionName(new Date('2026-01-05T13:04:05.123Z'), 'abc123');
    assert.equal(a, '20260105T130405123Z-abc123');
    const b = newVersionName(new Date('2026-01-05T13:04:05.124Z'), '000000');
    assert.ok(a < b);
    assert.notEqual(newVersionName(new Date(0)), newVersionName(new Date(0)));
    assert.equal(checkVersionName(a), a);
  });

  it('parses a pointer and tolerates a missing history', () => {
    assert.deepEqual(parsePointer('{"version":"v1"}', 'x'), { version: 'v1', promotedAt: '', history: [] });
    assert.throws(() => parsePointer('{"version":"../x"}', 'x'), /no valid "version"/);
    assert.throws(() => parsePointer('null', 'x'), /no valid "version"/);
  });
});

describe('S3 objects without bucket-wide listing', () => {
  // S3 answers 403 for a missing key when the caller may not list the whole bucket; the store then lists that
  // one key (allowed under the model prefix) to tell "missing" from "forbidden".
  const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  const clientWith = (listed: string[]) => ({
    sent: [] as string[],
    async send(command: { constructor: { name: string }; input: { Prefix?: string } }) {
      this.sent.push(command.constructor.name);
      if (command.constructor.name === 'ListObjectsV2Command') {
        return { Contents: listed.filter((k) => k.startsWith(command.input.Prefix ?? '')).map((Key) => ({ Key })) };
      }
      throw denied;
    },
  });

  it('treats a 403 as missing when a listing of that key finds nothing', async () => {
    const client = clientWith([]);
    const objects = s3Objects(client as never, 'bucket');
    assert.equal(await objects.get('models/current.json'), null);
    assert.equal(await objects.exists('models/v1/model.json'), false);
    assert.deepEqual(client.sent, ['GetObjectCommand', 'ListObjectsV2Command', 'HeadObjectCommand', 'ListObjectsV2Command']);
  });

  it('keeps the 403 when the key exists, so a real permission problem is not hidden', async () => {
    const objects = s3Objects(clientWith(['models/current.json']) as never, 'bucket');
    await assert.rejects(objects.get('models/current.json'), /Access Denied/);
    await assert.rejects(objects.exists('models/current.json'), /Access Denied/);
  });
});
