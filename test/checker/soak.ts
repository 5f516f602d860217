/**
 * `npm run soak -- --seconds N --seed S [--clients K] [--runs R] [--scenario NAME] [--rounds N] [--calm] [--keep-logs] [--dump FILE]`
 *
 * `--calm` turns off S3 faults and pod kills (every answer is then definitive); `--dump FILE`
 * writes the whole history and final snapshot as JSON; pod logs of a failing run are kept.
 *
 * Runs the history checker for longer than CI does: R runs (default 1) of N seconds of workload
 * each, seeds S, S+1, …, and prints every failing seed so it can be replayed. The same seed gives
 * every client the same sequence of actions and the proxy the same fault draws and the pod
 * killer the same schedule; what the servers answer depends on timing, so a replay exercises the
 * same schedule but may not fail the same way (run it a few times).
 */
import { parseArgs } from 'node:util';
import { runHistoryCheck } from './run.js';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    clients: { type: 'string', default: '8' },
    runs: { type: 'string', default: '1' },
    scenario: { type: 'string' },
    rounds: { type: 'string', default: '40' },
    'keep-logs': { type: 'boolean', default: false },
    dump: { type: 'string' },
    calm: { type: 'boolean', default: false },
    'no-races': { type: 'boolean', default: false },
  },
});

const int = (name: string, raw: string | undefined, min: number, max: number): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`soak: --${name} must be an integer between ${min} and ${max} (got ${raw})`);
    process.exit(2);
  }
  return n;
};

const seconds = int('seconds', values.seconds, 1, 24 * 3600);
const firstSeed = int('seed', values.seed, 0, 2 ** 31 - 1);
const clients = int('clients', values.clients, 1, 64);
const runs = int('runs', values.runs, 1, 10_000);
const rounds = int('rounds', values.rounds, 1, 100_000);
if (values.scenario && !SCENARIO_NAMES.includes(values.scenario as ScenarioName)) {
  console.error(`soak: unknown --scenario ${values.scenario}; one of ${SCENARIO_NAMES.join(', ')}`);
  process.exit(2);
}

const failing: number[] = [];
for (let i = 0; i < runs; i++) {
  const seed = firstSeed + i;
  const result = await runHistoryCheck({
    seed,
    seconds,
    clients,
    rounds,
    keepLogs: values['keep-logs'],
    faults: !values.calm,
    kills: !values.calm,
    races: !values['no-races'],
    ...(values.dump && { dumpTo: runs > 1 ? `${values.dump}.${seed}` : values.dump }),
    ...(values.scenario && { scenario: values.scenario as ScenarioName }),
    log: (line) => console.log(line),
  });
  console.log(result.report);
  if (result.violations.length > 0) {
    failing.push(seed);
    const scenario = values.scenario ? ` --scenario ${values.scenario} --rounds ${rounds}` : ` --clients ${clients}${values.calm ? ' --calm' : ''}`;
    console.log(`FAILED seed ${seed} — replay: npm run soak -- --seconds ${seconds} --seed ${seed}${scenario}`);
  }
}
console.log(failing.length === 0 ? `soak: ${runs} run(s), no violation` : `soak: ${failing.length} of ${runs} run(s) failed; seeds: ${failing.join(' ')}`);
process.exitCode = failing.length === 0 ? 0 : 1;
