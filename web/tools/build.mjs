// Builds web/dist/ (checked in, embedded into the `sendas` binary):
//   node tools/build.mjs          build into dist/
//   node tools/build.mjs --check  fail when dist/ is not what the sources build to
//
// dist/ holds index.html, favicon.svg and assets/app-<hash>.js,
// assets/style-<hash>.css (content-hashed names: cacheable forever), and
// .source-hash: a SHA-256 over every source file, so a check can tell a
// stale dist/ even without building.

import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['index.html', 'favicon.svg', 'src', 'tools/build.mjs', 'tsconfig.json', 'package.json', 'package-lock.json'];

function files(path) {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (statSync(full).isDirectory()) return readdirSync(full).sort().flatMap((f) => files(join(path, f)));
  return [path];
}

export function sourceHash() {
  const h = createHash('sha256');
  for (const f of SOURCES.flatMap(files).sort()) {
    h.update(f.split('\\').join('/'));
    h.update('\0');
    h.update(readFileSync(join(root, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

async function build(out) {
  const esbuild = await import('esbuild');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { app: 'src/main.ts', style: 'src/styles.css' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    entryNames: '[name]-[hash]',
    outdir: join(out, 'assets'),
    legalComments: 'none',
    charset: 'utf8',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => relative(join(out, 'assets'), join(root, p)));
  const js = outputs.find((p) => p.endsWith('.js'));
  const css = outputs.find((p) => p.endsWith('.css'));
  if (!js || !css) throw new Error(`unexpected outputs: ${outputs.join(', ')}`);
  const html = readFileSync(join(root, 'index.html'), 'utf8').replace('%JS%', js).replace('%CSS%', css);
  writeFileSync(join(out, 'index.html'), html);
  copyFileSync(join(root, 'favicon.svg'), join(out, 'favicon.svg'));
  writeFileSync(join(out, '.source-hash'), `${sourceHash()}\n`);
}

function listing(dir) {
  const walk = (d) => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  return walk(dir).map((f) => relative(dir, f));
}

async function check() {
  const dist = join(root, 'dist');
  const problems = [];
  const stored = existsSync(join(dist, '.source-hash')) ? readFileSync(join(dist, '.source-hash'), 'utf8').trim() : '(none)';
  const now = sourceHash();
  if (stored !== now) problems.push(`dist/.source-hash is ${stored}, the sources hash to ${now}`);
  let esbuildThere = true;
  try {
    await import('esbuild');
  } catch {
    esbuildThere = false;
  }
  if (esbuildThere) {
    const tmp = mkdtempSync(join(tmpdir(), 'sendas-web-'));
    try {
      await build(tmp);
      const a = listing(tmp);
      const b = listing(dist);
      if (a.join('\n') !== b.join('\n')) problems.push(`dist/ has [${b.join(', ')}], a build gives [${a.join(', ')}]`);
      for (const f of a.filter((x) => b.includes(x))) {
        if (!readFileSync(join(tmp, f)).equals(readFileSync(join(dist, f)))) problems.push(`dist/${f} differs from a fresh build`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  if (problems.length) {
    console.error(`web/dist is stale: run \`npm ci && npm run build\` in web/ and commit dist/.\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`web/dist is current (sources ${now.slice(0, 12)}${esbuildThere ? ', rebuilt and compared' : ''})`);
}

if (process.argv.includes('--check')) {
  await check();
} else {
  await build(join(root, 'dist'));
  console.log(`built web/dist (sources ${sourceHash().slice(0, 12)})`);
}
