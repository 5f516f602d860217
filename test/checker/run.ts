/**
 * One checker run: a cluster (MinIO, fault proxy, 3 pods), the seeded workload with faults and
 * pod kills, the final phase with faults off, then the invariants. Used by the mocha entry
 * (history-checker.test.ts) and by `npm run soak`.
 */
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MinioServer } from '../helpers/minio.js';
import type { FaultPlan } from '../helpers/s3-fault-proxy.js';
import { startCluster, STARTUP_PATHS, type Cluster } from './cluster.js';
import { runFinalPhase } from './final-phase.js';
import { HistoryRecorder, type StackName } from './history.js';
import { checkInvariants, formatViolations, type Violation } from './invariants.js';
import { DEFAULT_NAMESPACE, namesOf, runPodKiller, runWorkload, setupMember, setupOrgs } from './workload.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';

export interface CheckRunOptions {
  seed: number;
  seconds: number;
  clients?: number;
  /** Run one deterministic race scenario instead of the random workload. */
  scenario?: ScenarioName;
  /** Rounds of a scenario. */
  rounds?: number;
  /** S3 faults and pod kills during the random workload (default on; never in scenarios). */
  faults?: boolean;
  kills?: boolean;
  /** See WorkloadOptions.races. */
  races?: boolean;
  minio?: MinioServer;
  keepLogs?: boolean;
  /** Keeps the pods' logs when a violation was found (default true). */
  keepLogsOnFailure?: boolean;
  /** Writes the whole history, final snapshot and violations there as JSON. */
  dumpTo?: string;
  log?: (line: string) => void;
}

export interface CheckRunResult {
  seed: number;
  label: string;
  violations: Violation[];
  requests: number;
  actions: number;
  kills: number;
  injected: Record<string, number>;
  durationMs: number;
  /** Human-readable summary, violations included. */
  report: string;
}

const QUIESCE_MS = 3_000;

export const workloadFaultPlan = (seed: number): FaultPlan => ({
  seed,
  latency: { probability: 0.15, minMs: 5, maxMs: 120 },
  slowdown: { probability: 0.02 },
  cutBefore: { probability: 0.01 },
  cutAfter: { probability: 0.02, methods: ['PUT', 'DELETE'] },
  exempt: STARTUP_PATHS,
});

export async function runHistoryCheck(options: CheckRunOptions): Promise<CheckRunResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const label = options.scenario ? `scenario ${options.scenario}, seed ${options.seed}` : `workload seed ${options.seed}`;
  const cluster: Cluster = await startCluster({ minio: options.minio, keepLogs: options.keepLogs });
  const recorder = new HistoryRecorder();
  const clientFor = (name: string, apiToken?: string) => recorder.client(name, () => cluster.live(), apiToken ?? cluster.adminToken);
  let actions = 0;
  let kills = 0;
  let names: StackName[];
  let extra: Violation[] = [];
  let failed = true;
  try {
    if (options.scenario) {
      const scenario = SCENARIOS[options.scenario];
      recorder.phase = 'setup';
      if (!(await setupOrgs(clientFor('setup')))) throw new Error(`${label}: could not create the orgs (see the pods' logs in ${cluster.logDir})`);
      recorder.phase = options.scenario;
      // No faults: the scenarios' own outcome rules read every answer as definitive. Latency only.
      if (scenario.latency) cluster.faults.setPlan({ seed: options.seed, latency: scenario.latency, exempt: STARTUP_PATHS });
      const out = await scenario.run({ clientFor, seed: options.seed, rounds: options.rounds ?? 20, seconds: options.seconds, pods: cluster.podCount });
      actions = out.rounds;
      names = out.names;
      extra = out.violations;
    } else {
      names = namesOf(DEFAULT_NAMESPACE);
      recorder.phase = 'setup';
      const memberToken = await setupMember(clientFor('setup'));
      if (!memberToken) throw new Error(`${label}: could not set up the member user (see the pods' logs in ${cluster.logDir})`);
      recorder.phase = 'workload';
      if (options.faults !== false) cluster.faults.setPlan(workloadFaultPlan(options.seed));
      const killer = options.kills !== false ? runPodKiller(cluster, { seed: options.seed, seconds: options.seconds }) : Promise.resolve({ kills: 0 });
      const [work, killed] = await Promise.all([
        runWorkload(clientFor, { seed: options.seed, seconds: options.seconds, clients: options.clients ?? 6, races: options.races, memberToken }),
        killer,
      ]);
      actions = work.actions;
      kills = killed.kills;
    }
    // Requests a client gave up on may still be running in a pod: let them end.
    await sleep(QUIESCE_MS);
    log(`${label}: workload done (${actions} actions, ${recorder.ops.length} requests, ${kills} pod kills); final phase`);
    cluster.faults.setPlan(undefined);
    await cluster.reviveAll();
    recorder.phase = 'final';
    const final = await runFinalPhase(clientFor('checker'), cluster.bucketStore, names, cluster.leaseSeconds);
    const injected = { ...cluster.faults.counts };
    const faultsInjected = injected.slowdown + injected['cut-before'] + injected['cut-after'];
    const violations = [...extra, ...checkInvariants({ ops: recorder.ops, final, faultsInjected })];
    failed = violations.length > 0 && options.keepLogsOnFailure !== false;
    if (options.dumpTo) await writeFile(options.dumpTo, JSON.stringify({ seed: options.seed, label, ops: recorder.ops, final, violations }, replacer, 1));
    const durationMs = Date.now() - started;
    const kept = failed ? `\n  pod logs kept in ${cluster.logDir}` : '';
    const summary =
      `${label}: ${actions} ${options.scenario ? 'rounds' : 'actions'}, ${recorder.ops.length} requests, ${kills} pod kills, ` +
      `faults injected ${JSON.stringify(injected)}, ${(durationMs / 1000).toFixed(0)} s — ` +
      (violations.length === 0
        ? 'no violation' : `${violations.length} violation(s):\n${formatViolations(options.seed, violations)}${kept}`);
    return { seed: options.seed, label, violations, requests: recorder.ops.length, actions, kills, injected, durationMs, report: summary };
  } finally {
    await cluster.stop(failed);
  }
}

/** JSON for Maps (the final snapshot holds a few). */
function replacer(_key: string, value: unknown): unknown {
  return value instanceof Map ? Object.fromEntries(value) : value;
}
