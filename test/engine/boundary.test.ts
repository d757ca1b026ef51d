// The engine is pure code: no AWS SDK, no network, no filesystem. This holds that boundary for every file in it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const engine = join(__dirname, '..', '..', 'handlers', 'engine');
/** What engine code may import besides its own files: hashing, schemas and linear algebra. */
const ALLOWED = new Set(['node:crypto', 'zod', 'ml-matrix', 'ml-logistic-regression']);

function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)) found.push(m[1]);
  return found;
}

describe('engine boundary', () => {
  it('finds the imports of a file, static, dynamic and required', () => {
    assert.deepEqual(importsOf("import { a } from './a';\nconst fs = require('node:fs');\nawait import('https');"), ['./a', 'node:fs', 'https']);
  });

  it('imports nothing but its own files, hashing, schemas and linear algebra', () => {
    const files = readdirSync(engine, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 10, `only ${files.length} engine files found`);
    for (const file of files) {
      for (const spec of importsOf(readFileSync(join(engine, file), 'utf8'))) {
        if (spec.startsWith('./') || spec.startsWith('../engine/')) continue;
        assert.ok(ALLOWED.has(spec), `handlers/engine/${file} imports ${spec}`);
      }
    }
  });
});
