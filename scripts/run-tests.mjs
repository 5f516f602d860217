#!/usr/bin/env node
// The one test command. Runs mocha programmatically on the TypeScript tests (through tsx) and ends
// with exactly one machine-readable line, `N passed, N failed[, N skipped]`, that .ci/run sums.
//
//   node scripts/run-tests.mjs                 unit + storage + api + deploy suites (npm test)
//   node scripts/run-tests.mjs e2e             the real-pulumi-CLI suite (npm run test:e2e)
//   node scripts/run-tests.mjs checker         the concurrent-history checker (npm run test:checker)
//   node scripts/run-tests.mjs fuzz            schemathesis against a real pod (npm run test:api-fuzz)
//   node scripts/run-tests.mjs console         the web console in a real Chromium (npm run test:console)
//   node scripts/run-tests.mjs [e2e|checker|fuzz|console] FILE|DIR|GLOB…   only those files
//   --grep PATTERN                             only tests whose full title matches
//
// Exit status is non-zero when a test or hook failed, a file failed to load, or no test ran at all
// (a suite that silently runs nothing must not look green).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// Plain output when not on a terminal (CI logs): mocha's symbols come from picocolors, which turns
// colour on whenever CI is set and reads the environment once, on import. Restored right after,
// so the tests' own child processes see the environment they were given.
const colors = Boolean(process.stdout.isTTY);
const hadNoColor = 'NO_COLOR' in process.env;
if (!colors) process.env.NO_COLOR = '1';
const { default: Mocha } = await import('mocha');
if (!colors && !hadNoColor) delete process.env.NO_COLOR;

// `… | head` closing the pipe early is not a test failure worth a stack trace.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 1);
  throw err;
});

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const SUITES = {
  default: ['test/unit/**/*.test.ts', 'test/storage/**/*.test.ts', 'test/api/**/*.test.ts', 'test/deploy/**/*.test.ts'],
  e2e: ['test/e2e/**/*.test.ts'],
  checker: ['test/checker/**/*.test.ts'],
  fuzz: ['test/fuzz/**/*.test.ts'],
  console: ['test/console/**/*.test.ts'],
};
const TIMEOUT_MS = { default: 20_000, e2e: 10 * 60_000, checker: 5 * 60_000, fuzz: 10 * 60_000, console: 2 * 60_000 };
// A process that stays alive after the summary (a server or timer a test forgot to close) would
// hang CI; give it this long to exit on its own, then exit for it.
const EXIT_GRACE_MS = 5_000;

const { suite, patterns, grep } = parseArgs(process.argv.slice(2));
const files = patterns.length > 0 ? expandAll(patterns) : expandAll(SUITES[suite], { allowEmpty: true });
// Files given by hand that all live under test/e2e/ get the e2e timeout too.
const isE2e = suite === 'e2e' || (files.length > 0 && files.every((f) => f.startsWith('test/e2e/')));
// …and those under test/checker/ the checker's, and those under test/fuzz/ the fuzz suite's.
const isChecker = !isE2e && (suite === 'checker' || (files.length > 0 && files.every((f) => f.startsWith('test/checker/'))));
const isFuzz = !isE2e && !isChecker && (suite === 'fuzz' || (files.length > 0 && files.every((f) => f.startsWith('test/fuzz/'))));
// …and those under test/console/ the browser suite's.
const isConsole =
  !isE2e && !isChecker && !isFuzz && (suite === 'console' || (files.length > 0 && files.every((f) => f.startsWith('test/console/'))));
const kind = isE2e ? 'e2e' : isChecker ? 'checker' : isFuzz ? 'fuzz' : isConsole ? 'console' : 'default';

console.log(`node ${process.version} (${process.platform}-${process.arch}), suite: ${kind}`);
if (isE2e) printPulumiVersion();

if (files.length === 0) {
  console.log(`no test files found for ${(patterns.length > 0 ? patterns : SUITES[suite]).join(' ')}`);
  finish({ passes: 0, failures: 0, pending: 0 });
} else {
  await run(files);
}

async function run(testFiles) {
  // tsx's ESM hooks let mocha import() the .ts files directly (the project is "type": "module").
  register();

  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    timeout: TIMEOUT_MS[kind],
    slow: kind === 'default' ? 2_000 : 60_000,
    color: colors,
    // A forgotten `.only` would quietly skip the rest of the suite: refuse it in CI.
    forbidOnly: process.env.CI === 'true',
    ...(grep ? { grep } : {}),
  });
  for (const f of testFiles) mocha.addFile(path.join(root, f));

  try {
    await mocha.loadFilesAsync();
  } catch (err) {
    // A test file that does not even load (syntax/type-strip error, throwing describe body) is a
    // failure, not an empty run.
    console.error('\nfailed to load the test files:');
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    finish({ passes: 0, failures: 1, pending: 0 });
    return;
  }

  await new Promise((resolve) => {
    const runner = mocha.run(() => {
      // runner.stats counts hook failures and uncaught errors during the run as failures.
      const { passes = 0, failures = 0, pending = 0 } = runner.stats ?? {};
      // Mocha's own uncaught-error handler rethrows once the run is over, which would crash the
      // process below the summary; finish() takes over from here.
      runner.dispose();
      finish({ passes, failures, pending });
      resolve();
    });
  });
}

