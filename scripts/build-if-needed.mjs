#!/usr/bin/env node
// `npm start` runs this first (prestart) so that `npm ci && npm start` works on a fresh clone and
// after a `git pull`: it compiles src/ into dist/ with the project's own TypeScript when
// dist/cli.js is missing or older than any source or build setting, and does nothing otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist/cli.js');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');

const reason = staleReason();
if (!reason) process.exit(0);

if (!existsSync(tsc)) {
  console.error(`build-if-needed: ${reason}, but TypeScript is not installed: run \`npm ci\` first.`);
  process.exit(1);
}
console.error(`build-if-needed: ${reason}; compiling (tsc -p tsconfig.build.json)…`);
const started = Date.now();
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(`build-if-needed: tsc failed (exit ${result.status ?? result.signal}); dist/ is not usable.`);
  process.exit(result.status || 1);
}
if (!existsSync(entry)) {
  console.error(
    `build-if-needed: tsc succeeded but produced no dist/cli.js — ` +
      (existsSync(path.join(root, 'src/cli.ts')) ? 'check tsconfig.build.json.' : 'src/cli.ts does not exist yet.'),
  );
  process.exit(1);
}
console.error(`build-if-needed: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);

/** Why a build is needed, or undefined when dist/cli.js is newer than every input. */
function staleReason() {
  if (!existsSync(entry)) return 'dist/cli.js is missing';
  const built = statSync(entry).mtimeMs;
  const inputs = [
    ...['package.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) => path.join(root, f)),
    ...filesUnder(path.join(root, 'src')),
  ];
  const newer = inputs.find((f) => existsSync(f) && statSync(f).mtimeMs > built);
  return newer ? `${path.relative(root, newer)} is newer than dist/cli.js` : undefined;
}

function filesUnder(dir) {
  const files = [];
  const stack = [dir];
  // Bounded, so a symlink loop cannot hang `npm start`.
  for (let steps = 0; stack.length > 0 && steps < 100_000; steps++) {
    const d = stack.pop();
    if (!existsSync(d)) continue;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) files.push(p);
    }
  }
  return files;
}
