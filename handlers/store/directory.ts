// ObjectStore over a local folder, for the local run and the CLI: keys are relative paths under the root.
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { VersionExistsError, type ObjectStore } from './model-store';

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

export function directoryObjects(root: string): ObjectStore {
  const path = (key: string) => join(root, ...key.split('/'));
  return {
    location: root,
    async get(key) {
      try {
        return await readFile(path(key), 'utf8');
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
    },
    async exists(key) {
      try {
        return (await stat(path(key))).isFile();
      } catch (err) {
        if (isMissing(err)) return false;
        throw err;
      }
    },
    async put(key, body, options = {}) {
      const file = path(key);
      await mkdir(dirname(file), { recursive: true });
      if (options.ifAbsent) {
        try {
          // 'wx' fails when the file exists: the no-overwrite rule holds even between two processes.
          await writeFile(file, body, { flag: 'wx' });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new VersionExistsError(key.split('/').at(-2) ?? key);
          throw err;
        }
        return;
      }
      // Write then rename, so a reader never sees half a pointer.
      const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(temp, body);
      await rename(temp, file);
    },
    async list(prefix) {
      const out: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (err) {
          if (isMissing(err)) return;
          throw err;
        }
        for (const entry of entries) {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) await walk(full);
          else out.push(relative(root, full).split(sep).join('/'));
        }
      };
      await walk(root);
      return out.filter((k) => k.startsWith(prefix)).sort();
    },
  };
}
