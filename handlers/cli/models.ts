// `panther-anomaly models list | promote <version> | rollback`: inspect and move the current-model pointer in a
// local model folder or an S3 bucket. Versions are never deleted or overwritten; rollback re-points.
import { Command } from 'commander';
import { directoryObjects } from '../store/directory';
import { createModelStore, type ModelStore } from '../store/model-store';

export interface ModelsIo {
  stdout(text: string): void;
}

interface StoreOptions {
  dir?: string;
  bucket?: string;
  prefix?: string;
  region?: string;
}

/** The store the options name: an S3 bucket (default prefix models/, as the stack uses) or a folder (no prefix). */
export function storeFrom(options: StoreOptions): ModelStore {
  if (options.bucket && options.dir) throw new Error('give either --bucket or --dir, not both');
  if (options.bucket) {
    // The AWS SDK takes about 100 ms to load: only --bucket pays for it, not every CLI start.
    const { S3Client } = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
    const { s3Objects } = require('../store/s3') as typeof import('../store/s3');
    const client = new S3Client(options.region ? { region: options.region } : {});
    return createModelStore(s3Objects(client, options.bucket), options.prefix ?? 'models/');
  }
  return createModelStore(directoryObjects(options.dir ?? '.local/models'), options.prefix ?? '');
}

function withStoreOptions(command: Command): Command {
  return command
    .option('--dir <folder>', 'local model folder, as `npm start` writes it (default: .local/models)')
    .option('--bucket <name>', 'S3 bucket of a deployed stack (credentials and region from the AWS environment)')
    .option('--prefix <prefix>', 'key prefix of the models (default: models/ in S3, none in a folder)')
    .option('--region <region>', 'AWS region of the bucket');
}

/** One line per version, oldest first, the current one marked, with its held-out ROC-AUC per log type. */
export async function listVersions(store: ModelStore): Promise<string[]> {
  const [versions, pointer] = await Promise.all([store.listVersions(), store.readPointer()]);
  if (versions.length === 0) return [`no model versions in ${store.location}`];
  const lines: string[] = [];
  for (const version of versions) {
    let quality = '';
    const metrics = await store.readFile(version, 'metrics.json').catch(() => null);
    if (metrics) {
      try {
        const parsed = JSON.parse(metrics) as { logTypes?: Record<string, { rocAuc?: number | null }> };
        quality = Object.entries(parsed.logTypes ?? {})
          .map(([logType, m]) => `${logType} ROC-AUC ${m.rocAuc == null ? 'n/a' : m.rocAuc.toFixed(3)}`)
          .join(', ');
      } catch {
        quality = 'metrics.json unreadable';
      }
    }
    lines.push(`${version === pointer?.version ? '*' : ' '} ${version}${quality ? `  ${quality}` : ''}`);
  }
  return lines;
}

export function modelsCommand(io: ModelsIo = { stdout: (t) => process.stdout.write(`${t}\n`) }): Command {
  const models = new Command('models').description(
    'List model versions and move the current-model pointer (promote, rollback) in a local folder or an S3 bucket.',
  );
  withStoreOptions(models.command('list').description('List versions, oldest first; * marks the current one.')).action(
    async (options: StoreOptions) => {
      for (const line of await listVersions(storeFrom(options))) io.stdout(line);
    },
  );
  withStoreOptions(
    models.command('promote').description('Make an existing version current.').argument('<version>', 'version to make current'),
  ).action(async (version: string, options: StoreOptions) => {
    const pointer = await storeFrom(options).promote(version);
    io.stdout(`current model: ${pointer.version} (previously ${pointer.history[0] ?? 'none'})`);
  });
  withStoreOptions(
    models.command('rollback').description('Point back at the version that was current before this one.'),
  ).action(async (options: StoreOptions) => {
    const pointer = await storeFrom(options).rollback();
    io.stdout(`current model: ${pointer.version}`);
  });
  return models;
}
