// `feedback add | list` through the whole CLI as a user types it, in a temporary folder and on S3 (s3rver).
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { feedbackLine } from '../../handlers/cli/feedback';
import { EXIT_BAD_INPUT, EXIT_OK, main } from '../../handlers/cli/index';
import { loopbackAwsEnvironment, startLoopbackS3 } from '../support/s3rver';

const FIXTURES = join(__dirname, '..', 'fixtures', 'feedback');
const ALICE = 'arn:aws:iam::123456789012:user/alice';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

async function withFolder(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'feedback-cli-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const addAttack = (where: string[]) => [
  'feedback', 'add', ...where,
  '--entity', ALICE,
  '--window', '2026-01-05T14:20:00+01:00',
  '--log-type', 'AWS.CloudTrail',
  '--label', 'attack',
  '--scenario', 'privilege-escalation',
  '--note', 'created an admin user at 3 am',
  '--author', 'soc-analyst',
];
const addBenign = (where: string[]) => [
  'feedback', 'add', ...where,
  '--entity', 'bob@example.com',
  '--window', '2026-01-05T08:00:00Z',
  '--log-type', 'Okta.SystemLog',
  '--label', 'benign',
];

describe('feedback command', () => {
  it('records verdicts in a folder and lists them', async () => {
    await withFolder(async (dir) => {
      // Act
      const first = await cli(addAttack(['--dir', dir]));
      const second = await cli(addBenign(['--dir', dir]));
      const listed = await cli(['feedback', 'list', '--dir', dir]);
      // Assess
      assert.equal(first.code, EXIT_OK, first.stderr);
      assert.match(
        first.stdout,
        /^recorded attack verdict on arn:aws:iam::123456789012:user\/alice at 2026-01-05T13:20:00\.000Z \(AWS\.CloudTrail\) as feedback\/\d{8}T\d{9}Z-[0-9a-f]{8}\.json\n$/,
      );
      assert.equal(second.code, EXIT_OK, second.stderr);
      assert.equal((await readdir(join(dir, 'feedback'))).length, 2);
      assert.equal(listed.code, EXIT_OK);
      const lines = listed.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 2);
      assert.match(lines[0], /^\S+Z {2}attack {2}AWS\.CloudTrail {2}arn:aws:iam::123456789012:user\/alice {2}2026-01-05T13:20:00\.000Z {2}scenario=privilege-escalation {2}by soc-analyst {2}"created an admin user at 3 am"$/);
      assert.match(lines[1], /^\S+Z {2}benign {2}Okta\.SystemLog {2}bob@example\.com {2}2026-01-05T08:00:00\.000Z$/);

      const okta = await cli(['feedback', 'list', '--dir', dir, '--log-type', 'Okta.SystemLog', '--json']);
      const records = JSON.parse(okta.stdout) as Record<string, unknown>[];
      assert.equal(records.length, 1);
      assert.deepEqual({ ...records[0], createdAt: 'x' }, {
        logType: 'Okta.SystemLog',
        entity: 'bob@example.com',
        windowStart: '2026-01-05T08:00:00.000Z',
        label: 0,
        createdAt: 'x',
      });
      assert.equal((await cli(['feedback', 'list', '--dir', dir, '--entity', 'carol'])).stdout, `no analyst feedback in ${dir}/feedback/\n`);
    });
  });

  it('lists the readable records and names the unreadable ones on stderr', async () => {
    await withFolder(async (dir) => {
      await mkdir(join(dir, 'feedback'));
      await copyFile(join(FIXTURES, 'attack.json'), join(dir, 'feedback', 'a.json'));
      await copyFile(join(FIXTURES, 'truncated.json'), join(dir, 'feedback', 'b.json'));
      const listed = await cli(['feedback', 'list', '--dir', dir]);
      assert.equal(listed.code, EXIT_OK);
      assert.equal(
        listed.stdout,
        '2026-01-06T09:00:00.000Z  attack  AWS.CloudTrail  arn:aws:iam::123456789012:user/alice  2026-01-05T13:20:00.000Z' +
          '  scenario=access-key-exfiltration  by soc-analyst  "keys used from an unknown ASN"\n',
      );
      assert.equal(listed.stderr, 'skipped unreadable feedback feedback/b.json: not JSON\n');
    });
  });

  it('refuses bad input with exit code 2, a message naming the flag, and nothing written', async () => {
    await withFolder(async (dir) => {
      const badWindow = await cli([...addBenign(['--dir', dir]).slice(0, -2), '--label', 'benign', '--window', 'yesterday']);
      assert.equal(badWindow.code, EXIT_BAD_INPUT);
      assert.equal(badWindow.stderr, 'panther-anomaly: --window: must be an ISO-8601 time, e.g. 2026-01-05T13:00:00Z\n');

      const badLabel = await cli([...addBenign(['--dir', dir]).slice(0, -2), '--label', 'maybe']);
      assert.equal(badLabel.code, EXIT_BAD_INPUT);
      assert.match(badLabel.stderr, /'--label <verdict>' argument 'maybe' is invalid\. Allowed choices are attack, benign\./);

      const blank = await cli(['feedback', 'add', '--dir', dir, '--entity', ' ', '--window', '2026-01-05T08:00:00Z', '--log-type', 'T', '--label', 'benign']);
      assert.equal(blank.code, EXIT_BAD_INPUT);
      assert.equal(blank.stderr, 'panther-anomaly: --entity: must not be empty\n');

      const noEntity = await cli(['feedback', 'add', '--dir', dir, '--window', '2026-01-05T08:00:00Z', '--log-type', 'T', '--label', 'benign']);
      assert.equal(noEntity.code, EXIT_BAD_INPUT);
      assert.match(noEntity.stderr, /required option '--entity <entity>' not specified/);

      const both = await cli(addBenign(['--dir', dir, '--bucket', 'b']));
      assert.equal(both.code, EXIT_BAD_INPUT);
      assert.equal(both.stderr, 'panther-anomaly: give either --bucket or --dir, not both\n');

      assert.deepEqual(await readdir(dir), []);
    });
  });

  it('records in and lists from a deployed bucket under models/', async () => {
    const s3 = await startLoopbackS3('deployed-models');
    const saved = { ...process.env };
    Object.assign(process.env, loopbackAwsEnvironment(s3.endpoint));
    try {
      const added = await cli(addAttack(['--bucket', s3.bucket]));
      assert.equal(added.code, EXIT_OK, added.stderr);
      assert.match(added.stdout, / as models\/feedback\/\d{8}T\d{9}Z-[0-9a-f]{8}\.json\n$/);
      const listed = await cli(['feedback', 'list', '--bucket', s3.bucket, '--json']);
      const [record] = JSON.parse(listed.stdout) as { entity: string; label: number; windowStart: string }[];
      assert.deepEqual([record.entity, record.label, record.windowStart], [ALICE, 1, '2026-01-05T13:20:00.000Z']);
      // Another prefix holds none of them.
      assert.equal((await cli(['feedback', 'list', '--bucket', s3.bucket, '--prefix', 'other/'])).stdout, 'no analyst feedback in s3://deployed-models/other/feedback/\n');
    } finally {
      process.env = saved;
      await s3.stop();
    }
  });

  it('formats a record on one line, optional parts only when present', async () => {
    const record = JSON.parse(await readFile(join(FIXTURES, 'benign.json'), 'utf8'));
    assert.equal(feedbackLine(record), '2026-01-06T10:30:00.000Z  benign  Okta.SystemLog  bob@example.com  2026-01-05T13:00:00.000Z');
    assert.equal(feedbackLine({ ...record, label: 1, author: 'al' }), '2026-01-06T10:30:00.000Z  attack  Okta.SystemLog  bob@example.com  2026-01-05T13:00:00.000Z  by al');
  });
});
