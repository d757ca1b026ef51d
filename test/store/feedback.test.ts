// The feedback store: validation, keys, and round trips on a local folder and on S3 (s3rver), with unreadable
// records skipped and counted rather than thrown.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../handlers/engine/errors';
import { directoryObjects } from '../../handlers/store/directory';
import { createFeedbackStore, feedbackKey, parseFeedback, type FeedbackInput } from '../../handlers/store/feedback';
import { VersionExistsError, type ObjectStore } from '../../handlers/store/model-store';
import { s3Objects } from '../../handlers/store/s3';
import { startLoopbackS3 } from '../support/s3rver';

const FIXTURES = join(__dirname, '..', 'fixtures', 'feedback');
const fixture = async (name: string): Promise<unknown> => JSON.parse(await readFile(join(FIXTURES, name), 'utf8'));

const attack: FeedbackInput = {
  logType: 'AWS.CloudTrail',
  entity: 'arn:aws:iam::123456789012:user/alice',
  windowStart: '2026-01-05T13:20:00Z',
  label: 1,
  scenario: 'privilege-escalation',
  author: 'soc-analyst',
};
const benign: FeedbackInput = { logType: 'Okta.SystemLog', entity: 'bob@example.com', windowStart: '2026-01-05T08:00:00Z', label: 0 };

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    return err.field;
  }
  assert.fail('expected the record to be refused');
}

async function withFolder(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'feedback-store-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('feedback records', () => {
  it('accepts a full record, turns its times to UTC and drops fields it does not know', async () => {
    // Prepare
    const json = await fixture('attack.json');
    // Act
    const record = parseFeedback(json);
    // Assess: 14:20 at +01:00 is 13:20 UTC; "ticket" is not part of a record.
    assert.deepEqual(record, {
      logType: 'AWS.CloudTrail',
      entity: 'arn:aws:iam::123456789012:user/alice',
      windowStart: '2026-01-05T13:20:00.000Z',
      label: 1,
      scenario: 'access-key-exfiltration',
      note: 'keys used from an unknown ASN',
      author: 'soc-analyst',
      createdAt: '2026-01-06T09:00:00.000Z',
    });
    assert.deepEqual(parseFeedback(await fixture('benign.json')), {
      logType: 'Okta.SystemLog',
      entity: 'bob@example.com',
      windowStart: '2026-01-05T13:00:00.000Z',
      label: 0,
      createdAt: '2026-01-06T10:30:00.000Z',
    });
  });

  for (const [name, change, field] of [
    ['a label word instead of 1 or 0', { label: 'attack' }, 'label'],
    ['a label of 2', { label: 2 }, 'label'],
    ['a blank entity', { entity: '   ' }, 'entity'],
    ['no log type', { logType: undefined }, 'logType'],
    ['a window that is no time', { windowStart: 'yesterday' }, 'windowStart'],
    ['a date without a time', { windowStart: '2026-01-05' }, 'windowStart'],
    ['a numeric scenario', { scenario: 7 }, 'scenario'],
    ['an empty author', { author: '' }, 'author'],
    ['no createdAt', { createdAt: undefined }, 'createdAt'],
  ] as const) {
    it(`refuses ${name}`, async () => {
      const good = (await fixture('benign.json')) as Record<string, unknown>;
      assert.equal(fieldOf(() => parseFeedback({ ...good, ...change })), field);
    });
  }

  it('refuses the bad fixtures and a record that is not an object', async () => {
    assert.equal(fieldOf(() => parseFeedback(null)), '(root)');
    assert.equal(fieldOf(() => parseFeedback([])), '(root)');
    assert.throws(() => parseFeedback({ label: 1 }), InputError);
    const invalid = await fixture('invalid-label.json');
    assert.throws(() => parseFeedback(invalid), /feedback label: must be 1 \(attack\) or 0 \(benign\)/);
    const missing = await fixture('missing-entity.json');
    assert.throws(() => parseFeedback(missing), /feedback entity:/);
  });

  it('keys records by time to the millisecond plus a suffix, under <prefix>feedback/', () => {
    const at = new Date('2026-01-05T13:20:01.002Z');
    assert.equal(feedbackKey('models/', at, 'abcd0123'), 'models/feedback/20260105T132001002Z-abcd0123.json');
    assert.equal(feedbackKey('', at, 'ff'), 'feedback/20260105T132001002Z-ff.json');
    assert.match(feedbackKey('models/', at), /^models\/feedback\/20260105T132001002Z-[0-9a-f]{8}\.json$/);
    assert.notEqual(feedbackKey('models/', at), feedbackKey('models/', at));
  });
});

