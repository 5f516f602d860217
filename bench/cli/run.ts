/**
 * `npm run bench:cli`: the real pulumi CLI against every backend, one program of N dynamic-provider
 * resources × S KB of incompressible payload. Every figure that compares backends is a ratio
 * between commands of the same round, run back to back; rounds alternate the backends' order.
 * See bench/README.md ("CLI benchmark").
 *
 *   --n 100,300,600   resource counts for `up` (the other workloads use the largest)
 *   --rounds 3        rounds (each starts every backend afresh); the median is reported
 *   --backends a,b    subset of: journal-fs journal-1pod journal-3pods journal-bound ckpt-fs ckpt-1pod
 *                     ckpt-3pods diy-file diy-s3 floor
 *   --workloads a,b   subset of: up preview noop-up add-2 refresh export destroy
 *   --kb 16           payload per resource, in KB
 *   --keep            keep the round folders (pod logs, state) and print where they are
 *   --max-minutes M   start no new step (one workload across all backends) after M minutes and
 *                     report what ran; the default run has no limit
 *
 * Exit status 1 when a command failed or a sanity check did not hold; a missed target is a
 * finding printed in the summary, not a failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from '@pulumi/pulumi/automation/index.js';
import { startMinio, type MinioServer } from '../../test/helpers/minio.js';
import { buildDist, repoRoot } from '../../test/helpers/pods.js';
import { PULUMI_BINARY, pulumiVersion } from '../../test/helpers/pulumi.js';
import { BACKEND_IDS, needsMinio, startBackend, type Backend, type BackendId } from './backends.js';
import { MeteredCli } from './cli.js';
import { Meter } from './meter.js';
import { breakdown, growthTable, printVerdicts, summarize, table, verdicts } from './report.js';
import { measure, newStack, WORKLOAD_IDS, type Measurement, type Workbench, type WorkloadId } from './workloads.js';

interface Options {
  ns: number[];
  rounds: number;
  backends: BackendId[];
  workloads: WorkloadId[];
  kb: number;
  keep: boolean;
  maxMinutes: number;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { ns: [100, 300, 600], rounds: 3, backends: [...BACKEND_IDS], workloads: [...WORKLOAD_IDS], kb: 16, keep: false, maxMinutes: Infinity };
  const list = <T extends string>(value: string | undefined, allowed: readonly T[], what: string): T[] => {
    const items = (value ?? '').split(',').filter(Boolean);
    const bad = items.filter((i) => !allowed.includes(i as T));
    if (bad.length > 0 || items.length === 0) throw new Error(`--${what}: expected some of ${allowed.join(', ')}; got ${value}`);
    return allowed.filter((a) => items.includes(a));
  };
  const positive = (value: string | undefined, what: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${what}: expected a positive integer, got ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--n') o.ns = [...new Set((value() ?? '').split(',').map((x) => positive(x, 'n')))].sort((a, b) => a - b);
    else if (flag === '--rounds') o.rounds = positive(value(), 'rounds');
    else if (flag === '--backends') o.backends = list(value(), BACKEND_IDS, 'backends');
    else if (flag === '--workloads') o.workloads = list(value(), WORKLOAD_IDS, 'workloads');
    else if (flag === '--kb') o.kb = positive(value(), 'kb');
    else if (flag === '--keep') o.keep = true;
    else if (flag === '--max-minutes') o.maxMinutes = positive(value(), 'max-minutes');
    else throw new Error(`unknown option ${flag} (see the top of bench/cli/run.ts)`);
  }
  return o;
}

/** Cleanups of whatever is running now, newest first; also run on Ctrl-C. */
const cleanups: Array<() => Promise<unknown>> = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<unknown>)().catch((e) => console.error(`cleanup: ${e}`));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping pods, MinIO and proxies, removing temp folders…`);
    const hard = setTimeout(() => process.exit(130), 60_000);
    void cleanUp().finally(() => {
      clearTimeout(hard);
      process.exit(130);
    });
  });
}

function machine(): Record<string, string> {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000 }).trim();
    } catch {
      return '?';
    }
  };
  return {
    cpu: cpus()[0]?.model ?? '?',
    nproc: sh('nproc', []),
    memory: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    node: process.version,
    pulumi: pulumiVersion(),
    kernel: sh('uname', ['-r']),
  };
}

/** Round r's order of backends: rotated by r, reversed every other round. */
function order<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  const rotated = [...items.slice(k), ...items.slice(0, k)];
  return round % 2 === 1 ? rotated.reverse() : rotated;
}

interface RunState {
  /** Every measurement so far, pushed as it is taken: a failure or the time limit keeps them. */
  results: Measurement[];
  keepDirs: string[];
  deadline: number;
  /** Set when the time limit stopped the run; names the first step left out. */
  truncated?: string;
}

async function runRound(o: Options, cli: MeteredCli, meter: Meter, round: number, state: RunState): Promise<void> {
  const keepDirs = state.keepDirs;
  const dir = await mkdtemp(join(tmpdir(), `fulmar-bench-cli-r${round + 1}-`));
  if (o.keep) keepDirs.push(dir);
  else cleanups.push(() => rm(dir, { recursive: true, force: true }));
  let minio: MinioServer | undefined;
  if (o.backends.some(needsMinio)) {
    minio = await startMinio();
    cleanups.push(() => (minio as MinioServer).stop());
  }
  const backends: Backend[] = [];
  for (const id of o.backends) {
    const b = await startBackend(id, { dir, meter, minio });
    backends.push(b);
    cleanups.push(() => b.stop());
  }
  const wb: Workbench = { cli, kb: o.kb, round: round + 1 };
  const results = state.results;
  const overTime = (step: string) => {
    if (Date.now() < state.deadline) return false;
    state.truncated = `round ${round + 1}, ${step}`;
    return true;
  };
  const stacks = new Map<Backend, Stack>();
  const maxN = Math.max(...o.ns);
  const progress = (m: Measurement) =>
    console.log(`  round ${m.round}  ${m.workload.padEnd(8)} N=${String(m.n).padEnd(4)} ${m.backend.padEnd(14)} ${(m.wallMs / 1000).toFixed(1)} s`);

  // `up` at every N on a fresh stack, the backends interleaved at each N.
  const upNs = o.workloads.includes('up') ? o.ns : [maxN];
  for (const n of upNs) {
    if (overTime(`up N=${n}`)) return;
    for (const b of order(backends, round)) {
      const stack = await newStack(wb, b, `n${n}`, n);
      const m = await measure(wb, b, stack, 'up', n);
      if (o.workloads.includes('up')) {
        results.push(m);
        progress(m);
      }
      if (n === maxN) stacks.set(b, stack);
    }
  }
  // The rest on the largest stack, each workload across all backends before the next.
  for (const w of WORKLOAD_IDS) {
    if (w === 'up' || !o.workloads.includes(w)) continue;
    if (overTime(w)) return;
    for (const b of order(backends, round)) {
      const m = await measure(wb, b, stacks.get(b) as Stack, w, maxN);
      results.push(m);
      progress(m);
    }
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  buildDist();
  const info = machine();
  console.log(`Fulmar CLI benchmark — pulumi ${info.pulumi} (${PULUMI_BINARY.replace(`${repoRoot}/`, '')}), node ${info.node}`);
  console.log(`machine: ${info.cpu}, ${info.nproc} CPUs, ${info.memory}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`N = ${o.ns.join(', ')} × ${o.kb} KB; ${o.rounds} round(s); backends: ${o.backends.join(' ')}; workloads: ${o.workloads.join(' ')}\n`);

  const started = Date.now();
  const work = await mkdtemp(join(tmpdir(), 'fulmar-bench-cli-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  const meter = await Meter.start();
  cleanups.push(() => meter.stop());
  const cli = await MeteredCli.create(work);
  const state: RunState = { results: [], keepDirs: [], deadline: started + o.maxMinutes * 60_000 };
  const all = state.results;
  let failure: unknown;
  try {
    for (let r = 0; r < o.rounds && !state.truncated; r++) {
      const depth = cleanups.length;
      try {
        await runRound(o, cli, meter, r, state);
      } finally {
        // Whatever the round left running goes before the next round (or the report).
        while (cleanups.length > depth) await (cleanups.pop() as () => Promise<unknown>)().catch(() => undefined);
      }
    }
  } catch (err) {
    failure = err;
  } finally {
    await cleanUp();
  }

  const rows = summarize(all, WORKLOAD_IDS, o.backends);
  const vs = verdicts(rows, all, o.ns);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const rounds = new Set(all.map((m) => m.round)).size;
  console.log(`\n## Results (${rounds} round(s), ${minutes} min; medians; ratios are medians of same-round ratios)\n`);
  console.log(table(rows));
  const g = growthTable(all, o.backends);
  if (g) console.log(`\nGrowth of \`up\` time with N (time ∝ N^exponent):\n\n${g}`);
  const maxN = Math.max(...o.ns);
  const details = (['up', 'noop-up'] as const)
    .flatMap((w) => (['journal-3pods', 'ckpt-3pods', 'journal-fs', 'diy-s3', 'floor'] as const).map((b) => breakdown(all, b, w, maxN)))
    .filter(Boolean);
  if (details.length > 0) console.log(`\n## Where the bytes and the server time go (N=${maxN})\n\n${details.join('\n')}`);
  console.log(`\n## Targets\n\n${printVerdicts(vs)}`);
  if (state.truncated) console.log(`\nstopped by --max-minutes ${o.maxMinutes} before ${state.truncated}`);
  console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const outDir = join(repoRoot, 'bench', 'results');
  await mkdir(outDir, { recursive: true });
  const outFile = join(outDir, `cli-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(outFile, JSON.stringify({ options: { ...o, maxMinutes: Number.isFinite(o.maxMinutes) ? o.maxMinutes : null }, machine: info, minutes: Number(minutes), truncated: state.truncated ?? null, measurements: all, rows, verdicts: vs }, null, 2));
  console.log(`raw results: ${outFile.replace(`${repoRoot}/`, '')}`);
  if (state.keepDirs.length > 0) console.log(`kept: ${state.keepDirs.join(' ')}`);
  if (failure) {
    console.error(`\nFAILED: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}`);
    process.exitCode = 1;
  }
}

await main();
