#!/usr/bin/env node
// `npm start` runs this first (prestart) so that `npm ci && npm start` works on a fresh clone and
// after a `git pull`. It builds what is missing or older than its sources, and nothing else:
//   - the server: src/ → dist/ with the project's own TypeScript (tsc -p tsconfig.build.json);
//   - the web console: console/ → dist/console/ with Vite (vite build --config console/vite.config.ts).
// The server does not need the console to run: where Vite is not installed (`npm ci --omit=dev`)
// a missing console is reported and skipped; a failing console build still fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (f) => path.relative(root, f);

const targets = [
  {
    name: 'server',
    entry: path.join(root, 'dist/cli.js'),
    inputs: () => [
      ...['package.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) => path.join(root, f)),
      ...filesUnder(path.join(root, 'src')),
    ],
    tool: path.join(root, 'node_modules/typescript/bin/tsc'),
    args: ['-p', 'tsconfig.build.json'],
    label: 'tsc -p tsconfig.build.json',
    optional: false,
    check: () =>
      existsSync(path.join(root, 'src/cli.ts')) ? 'check tsconfig.build.json.' : 'src/cli.ts does not exist yet.',
  },
  {
    name: 'console',
    entry: path.join(root, 'dist/console/index.html'),
    inputs: () => [path.join(root, 'package.json'), ...filesUnder(path.join(root, 'console'))],
    tool: path.join(root, 'node_modules/vite/bin/vite.js'),
    args: ['build', '--config', 'console/vite.config.ts'],
    label: 'vite build --config console/vite.config.ts',
    optional: true,
    check: () => 'check console/vite.config.ts.',
  },
];

for (const t of targets) {
  const reason = staleReason(t);
  if (!reason) continue;
  if (!existsSync(t.tool)) {
    if (t.optional) {
      console.error(`build-if-needed: ${reason}, but ${rel(t.tool)} is not installed: the ${t.name} is not built (\`npm ci\` installs it).`);
      continue;
    }
    console.error(`build-if-needed: ${reason}, but ${rel(t.tool)} is not installed: run \`npm ci\` first.`);
    process.exit(1);
  }
  console.error(`build-if-needed: ${reason}; building the ${t.name} (${t.label})…`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [t.tool, ...t.args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build-if-needed: the ${t.name} build failed (exit ${result.status ?? result.signal}); dist/ is not usable.`);
    process.exit(result.status || 1);
  }
  if (!existsSync(t.entry)) {
    console.error(`build-if-needed: the ${t.name} build succeeded but produced no ${rel(t.entry)} — ${t.check()}`);
    process.exit(1);
  }
  console.error(`build-if-needed: ${t.name} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Why a build is needed, or undefined when the entry is newer than every input. */
function staleReason(t) {
  if (!existsSync(t.entry)) return `${rel(t.entry)} is missing`;
  const built = statSync(t.entry).mtimeMs;
  const newer = t.inputs().find((f) => existsSync(f) && statSync(f).mtimeMs > built);
  return newer ? `${rel(newer)} is newer than ${rel(t.entry)}` : undefined;
}

function filesUnder(dir) {
  const files = [];
  const stack = [dir];
  // Bounded, so a symlink loop cannot hang `npm start`.
  for (let steps = 0; stack.length > 0 && steps < 100_000; steps++) {
    const d = stack.pop();
    if (!existsSync(d)) continue;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules') continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) files.push(p);
    }
  }
  return files;
}