describe('feedback store on a local folder', () => {
  it('adds and lists records oldest first, each in its own file', async () => {
    await withFolder(async (dir) => {
      // Prepare
      const store = createFeedbackStore(directoryObjects(dir), '');
      // Act: the later verdict is written first.
      const second = await store.add(benign, new Date('2026-01-06T11:00:00Z'));
      const first = await store.add(attack, new Date('2026-01-06T10:00:00Z'));
      const listing = await store.list();
      // Assess
      assert.deepEqual(listing, { records: [first.record, second.record], skipped: [] });
      assert.deepEqual(first.record, { ...attack, windowStart: '2026-01-05T13:20:00.000Z', createdAt: '2026-01-06T10:00:00.000Z' });
      assert.match(first.key, /^feedback\/20260106T100000000Z-[0-9a-f]{8}\.json$/);
      assert.deepEqual((await readdir(join(dir, 'feedback'))).sort(), [first.key, second.key].map((k) => k.slice('feedback/'.length)).sort());
      assert.deepEqual(JSON.parse(await readFile(join(dir, first.key), 'utf8')), first.record);
    });
  });

  it('keeps two verdicts written in the same millisecond', async () => {
    await withFolder(async (dir) => {
      const store = createFeedbackStore(directoryObjects(dir), 'models/');
      const at = new Date('2026-01-06T10:00:00Z');
      const [a, b] = await Promise.all([store.add(attack, at), store.add({ ...attack, label: 0 }, at)]);
      assert.notEqual(a.key, b.key);
      const { records } = await store.list();
      assert.deepEqual(records.map((r) => r.label).sort(), [0, 1]);
    });
  });

  it('skips and names unreadable records instead of failing', async () => {
    await withFolder(async (dir) => {
      // Prepare: one good record beside a truncated file, a wrong label and a missing entity.
      const store = createFeedbackStore(directoryObjects(dir), '');
      const { record } = await store.add(benign, new Date('2026-01-06T10:00:00Z'));
      await mkdir(join(dir, 'feedback'), { recursive: true });
      for (const name of ['truncated.json', 'invalid-label.json', 'missing-entity.json']) {
        await copyFile(join(FIXTURES, name), join(dir, 'feedback', name));
      }
      // Act
      const listing = await store.list();
      // Assess
      assert.deepEqual(listing.records, [record]);
      assert.deepEqual(
        listing.skipped.map((s) => [s.key, s.reason.split(':')[0]]),
        [
          ['feedback/invalid-label.json', 'feedback label'],
          ['feedback/missing-entity.json', 'feedback entity'],
          ['feedback/truncated.json', 'not JSON'],
        ],
      );
    });
  });

  it('lists nothing in an empty or missing folder, and ignores model files', async () => {
    await withFolder(async (dir) => {
      assert.deepEqual(await createFeedbackStore(directoryObjects(join(dir, 'absent')), '').list(), { records: [], skipped: [] });
      const objects = directoryObjects(dir);
      await objects.put('models/v1/model.json', '{}');
      await objects.put('models/current.json', '{"version":"v1"}');
      assert.deepEqual(await createFeedbackStore(objects, 'models/').list(), { records: [], skipped: [] });
    });
  });

  it('tries a fresh key when one is taken, and refuses to overwrite', async () => {
    await withFolder(async (dir) => {
      // Prepare: a store whose first write finds its key taken, as when another analyst wrote it.
      const inner = directoryObjects(dir);
      const puts: string[] = [];
      const objects: ObjectStore = {
        ...inner,
        async put(key, body, options) {
          puts.push(key);
          assert.equal(options?.ifAbsent, true);
          if (puts.length === 1) throw new VersionExistsError('feedback');
          return inner.put(key, body, options);
        },
      };
      // Act
      const { key } = await createFeedbackStore(objects, '').add(attack, new Date('2026-01-06T10:00:00Z'));
      // Assess
      assert.equal(puts.length, 2);
      assert.notEqual(puts[0], puts[1]);
      assert.equal(key, puts[1]);
      await assert.rejects(inner.put(key, '{}', { ifAbsent: true }), VersionExistsError);
    });
  });

  it('refuses an invalid verdict before writing anything', async () => {
    await withFolder(async (dir) => {
      const store = createFeedbackStore(directoryObjects(dir), '');
      await assert.rejects(store.add({ ...attack, windowStart: 'last Tuesday' }), (err: unknown) => err instanceof InputError && err.field === 'windowStart');
      assert.deepEqual(await directoryObjects(dir).list(''), []);
    });
  });
});

describe('feedback store on S3 (s3rver)', () => {
  it('round-trips records under models/feedback/ and skips a corrupt object', async () => {
    const s3 = await startLoopbackS3('feedback-test');
    try {
      // Prepare
      const objects = s3Objects(s3.client, s3.bucket);
      const store = createFeedbackStore(objects, 'models/');
      // Act
      const a = await store.add(attack, new Date('2026-01-06T10:00:00Z'));
      const b = await store.add(benign, new Date('2026-01-06T10:00:00.001Z'));
      await objects.put('models/feedback/20260106T120000000Z-00000000.json', 'not json at all');
      await objects.put('models/v1/model.json', '{}');
      const listing = await store.list();
      // Assess
      assert.match(a.key, /^models\/feedback\/20260106T100000000Z-[0-9a-f]{8}\.json$/);
      assert.deepEqual(listing.records, [a.record, b.record]);
      assert.deepEqual(listing.skipped, [{ key: 'models/feedback/20260106T120000000Z-00000000.json', reason: 'not JSON' }]);
      assert.equal(store.location, 's3://feedback-test/models/feedback/');
    } finally {
      await s3.stop();
    }
  });
});
