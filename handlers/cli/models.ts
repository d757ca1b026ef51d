// `panther-anomaly models list | promote <version> | rollback`: inspect and move the current-model pointer in a
// local model folder or an S3 bucket. Versions are never deleted or overwritten; rollback re-points.
import { Command } from 'commander';
import { createModelStore, type ModelStore } from '../store/model-store';
import { objectsFrom, withStoreOptions, type StoreOptions } from './store-options';

export interface ModelsIo {
  stdout(text: string): void;
}

/** The model store the options name. */
export function storeFrom(options: StoreOptions): ModelStore {
  const { objects, prefix } = objectsFrom(options);
  return createModelStore(objects, prefix);
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