/**
 * Prints the summary as the very last line, once the process is about to end: an error thrown by
 * something a test leaked (a timer, a socket closing late) is reported above it and counted as a
 * failure instead of crashing after the line or printing below it.
 */
function finish(stats) {
  let { passes, failures, pending } = stats;
  let printed = false;
  const late = (err) => {
    failures++;
    console.error('\nerror after the tests finished (a test leaked a timer, socket or promise):');
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  };
  process.on('uncaughtException', late);
  process.on('unhandledRejection', late);

  const print = (note) => {
    if (printed) return;
    printed = true;
    if (note) console.log(`\n${note}`);
    const ranNone = passes + failures === 0;
    if (ranNone) console.log('\nno test ran: treating the run as failed');
    // Nothing may be printed after this line: .ci/run and the CI judge read the last line.
    console.log(`\n${passes} passed, ${failures} failed${pending > 0 ? `, ${pending} skipped` : ''}`);
    process.exitCode = failures > 0 || ranNone ? 1 : 0;
  };
  // The event loop emptied: the run is really over.
  process.once('beforeExit', () => print());
  // Something a test left open keeps the process alive; don't let it hang CI.
  setTimeout(() => {
    print(`open handles kept the process alive ${EXIT_GRACE_MS / 1000} s after the run; exiting`);
    process.exit();
  }, EXIT_GRACE_MS).unref();
}

function printPulumiVersion() {
  const bin = path.join(root, '.tools/bin/pulumi');
  if (!existsSync(bin)) {
    console.log('pulumi CLI: .tools/bin/pulumi not built (run `npm run tools`)');
    return;
  }
  try {
    const version = execFileSync(bin, ['version'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: 'true' },
    }).trim();
    console.log(`pulumi CLI: ${version} (${path.relative(root, bin)})`);
    // test/helpers/pulumi.ts: a path, or a version built as .tools/bin/pulumi-<version>.
    if (process.env.FULMAR_E2E_CLI) console.log(`FULMAR_E2E_CLI=${process.env.FULMAR_E2E_CLI}: the suites drive that CLI instead`);
  } catch (err) {
    console.log(`pulumi CLI: .tools/bin/pulumi version failed: ${err instanceof Error ? err.message : err}`);
  }
}

function parseArgs(args) {
  let suiteName = 'default';
  let grepPattern;
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if ((a === 'e2e' || a === 'checker' || a === 'fuzz' || a === 'console') && i === 0) suiteName = a;
    else if (a === '--grep' || a === '-g') grepPattern = args[++i];
    else if (a.startsWith('--grep=')) grepPattern = a.slice('--grep='.length);
    else if (a.startsWith('-')) {
      console.error(`run-tests: unknown option ${a}`);
      process.exit(2);
    } else rest.push(a);
  }
  return { suite: suiteName, patterns: rest, grep: grepPattern };
}

/** Expands files, folders (all *.test.ts inside) and globs to sorted, unique, root-relative paths. */
function expandAll(list, { allowEmpty = false } = {}) {
  const out = new Set();
  for (const raw of list) {
    const p = path.relative(root, path.resolve(root, raw)).split(path.sep).join('/');
    let found;
    if (!/[*?{[]/.test(p) && existsSync(p)) {
      found = statSync(p).isDirectory() ? expandGlob(`${p}/**/*.test.ts`) : [p];
    } else {
      found = expandGlob(p);
    }
    if (found.length === 0 && !allowEmpty) {
      console.error(`run-tests: nothing matches ${raw}`);
    }
    for (const f of found) out.add(f);
  }
  return [...out].sort();
}

function expandGlob(pattern) {
  const segments = pattern.split('/');
  const firstMagic = segments.findIndex((s) => /[*?{[]/.test(s));
  if (firstMagic === -1) return existsSync(pattern) ? [pattern] : [];
  const base = segments.slice(0, firstMagic).join('/') || '.';
  const re = globToRegExp(pattern);
  return walk(base).filter((f) => re.test(f));
}

/** Files under dir (root-relative, '/'-separated), skipping dependencies and hidden folders. */
function walk(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  const stack = [dir];
  // Bounded: a symlink loop or a huge tree must not hang the test command.
  for (let steps = 0; stack.length > 0 && steps < 100_000; steps++) {
    const d = stack.pop();
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const p = d === '.' ? entry.name : `${d}/${entry.name}`;
      if (entry.isDirectory()) stack.push(p);
      else if (entry.isFile()) files.push(p);
    }
  }
  return files;
}

/** `**` spans folders, `*` and `?` stay within one, `{a,b}` alternates. Enough for test paths. */
function globToRegExp(glob) {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
