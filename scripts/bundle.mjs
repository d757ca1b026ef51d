// Bundles each Lambda entry point with esbuild into dist/bundles/<function>/, beside a copy of its Dockerfile,
// so that folder is the whole docker build context (no npm install inside an image).
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const functions = ['training', 'detection'];

for (const fn of functions) {
  const entry = join(root, 'handlers', `${fn}.ts`);
  if (!existsSync(entry)) {
    console.log(`bundle: handlers/${fn}.ts does not exist yet; skipped`);
    continue;
  }
  const outdir = join(root, 'dist', 'bundles', fn);
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [entry],
    outfile: join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    // Runs here (Node 20) and on the Lambda Node.js 22 image.
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: 'linked',
    // Stack traces map back to file and line without shipping the sources: a third of the map to parse at cold start.
    sourcesContent: false,
    // ES module builds of the AWS SDK tree-shake better than its CommonJS ones.
    mainFields: ['module', 'main'],
    legalComments: 'external',
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'images', fn, 'Dockerfile'), join(outdir, 'Dockerfile'));
  const kb = (statSync(join(outdir, 'index.js')).size / 1024).toFixed(0);
  console.log(`bundle: ${fn} -> dist/bundles/${fn}/index.js (${kb} KiB)`);
}
