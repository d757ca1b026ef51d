// Configuration: defaults, freezing, the IMAGE_MODE override, and each kind of bad value naming its setting.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig, resolveImageMode } from '../../modules/config';
import { FIXTURE_DIR, fixtureConfig, fixtureRawConfig, Json, REPO_ROOT } from './stack-fixture';

const source = { name: 'config.json', baseDir: FIXTURE_DIR };
const minimal = { region: 'us-east-1', pantherApiUrl: 'https://api.acme.runpanther.net/public/graphql' };

function errorOf(raw: unknown): ConfigError {
  try {
    parseConfig(raw, source);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the config to be rejected');
}

describe('config', () => {
  it('fills in the defaults the issue names from a minimal config', () => {
    const config = parseConfig(minimal, source);
    assert.equal(config.namePrefix, 'panther-anomaly');
    assert.equal(config.architecture, 'arm64');
    assert.equal(config.imageMode, 'prebuilt');
    assert.equal(config.modelPrefix, 'models/');
    assert.deepEqual(config.training, { memoryMb: 3008, timeoutSeconds: 900, schedule: 'rate(1 day)', lookbackDays: 30 });
    assert.deepEqual(config.detection, { memoryMb: 1024, timeoutSeconds: 30, modelRefreshSeconds: 60, maxBodyBytes: 1048576 });
    assert.equal(config.featureSpecs, undefined);
    assert.equal(config.featureSpecsDocument, undefined);
    assert.equal(config.terraformCloud, undefined);
  });

  it('returns a deeply frozen object', () => {
    const config = fixtureConfig();
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.training));
    assert.ok(Object.isFrozen(config.tags));
    assert.throws(() => {
      (config.training as { memoryMb: number }).memoryMb = 1;
    }, TypeError);
  });

  it('reads the feature specs file relative to the config file', () => {
    const config = fixtureConfig();
    assert.equal(config.featureSpecs, 'feature-specs.json');
    const specs = JSON.parse(config.featureSpecsDocument ?? '[]');
    assert.deepEqual(
      specs.map((s: Json) => [s.logType, s.windowMinutes, s.features.length]),
      [['AWS.CloudTrail', 60, 2]],
    );
  });

  it('parses the repository config.json', () => {
    const config = loadConfig(join(REPO_ROOT, 'config.json'));
    assert.equal(config.namePrefix, 'panther-anomaly');
  });

  describe('IMAGE_MODE', () => {
    const config = fixtureConfig({ imageMode: 'prebuilt' });
    it('keeps the config value when unset or empty', () => {
      assert.equal(resolveImageMode(config, undefined), 'prebuilt');
      assert.equal(resolveImageMode(config, ''), 'prebuilt');
    });
    it('overrides the config value', () => {
      assert.equal(resolveImageMode(config, 'build'), 'build');
    });
    it('rejects another value, naming IMAGE_MODE', () => {
      assert.throws(() => resolveImageMode(config, 'docker'), /^ConfigError: IMAGE_MODE: must be one of build \| prebuilt, got "docker"$/);
    });
  });

  describe('bad values name the setting', () => {
    const cases: Array<[string, Json, string, RegExp]> = [
      ['missing required setting', { pantherApiUrl: undefined }, 'pantherApiUrl', /expected string/],
      ['plain http Panther URL', { pantherApiUrl: 'http://api.acme.runpanther.net/public/graphql' }, 'pantherApiUrl', /https/],
      ['not a URL at all', { pantherApiUrl: 'acme' }, 'pantherApiUrl', /https/],
      ['Panther URL with a token in it', { pantherApiUrl: 'https://x:tok@api.acme.runpanther.net/public/graphql' }, 'pantherApiUrl', /must not carry credentials/],
      ['unknown region shape', { region: 'europe' }, 'region', /AWS region/],
      ['unknown architecture', { architecture: 'x86' }, 'architecture', /x86_64|arm64/],
      ['unknown image mode', { imageMode: 'docker' }, 'imageMode', /build|prebuilt/],
      ['upper-case name prefix', { namePrefix: 'Panther' }, 'namePrefix', /a-z/],
      ['too long name prefix', { namePrefix: 'a'.repeat(25) }, 'namePrefix', /3-24/],
      ['memory below Lambda minimum', { training: { memoryMb: 64 } }, 'training.memoryMb', />=128/],
      ['memory above Lambda maximum', { detection: { memoryMb: 20000 } }, 'detection.memoryMb', /<=10240/],
      ['fractional memory', { detection: { memoryMb: 1024.5 } }, 'detection.memoryMb', /expected int/],
      ['timeout beyond 15 minutes', { training: { timeoutSeconds: 901 } }, 'training.timeoutSeconds', /<=900/],
      ['timeout given as a string', { detection: { timeoutSeconds: '30' } }, 'detection.timeoutSeconds', /expected number/],
      ['schedule that is not rate() or cron()', { training: { schedule: 'daily' } }, 'training.schedule', /rate/],
      ['cron with five fields', { training: { schedule: 'cron(0 3 * * ?)' } }, 'training.schedule', /six fields/],
      ['retention CloudWatch does not offer', { logRetentionDays: 10 }, 'logRetentionDays', /one of 1, 3, 5/],
      ['retention that never expires', { logRetentionDays: 0 }, 'logRetentionDays', /one of/],
      ['model prefix without trailing slash', { modelPrefix: 'models' }, 'modelPrefix', /ending in "\/"/],
      ['absolute model prefix', { modelPrefix: '/models/' }, 'modelPrefix', /relative/],
      ['body limit above what Lambda can take', { detection: { maxBodyBytes: 8 * 1024 * 1024 } }, 'detection.maxBodyBytes', /<=4194304/],
      ['zero quota', { api: { quotaPerDay: 0 } }, 'api.quotaPerDay', />=1/],
      ['base image pinned by tag only', { baseImage: 'public.ecr.aws/lambda/nodejs:22' }, 'baseImage', /pinned by digest/],
      ['base image with a short digest', { baseImage: `public.ecr.aws/lambda/nodejs:22@sha256:${'a'.repeat(63)}` }, 'baseImage', /pinned by digest/],
      ['misspelled setting', { logRetentionDay: 30 }, 'logRetentionDay', /Unrecognized key/],
      ['misspelled nested setting', { training: { memory: 2048 } }, 'training.memory', /Unrecognized key/],
      ['workspace without organization', { terraformCloud: { workspace: 'prod' } }, 'terraformCloud.organization', /expected string/],
      ['workspace name with spaces', { terraformCloud: { organization: 'acme', workspace: 'my prod' } }, 'terraformCloud.workspace', /workspace name/],
      ['tag value that is not a string', { tags: { team: 7 } }, 'tags.team', /expected string/],
      ['feature specs file that does not exist', { featureSpecs: 'missing.json' }, 'featureSpecs', /cannot read/],
      ['feature specs file that is not JSON', { featureSpecs: 'bundles/training/Dockerfile' }, 'featureSpecs', /cannot read a JSON/],
      ['feature specs that are not an array', { featureSpecs: 'config.json' }, 'featureSpecs', /expected array/],
    ];
    for (const [title, change, setting, message] of cases) {
      it(`${title} -> ${setting}`, () => {
        const error = errorOf({ ...fixtureRawConfig(), ...change });
        assert.equal(error.setting, setting);
        assert.ok(error.message.startsWith(`${setting}: `), error.message);
        assert.match(error.message, message);
      });
    }

    it('a feature spec whose window does not divide a day names its index and field', () => {
      const error = errorOf({ ...minimal, featureSpecs: 'bad-window-specs.json' });
      assert.equal(error.setting, 'featureSpecs[1].windowMinutes');
      assert.match(error.message, /must divide 1440/);
    });

    it('a config file that is not JSON names the file', () => {
      assert.throws(() => loadConfig(join(FIXTURE_DIR, 'bundles', 'training', 'index.js')), /^ConfigError: config: .*index\.js is not valid JSON/);
    });
  });
});
