// The panther-anomaly CLI end to end on small files: each command, --help, and each error with its exit code.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_BAD_INPUT, EXIT_FAILURE, exitFor, main } from '../../handlers/cli/index';
import { InputError, ModelFormatError } from '../../handlers/engine/errors';
import { parseModel } from '../../handlers/engine/model-document';

const root = join(__dirname, '..', '..');
const cliSource = join(root, 'handlers', 'cli', 'index.ts');
const fixtures = join(root, 'test', 'fixtures', 'csv');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would, in its own process (TypeScript sources through tsx). */
function cli(args: string[], cwd: string): Run {
  const result = spawnSync(process.execPath, ['--import', require.resolve('tsx'), cliSource, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the same program in this process: quicker, for the table of input errors. */
async function inProcess(args: string[], cwd: string): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const absolute = args.map((a) => (a.startsWith('--') || !/\.(csv|json|jsonl|html)$/.test(a) ? a : join(cwd, a)));
  const code = await main(['--quiet', ...absolute], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  // Messages name files as given; strip the folder so expectations read like what a user sees.
  return { code, stdout: stdout.split(`${cwd}/`).join(''), stderr: stderr.split(`${cwd}/`).join('') };
}

describe('panther-anomaly CLI', function () {
  this.timeout(120_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'panther-anomaly-cli-'));
    for (const name of ['train-small.csv', 'bad-number.csv', 'missing-window.csv', 'labeled.csv']) copyFileSync(join(fixtures, name), join(dir, name));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help for the program and every command', () => {
    const top = cli(['--help'], dir);
    assert.equal(top.code, 0);
    for (const command of ['simulate', 'features', 'train', 'score', 'evaluate', 'models']) assert.match(top.stdout, new RegExp(`^  ${command} `, 'm'));
    const help = cli(['score', '--help'], dir);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: panther-anomaly score \[options\]/);
    assert.match(help.stdout, /--model <model\.json>/);
    assert.match(help.stdout, /--rows <rows\.csv>/);
  });

  it('simulates events with labels beside them, aggregates them into labelled rows, trains, scores and evaluates', () => {
    const sim = cli(['simulate', '--days', '4', '--principals', '6', '--seed', '3', '--out', 'events.jsonl'], dir);
    assert.equal(sim.code, 0, sim.stderr);
    assert.match(sim.stdout, /^wrote [\d,]+ events to events\.jsonl and \d+ labelled windows \(\d+ scenarios\) to events\.labels\.jsonl\n$/);
    const firstEvent = JSON.parse(readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n')[0]);
    assert.equal(typeof firstEvent.p_log_type, 'string');
    const label = JSON.parse(readFileSync(join(dir, 'events.labels.jsonl'), 'utf8').split('\n')[0]);
    assert.deepEqual(Object.keys(label).sort(), ['entity', 'logType', 'scenario', 'windowStart']);

    const features = cli(['features', '--events', 'events.jsonl', '--log-type', 'AWS.CloudTrail', '--out', 'rows.csv'], dir);
    assert.equal(features.code, 0, features.stderr);
    assert.match(features.stderr, /read [\d,]+ events from events\.jsonl/);
    const csv = readFileSync(join(dir, 'rows.csv'), 'utf8').split('\n');
    assert.match(csv[0], /^entity,window_start,label,scenario,events,/);

    const train = cli(['train', '--events', 'events.jsonl', '--out', 'model.json', '--report', 'report.html'], dir);
    assert.equal(train.code, 0, train.stderr);
    assert.match(train.stderr, /training AWS\.CloudTrail: fit/);
    const document = parseModel(readFileSync(join(dir, 'model.json'), 'utf8'));
    assert.deepEqual(document.models.map((m) => m.logType).sort(), ['AWS.CloudTrail', 'Okta.SystemLog']);
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<svg class="chart"/);

    const score = cli(['score', '--model', 'model.json', '--events', 'events.jsonl', '--out', 'scores.csv'], dir);
    assert.equal(score.code, 0, score.stderr);
    const scores = readFileSync(join(dir, 'scores.csv'), 'utf8').trimEnd().split('\n');
    assert.equal(scores[0], 'entity,window_start,score,anomaly,top_features');
    const cloudTrailRows = csv.length - 2;
    assert.ok(scores.length - 1 > cloudTrailRows, 'events score the windows of both log types');
    assert.match(scores[1], /^[^,]+,\d{4}-\d\d-\d\dT[\d:.]+Z,[\d.e-]+,[01],\w+:[+-]\d+\.\d(;\w+:[+-]\d+\.\d){2}$/);

    const evaluate = cli(['evaluate', '--model', 'model.json', '--events', 'events.jsonl', '--json'], dir);
    assert.equal(evaluate.code, 0, evaluate.stderr);
    const metrics = JSON.parse(evaluate.stdout);
    assert.equal(metrics.modelVersion, document.version);
    assert.equal(typeof metrics.logTypes['AWS.CloudTrail'].rocAuc, 'number');
  });

  it('trains on a feature CSV, scores one line per row, and evaluates per scenario', () => {
    const train = cli(['train', '--rows', 'train-small.csv', '--out', 'csv-model.json'], dir);
    assert.equal(train.code, 0, train.stderr);
    assert.match(train.stdout, /^csv: held-out \d+ windows \(\d+ attacks\), ROC-AUC /);
    const document = parseModel(readFileSync(join(dir, 'csv-model.json'), 'utf8'));
    assert.equal(document.models[0].logType, 'csv');
    assert.deepEqual(document.models[0].featureNames, ['events', 'distinct_ips', 'error_ratio']);

    const score = cli(['score', '--model', 'csv-model.json', '--rows', 'train-small.csv', '--top', '2'], dir);
    assert.equal(score.code, 0, score.stderr);
    const lines = score.stdout.trimEnd().split('\n');
    const input = readFileSync(join(dir, 'train-small.csv'), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, input.length);
    // Hostile entity names come back quoted as CSV, in input order.
    assert.ok(lines.some((l) => l.startsWith('"<script>alert(""x"")</script>",')));
    assert.equal(lines[1].split(',')[0], input[1].split(',')[0]);

    const evaluate = cli(['evaluate', '--model', 'csv-model.json', '--rows', 'train-small.csv'], dir);
    assert.equal(evaluate.code, 0, evaluate.stderr);
    assert.match(evaluate.stdout, /^csv {2}\(threshold /);
    assert.match(evaluate.stdout, /ROC-AUC +\d\.\d{4}/);
    assert.match(evaluate.stdout, /mass_download +\d+ +\d\.\d{4}/);
    assert.match(evaluate.stdout, /new_ips +\d+/);
  });

  it('scores rows whose window_start is not an ISO time and echoes each one as given', async () => {
    // Prepare: flows numbered, not timed (as many public data sets are), every entity seen once.
    const lines = ['entity,window_start,bytes,flag'];
    for (let i = 0; i < 60; i++) lines.push(`host-${i},${i % 2 === 0 ? i : `flow "${i}", a`},${1000 + ((i * 37) % 200)},0`);
    lines.push('host-x,flow-x,90000000,1');
    const input = lines.map((l, i) => (i === 0 ? l : l.replace(/,flow "(\d+)", a,/, ',"flow ""$1"", a",')));
    writeFileSync(join(dir, 'untimed.csv'), `${input.join('\n')}\n`);
    assert.equal((await inProcess(['train', '--rows', 'untimed.csv', '--out', 'untimed-model.json'], dir)).code, 0);

    // Act
    const score = await inProcess(['score', '--model', 'untimed-model.json', '--rows', 'untimed.csv', '--out', 'untimed-scores.csv'], dir);

    // Assess: one line per row, keyed exactly as the input, the planted outlier flagged and few others.
    assert.equal(score.code, 0, score.stderr);
    const out = readFileSync(join(dir, 'untimed-scores.csv'), 'utf8').trimEnd().split('\n');
    assert.equal(out.length, input.length);
    // entity,window_start then score,anomaly,top_features (which has no comma) against the input's two features.
    for (let i = 1; i < input.length; i++) assert.equal(out[i].split(',').slice(0, -3).join(','), input[i].split(',').slice(0, -2).join(','));
    const flagged = out.slice(1).filter((line) => line.split(',').at(-2) === '1');
    assert.ok(flagged.some((line) => line.startsWith('host-x,flow-x,')), out.slice(-3).join('\n'));
    assert.ok(flagged.length <= 3, `${flagged.length} of 61 rows flagged`);
  });

  it('exits 2 naming file, line and column of a non-numeric value', () => {
    const run = cli(['train', '--rows', 'bad-number.csv', '--out', 'm.json'], dir);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim().split('\n').pop(), 'panther-anomaly: bad-number.csv:3:4: column "events": "abc" is not a number');
    assert.equal(existsSync(join(dir, 'm.json')), false);
  });

  it('exits 2 on a usage error, after commander names it', () => {
    const run = cli(['train', '--rows', 'x.csv', '--out', 'm.json', '--bogus'], dir);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown option '--bogus'/);
  });

  describe('input errors', () => {
    before(async () => {
      const trained = await inProcess(['train', '--rows', 'train-small.csv', '--out', 'errors-model.json', '--quiet'], dir);
      assert.equal(trained.code, 0, trained.stderr);
      writeFileSync(join(dir, 'other-features.csv'), 'entity,window_start,events,distinct_ips\na,2026-01-05T00:00:00Z,1,2\n');
      writeFileSync(join(dir, 'extra-feature.csv'), 'entity,window_start,events,distinct_ips,error_ratio,bytes\na,2026-01-05T00:00:00Z,1,2,0,9\n');
      writeFileSync(join(dir, 'bad-value.csv'), 'entity,window_start,label,events,distinct_ips,error_ratio\na,2026-01-05T00:00:00Z,0,1,2,0\nb,2026-01-05T00:00:00Z,1,1,2x,0\n');
      writeFileSync(join(dir, 'unlabelled.csv'), 'entity,window_start,events,distinct_ips,error_ratio\na,2026-01-05T00:00:00Z,1,2,0\n');
      writeFileSync(join(dir, 'broken.jsonl'), '{"p_log_type":"AWS.CloudTrail"}\n{"p_log_type": nope}\n');
      writeFileSync(join(dir, 'corrupt-model.json'), '{"schemaVersion": 99, "kind": "panther-anomaly-model"}');
      writeFileSync(join(dir, 'bad-spec.json'), '[{"logType": "X", "entity": [], "windowMinutes": 7, "features": []}]');
    });

    const cases: { name: string; args: string[]; message: string | RegExp }[] = [
      { name: 'a missing key column', args: ['train', '--rows', 'missing-window.csv', '--out', 'x.json'], message: /^panther-anomaly: missing-window\.csv:1: missing column "window_start"/ },
      { name: 'a non-numeric value', args: ['evaluate', '--model', 'errors-model.json', '--rows', 'bad-value.csv'], message: 'panther-anomaly: bad-value.csv:3:5: column "distinct_ips": "2x" is not a number\n' },
      { name: 'a model feature the file lacks', args: ['score', '--model', 'errors-model.json', '--rows', 'other-features.csv'], message: 'panther-anomaly: other-features.csv:1: feature set differs from the model: missing column "error_ratio"\n' },
      { name: 'a column the model does not know', args: ['score', '--model', 'errors-model.json', '--rows', 'extra-feature.csv'], message: /^panther-anomaly: extra-feature\.csv:1:6: feature set differs from the model: column "bytes" is not one of the model's features/ },
      { name: 'a missing file', args: ['train', '--rows', 'nowhere.csv', '--out', 'x.json'], message: 'panther-anomaly: nowhere.csv: no such file\n' },
      { name: 'a corrupt model', args: ['score', '--model', 'corrupt-model.json', '--rows', 'train-small.csv'], message: /^panther-anomaly: corrupt-model\.json: schemaVersion: this build reads schema version 1, the document has 99\n$/ },
      { name: 'a line of events that is not JSON', args: ['features', '--events', 'broken.jsonl', '--out', 'x.csv'], message: "panther-anomaly: broken.jsonl:2: not valid JSON: Unexpected token 'o'\n" },
      { name: 'an invalid feature spec', args: ['features', '--events', 'broken.jsonl', '--spec', 'bad-spec.json', '--out', 'x.csv'], message: /^panther-anomaly: bad-spec\.json: specs\[0\]\./ },
      { name: 'both --rows and --events', args: ['train', '--rows', 'train-small.csv', '--events', 'e.jsonl', '--out', 'x.json'], message: /cannot be used with option/ },
      { name: 'a labels file given with a feature CSV', args: ['train', '--rows', 'train-small.csv', '--labels', 'l.jsonl', '--out', 'x.json'], message: 'panther-anomaly: --labels applies to --events; a feature CSV carries its own features and label column\n' },
      { name: 'neither --rows nor --events', args: ['score', '--model', 'errors-model.json'], message: 'panther-anomaly: give --rows <file.csv> or --events <file.jsonl>\n' },
      { name: 'evaluating rows without labels', args: ['evaluate', '--model', 'errors-model.json', '--rows', 'unlabelled.csv'], message: 'panther-anomaly: unlabelled.csv: no labels: evaluate needs a "label" column (1 attack, 0 benign)\n' },
      { name: 'scoring events with a model trained on a CSV', args: ['score', '--model', 'errors-model.json', '--events', 'broken.jsonl'], message: /trained on a feature CSV and has no feature spec; score it with --rows/ },
      { name: 'an unknown scenario', args: ['simulate', '--out', 'x.jsonl', '--scenarios', 'alien_invasion'], message: /^panther-anomaly: --scenarios: unknown scenario "alien_invasion"; known: credential_theft,/ },
      { name: 'a bad option value', args: ['simulate', '--out', 'x.jsonl', '--days', 'zero'], message: /option '--days <n>' argument 'zero' is invalid\. must be a positive integer\./ },
    ];
    for (const c of cases) {
      it(`exits 2 on ${c.name}`, async () => {
        const run = await inProcess(c.args, dir);
        assert.equal(run.code, EXIT_BAD_INPUT, run.stderr);
        if (typeof c.message === 'string') assert.equal(run.stderr, c.message);
        else assert.match(run.stderr, c.message);
      });
    }
  });

  it('maps input and model errors to exit 2 with their message, anything else to exit 1 with its stack', () => {
    assert.deepEqual(exitFor(new InputError('rows.csv:2:3: bad')), { code: 2, message: 'panther-anomaly: rows.csv:2:3: bad\n' });
    assert.deepEqual(exitFor(new ModelFormatError('weights: expected array')), { code: 2, message: 'panther-anomaly: weights: expected array\n' });
    const unexpected = exitFor(new TypeError('x is undefined'));
    assert.equal(unexpected.code, EXIT_FAILURE);
    assert.match(unexpected.message, /^panther-anomaly: unexpected error: TypeError: x is undefined\n\s+at /);
  });
});
