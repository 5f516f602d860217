/**
 * What the CLI benchmark asks of every backend, and how one measured command becomes a row of
 * numbers. `up` runs once per N on a fresh stack; the other workloads run, in this order, on the
 * stack of the largest N.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalWorkspace, type Stack } from '@pulumi/pulumi/automation/index.js';
import { trafficSince, type Traffic } from '../../test/helpers/traffic.js';
import type { Backend, BackendId, Sample, ServerTally } from './backends.js';
import type { CliRun, MeteredCli } from './cli.js';
import { blobs } from './program.js';

export const WORKLOAD_IDS = ['up', 'preview', 'noop-up', 'add-2', 'refresh', 'export', 'destroy'] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

export const WORKLOAD_LABELS: Record<WorkloadId, string> = {
  up: 'up',
  preview: 'preview',
  'noop-up': 'no-op up',
  'add-2': 'up +2',
  refresh: 'refresh',
  export: 'stack export',
  destroy: 'destroy',
};

export const PROJECT = 'clibench';
export const SEED = 1;

export interface Measurement {
  round: number;
  workload: WorkloadId;
  /** Blobs in the stack the workload started from (for `up`: how many it creates; the stack resource comes with them, the default provider is not counted as a change). */
  n: number;
  backend: BackendId;
  wallMs: number;
  /** CLI → backend requests and request-body bytes (absent for DIY file://). */
  cli?: Traffic;
  /** What reached the bucket: all requests, PUT bodies in `byMethod.PUT` (MinIO backends). */
  bucket?: Traffic;
  /** Bytes written to the store: PUT bodies for a bucket, page-cache writes for a folder on disk. */
  storeBytes?: number;
  storeKind?: 'bucket' | 'disk';
  /** Disk writes of the CLI process and the plugins it waited for. */
  cliDiskBytes: number;
  /** CPU time of the CLI and the plugins it waited for, and of Fulmar's pods (summed). */
  cliCpuMs: number;
  podCpuMs?: number;
  /** Fulmar's server time during the command, by request kind (from the pods' logs). */
  server?: Record<string, ServerTally>;
  /** Compact JSON size of the exported deployment after the command (`up` only). */
  stateBytes?: number;
}

export interface Workbench {
  cli: MeteredCli;
  kb: number;
  round: number;
}

/** A stack of `n` blobs on `backend`, created (not measured) and ready for `up`. */
export async function newStack(wb: Workbench, backend: Backend, name: string, n: number): Promise<Stack> {
  const workDir = await mkdtemp(join(backend.session.home, `ws-${name}-`));
  return LocalWorkspace.createOrSelectStack(
    { stackName: backend.stackName(PROJECT, name), projectName: PROJECT, program: blobs(n, wb.kb, SEED) },
    { pulumiCommand: wb.cli.command, envVars: { ...backend.session.env, ...backend.env }, workDir },
  );
}

/** Generous bound per command: the slowest backend took ~0.3 s per 16 KB resource. */
const timeoutS = (n: number, kb: number) => Math.round(120 + n * Math.max(1, kb / 16) * 2);

interface Step {
  verb: string[];
  run(stack: Stack): Promise<void>;
}

function step(workload: WorkloadId, n: number, kb: number): Step {
  const program = (count: number) => blobs(count, kb, SEED);
  const setProgram = (stack: Stack, count: number) => {
    (stack.workspace as LocalWorkspace).program = program(count);
  };
  switch (workload) {
    case 'up':
      return {
        verb: ['up'],
        run: async (stack) => expectChanges((await stack.up()).summary.resourceChanges, { create: n + 1 }, 'up'),
      };
    case 'noop-up':
      return {
        verb: ['up'],
        run: async (stack) => {
          setProgram(stack, n);
          expectChanges((await stack.up()).summary.resourceChanges, { same: n + 1 }, 'no-op up');
        },
      };
    case 'add-2':
      return {
        verb: ['up'],
        run: async (stack) => {
          setProgram(stack, n + 2);
          expectChanges((await stack.up()).summary.resourceChanges, { create: 2, same: n + 1 }, 'up +2');
        },
      };
    case 'preview':
      return {
        verb: ['preview'],
        run: async (stack) => {
          setProgram(stack, n);
          expectChanges((await stack.preview()).changeSummary, { same: n + 1 }, 'preview');
        },
      };
    case 'refresh':
      return { verb: ['refresh'], run: async (stack) => void (await stack.refresh()) };
    case 'export':
      return {
        verb: ['stack', 'export'],
        run: async (stack) => {
          const resources = (await stack.exportStack()).deployment?.resources?.length ?? 0;
          if (resources < n) throw new Error(`stack export: ${resources} resources, expected at least ${n}`);
        },
      };
    case 'destroy':
      return { verb: ['destroy'], run: async (stack) => void (await stack.destroy()) };
  }
}

/** A wrong result would make every number meaningless: stop the run instead. */
function expectChanges(actual: Record<string, number> | undefined, expected: Record<string, number>, what: string): void {
  const a = JSON.stringify(Object.entries(actual ?? {}).sort());
  const e = JSON.stringify(Object.entries(expected).sort());
  if (a !== e) throw new Error(`${what}: changes ${a}, expected ${e}`);
}

/** Runs `workload` on `stack` once, measured. */
export async function measure(wb: Workbench, backend: Backend, stack: Stack, workload: WorkloadId, n: number): Promise<Measurement> {
  const s = step(workload, n, wb.kb);
  const run = await wb.cli.measure(s.verb, () => backend.sample(), timeoutS(n, wb.kb), () => s.run(stack));
  const m = toMeasurement(wb.round, workload, n, backend.id, run);
  m.server = await backend.serverTime(run.startedAt, run.endedAt);
  if (workload === 'up') {
    const exported = await stack.exportStack();
    m.stateBytes = Buffer.byteLength(JSON.stringify(exported.deployment));
  }
  return m;
}

function toMeasurement(round: number, workload: WorkloadId, n: number, backend: BackendId, run: CliRun<Sample>): Measurement {
  const { before, after } = run;
  const m: Measurement = { round, workload, n, backend, wallMs: run.wallMs, cliDiskBytes: run.cliDiskBytes, cliCpuMs: run.cliCpuMs };
  if (before.podCpuMs !== undefined && after.podCpuMs !== undefined) m.podCpuMs = after.podCpuMs - before.podCpuMs;
  if (before.cli && after.cli) m.cli = trafficSince(before.cli, after.cli);
  if (before.bucket && after.bucket) {
    m.bucket = trafficSince(before.bucket, after.bucket);
    m.storeBytes = m.bucket.byMethod.PUT?.bytes ?? 0;
    m.storeKind = 'bucket';
  } else if (before.podDiskBytes !== undefined && after.podDiskBytes !== undefined) {
    m.storeBytes = after.podDiskBytes - before.podDiskBytes;
    m.storeKind = 'disk';
  } else if (backend === 'diy-file') {
    m.storeBytes = run.cliDiskBytes;
    m.storeKind = 'disk';
  }
  return m;
}
