/**
 * The concurrent-history checker, as CI runs it: a few fixed seeds of the randomized workload
 * (6 clients racing over 2 orgs × 4 stack names, about half the update lifecycles journaled,
 * with S3 faults and pod kills, and one seed without either), a control run in which nothing races (it must pass), and each deterministic
 * race scenario, all against 3 real pods on one MinIO.
 * A run fails with every violated invariant listed, with its seed and the requests involved;
 * replay one with `npm run soak -- --seed S --seconds N` (see test/checker/soak.ts). Set
 * FULMAR_CHECKER_KEEP_LOGS=1 to keep the pods' logs of a failing run.
 */
import { ensureMinioBinary, startMinio, type MinioServer } from '../helpers/minio.js';
import { runHistoryCheck, type CheckRunOptions } from './run.js';
import { SCENARIO_NAMES } from './scenarios.js';

// Three journal race scenarios joined the suite; shorter workload runs keep it near 5 minutes on 2 cores.
const WORKLOAD_SECONDS = 25;
const WORKLOAD_RUNS: Pick<CheckRunOptions, 'seed' | 'faults' | 'kills'>[] = [
  { seed: 101, faults: true, kills: true },
  { seed: 202, faults: true, kills: true },
  // No faults and no kills: every answer is definitive, so nothing hides behind "unknown".
  { seed: 303, faults: false, kills: false },
];
const CONTROL_SECONDS = 15;
const SCENARIO_ROUNDS = 15;
const SCENARIO_SECONDS = 25;

describe('concurrent-history checker (3 pods, S3 fault proxy, MinIO)', function () {
  this.timeout(180_000);
  let minio: MinioServer | undefined;

  before(async function () {
    ensureMinioBinary(this);
    minio = await startMinio();
  });
  after(async () => {
    await minio?.stop();
  });

  const check = async (options: CheckRunOptions) => {
    const result = await runHistoryCheck({
      ...options,
      ...(minio && { minio }),
      // Pod logs of a failing run are kept (and their folder printed) only when asked.
      keepLogsOnFailure: Boolean(process.env.FULMAR_CHECKER_KEEP_LOGS),
    });
    if (result.violations.length > 0) throw new Error(result.report);
    console.log(`      ${result.report}`);
  };

  for (const run of WORKLOAD_RUNS) {
    const what = run.faults ? 'with S3 faults and pod kills' : 'without faults';
    it(`keeps every acknowledged write: randomized workload, seed ${run.seed}, ${what}`, () =>
      check({ ...run, seconds: WORKLOAD_SECONDS, clients: 6 }));
  }

  // The control: one client and nothing overlapping, faults and kills on. Nothing races, so
  // nothing may be flagged — this keeps the checker honest about unknown outcomes.
  it('flags nothing when nothing races: one client, no overlapping requests, with S3 faults and pod kills (control)', () =>
    check({ seed: 404, seconds: CONTROL_SECONDS, clients: 1, races: false, faults: true, kills: true }));

  for (const scenario of SCENARIO_NAMES) {
    it(`keeps every acknowledged write: race scenario ${scenario} (${SCENARIO_ROUNDS} rounds)`, () =>
      check({ seed: 7, scenario, rounds: SCENARIO_ROUNDS, seconds: SCENARIO_SECONDS }));
  }
});
