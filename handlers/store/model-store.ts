// The ModelStore port: versioned model folders that are never overwritten or deleted, and a `current.json`
// pointer that promotion moves and rollback moves back. One implementation over any ObjectStore (S3, a folder).
import { randomBytes } from 'node:crypto';

/** Files of one version: model.json always, report.html and metrics.json when training wrote them. */
export type VersionFiles = { 'model.json': string } & Partial<Record<'report.html' | 'metrics.json', string>>;
export type VersionFileName = keyof VersionFiles;

/** The pointer document. `history` holds the versions that were current before, newest first, for rollback. */
export interface Pointer {
  version: string;
  promotedAt: string;
  history: string[];
}

/** Minimal key-value storage the model store needs; S3 and a local folder implement it. */
export interface ObjectStore {
  /** Where the objects live, for messages: `s3://bucket` or a folder path. */
  readonly location: string;
  /** The object's text, or null when there is no such key. */
  get(key: string): Promise<string | null>;
  exists(key: string): Promise<boolean>;
  /** With ifAbsent, fails with VersionExistsError instead of replacing an existing object. */
  put(key: string, body: string, options?: { ifAbsent?: boolean; contentType?: string }): Promise<void>;
  /** Every key under the prefix. */
  list(prefix: string): Promise<string[]>;
}

export class StoreError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'StoreError';
  }
}
export class VersionExistsError extends StoreError {
  constructor(readonly version: string) {
    super(`model version ${version} already exists; versions are never overwritten`);
    this.name = 'VersionExistsError';
  }
}
export class VersionNotFoundError extends StoreError {
  constructor(readonly version: string, location: string) {
    super(`model version ${version} does not exist in ${location}`);
    this.name = 'VersionNotFoundError';
  }
}

export interface ModelStore {
  readonly location: string;
  /** Complete versions (those with a model.json), oldest first. */
  listVersions(): Promise<string[]>;
  /** The text of the version's model.json; VersionNotFoundError when absent. */
  readModel(version: string): Promise<string>;
  readFile(version: string, name: VersionFileName): Promise<string | null>;
  /** Writes a new version; VersionExistsError when it exists. model.json goes last, so its presence marks a complete version. */
  writeVersion(version: string, files: VersionFiles): Promise<void>;
  readPointer(): Promise<Pointer | null>;
  /** Points `current` at an existing version and remembers the one it replaces. */
  promote(version: string, now?: Date): Promise<Pointer>;
  /** Points `current` back at the version that was current before; StoreError when there is none. */
  rollback(now?: Date): Promise<Pointer>;
}

const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const HISTORY_LIMIT = 50;

/** Refuses names that could escape the prefix or break a key (`..`, `/`, spaces). */
export function checkVersionName(version: string): string {
  if (!VERSION_PATTERN.test(version) || version.includes('..')) {
    throw new StoreError(`"${version}" is not a valid model version name (letters, digits, '.', '_', '-')`);
  }
  return version;
}

/** A new version name: UTC time to the millisecond (sorts by time) plus random hex (unique within a millisecond). */
export function newVersionName(now: Date = new Date(), suffix: string = randomBytes(3).toString('hex')): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${suffix}`;
}

export function parsePointer(text: string, location: string): Pointer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StoreError(`the current-model pointer in ${location} is not JSON`, { cause: err });
  }
  const p = value as Partial<Pointer> | null;
  if (!p || typeof p.version !== 'string' || !VERSION_PATTERN.test(p.version)) {
    throw new StoreError(`the current-model pointer in ${location} has no valid "version"`);
  }
  const history = Array.isArray(p.history) ? p.history.filter((v): v is string => typeof v === 'string') : [];
  return { version: p.version, promotedAt: typeof p.promotedAt === 'string' ? p.promotedAt : '', history };
}

export function createModelStore(objects: ObjectStore, prefix = 'models/'): ModelStore {
  const pointerKey = `${prefix}current.json`;
  const fileKey = (version: string, name: string) => `${prefix}${checkVersionName(version)}/${name}`;
  const where = `${objects.location}/${prefix}`;

  async function writePointer(pointer: Pointer): Promise<Pointer> {
    await objects.put(pointerKey, `${JSON.stringify(pointer, null, 2)}\n`, { contentType: 'application/json' });
    return pointer;
  }

  const store: ModelStore = {
    location: where,
    async listVersions() {
      const keys = await objects.list(prefix);
      const versions = keys
        .filter((k) => k.endsWith('/model.json'))
        .map((k) => k.slice(prefix.length, -'/model.json'.length))
        .filter((v) => VERSION_PATTERN.test(v));
      return versions.sort();
    },
    async readModel(version) {
      const text = await objects.get(fileKey(version, 'model.json'));
      if (text === null) throw new VersionNotFoundError(version, where);
      return text;
    },
    readFile(version, name) {
      return objects.get(fileKey(version, name));
    },
    async writeVersion(version, files) {
      const modelKey = fileKey(version, 'model.json');
      if (await objects.exists(modelKey)) throw new VersionExistsError(version);
      for (const name of ['report.html', 'metrics.json'] as const) {
        const body = files[name];
        if (body !== undefined) {
          const type = name.endsWith('.html') ? 'text/html; charset=utf-8' : 'application/json';
          await objects.put(fileKey(version, name), body, { ifAbsent: true, contentType: type });
        }
      }
      await objects.put(modelKey, files['model.json'], { ifAbsent: true, contentType: 'application/json' });
    },
    async readPointer() {
      const text = await objects.get(pointerKey);
      return text === null ? null : parsePointer(text, where);
    },
    async promote(version, now = new Date()) {
      if (!(await objects.exists(fileKey(version, 'model.json')))) throw new VersionNotFoundError(version, where);
      const current = await store.readPointer();
      if (current?.version === version) return current;
      const history = current ? [current.version, ...current.history].slice(0, HISTORY_LIMIT) : [];
      return writePointer({ version, promotedAt: now.toISOString(), history });
    },
    async rollback(now = new Date()) {
      const current = await store.readPointer();
      if (!current) throw new StoreError(`no model is current in ${where}; nothing to roll back`);
      const [previous, ...older] = current.history;
      if (!previous) throw new StoreError(`model ${current.version} has no earlier current version to roll back to`);
      if (!(await objects.exists(fileKey(previous, 'model.json')))) throw new VersionNotFoundError(previous, where);
      return writePointer({ version: previous, promotedAt: now.toISOString(), history: older });
    },
  };
  return store;
}
