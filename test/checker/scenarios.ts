/**
 * Deterministic single-race scenarios: one race, set up the same way each round, its two
 * requests sent to two different pods with a seeded offset between them, then read back. Each
 * adds the outcome rules specific to its race; the general invariants run over its history too.
 *
 *  (a) delete-vs-create     DELETE ?force=true racing POST create of the same name
 *  (b) rename-vs-create     rename racing create of the rename target
 *  (c) transfer-vs-create   transfer racing create of the target in the other org
 *  (d) checkpoint-vs-cancel PATCH checkpoint racing POST cancel
 *  (e) checkpoint-vs-complete PATCH checkpoint racing POST complete
 *  (f) journal-vs-cancel    PATCH journalentries racing POST cancel
 *  (g) journal-vs-complete  PATCH journalentries racing POST complete
 *  (h) journal-complete-vs-cancel  POST complete of a journaled update racing POST cancel of it
 *                           on a pod that never replayed it
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { prng } from '../helpers/assertions.js';
import { deployment, programRequest } from '../helpers/api.js';
import { acked, nameKey, stackApiPath, type ApiClient, type Op, type StackName } from './history.js';
import { markersOf } from './final-phase.js';
import { journalBatches, type JournalPlan } from './journal-batches.js';
import type { Violation } from './invariants.js';
import type { LatencyRule } from '../helpers/s3-fault-proxy.js';

export interface ScenarioContext {
  clientFor(name: string): ApiClient;
  seed: number;
  rounds: number;
  /** A time bound besides the rounds. */
  seconds: number;
  pods: number;
}

export interface ScenarioOutcome {
  rounds: number;
  names: StackName[];
  violations: Violation[];
}

interface Scenario {
  description: string;
  /**
   * Latency the S3 proxy adds while the scenario runs, to hold its race window open. Latency
   * only: every answer stays definitive, which the scenarios' outcome rules rely on.
   */
  latency?: LatencyRule;
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
}

const ORG = 'org-a';
const OTHER_ORG = 'org-b';
const PROJECT = 'race';

const idOf = (op: Op) => (acked(op) ? (op.body as { id?: string }).id : undefined);
const dep = (ref: StackName, marker: string) => deployment(ref.project, ref.stack, 2, marker);

/** Runs `first` and `second` concurrently, `offsetMs` apart (negative: second goes first). */
async function race<A, B>(offsetMs: number, first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
  const delayed = <T>(ms: number, f: () => Promise<T>) => (ms > 0 ? sleep(ms).then(f) : f());
  return Promise.all([delayed(-offsetMs, first), delayed(offsetMs, second)]);
}

/** Shared loop: bounded by rounds and time; `round` returns the names it used and its violations. */
function scenario(
  description: string,
  round: (ctx: RoundContext) => Promise<{ names: StackName[]; violations: Violation[] }>,
  latency?: LatencyRule,
): Scenario {
  return {
    description,
    ...(latency && { latency }),
    async run(ctx) {
      const rand = prng(ctx.seed);
      const setup = ctx.clientFor('setup');
      const [r1, r2] = [ctx.clientFor('r1'), ctx.clientFor('r2')];
      const deadline = Date.now() + ctx.seconds * 1000;
      const names: StackName[] = [];
      const violations: Violation[] = [];
      let n = 0;
      for (; n < ctx.rounds && Date.now() < deadline; n++) {
        // Sweeps the second request from 10 ms before the first to 20 ms after it, a slice per
        // round, so the race window is covered whatever the machine's speed.
        const offsetMs = Math.round(-10 + (30 * (n + rand())) / ctx.rounds);
        const pod = Math.floor(rand() * ctx.pods);
        const out = await round({ n, offsetMs, setup, r1, r2, podA: pod, podB: pod + 1, podC: pod + 2 });
        names.push(...out.names);
        violations.push(...out.violations);
      }
      return { rounds: n, names, violations };
    },
  };
}

interface RoundContext {
  n: number;
  offsetMs: number;
  setup: ApiClient;
  r1: ApiClient;
  r2: ApiClient;
  podA: number;
  podB: number;
  podC: number;
}

async function createWithImport(api: ApiClient, ref: StackName, marker: string, pod: number): Promise<string | undefined> {
  const created = await api.call('POST', `/api/stacks/${ref.org}/${ref.project}`, { kind: 'create', ref, body: { stackName: ref.stack }, pod });
  if (!acked(created)) return undefined;
  const imp = await api.call('POST', `${stackApiPath(ref)}/import`, { kind: 'import', ref, marker, body: dep(ref, marker), pod });
  const id = (imp.body as { updateId?: string } | undefined)?.updateId;
  if (id) imp.updateId = id;
  return idOf(await api.call('GET', stackApiPath(ref), { kind: 'get', ref, pod }));
}

const deleteVsCreate = scenario('DELETE ?force=true on one pod racing POST create of the same name on another', async (c) => {
  const ref = { org: ORG, project: PROJECT, stack: `a${c.n}` };
  const S = stackApiPath(ref);
  const violations: Violation[] = [];
  const oldId = await createWithImport(c.setup, ref, `a${c.n}-old`, c.podA);
  if (!oldId) return { names: [ref], violations };
  const [del, created] = await race(
    c.offsetMs,
    () => c.r1.call('DELETE', `${S}?force=true`, { kind: 'delete', ref, pod: c.podA }),
    async () => {
      const op = await c.r2.call('POST', `/api/stacks/${ref.org}/${ref.project}`, { kind: 'create', ref, body: { stackName: ref.stack }, pod: c.podB });
      // The new incarnation writes at once, while the delete may still be purging.
      if (acked(op)) await c.r2.call('POST', `${S}/import`, { kind: 'import', ref, marker: `a${c.n}-new`, body: dep(ref, `a${c.n}-new`), pod: c.podB });
      return op;
    },
  );
  const after = await c.setup.call('GET', S, { kind: 'get', ref, pod: c.podC });
  if (acked(created) && after.status !== 200) {
    violations.push({
      invariant: 'scenario-delete-vs-create',
      message: `create of ${nameKey(ref)} answered 200 while the delete (${del.status}) of the previous incarnation ran, then GET answers ${after.status}: the acknowledged stack is gone`,
      ops: [del, created, after],
    });
  }
  if (acked(created) && acked(after) && idOf(after) === oldId) {
    violations.push({ invariant: 'scenario-delete-vs-create', message: `create answered 200 but ${nameKey(ref)} still shows the old incarnation ${oldId}`, ops: [del, created, after] });
  }
  // Whatever happened, the name must be usable by a next incarnation that starts clean.
  if (after.status === 404) {
    const next = `a${c.n}-next`;
    const created2 = await c.setup.call('POST', `/api/stacks/${ref.org}/${ref.project}`, { kind: 'create', ref, body: { stackName: ref.stack }, pod: c.podA });
    await c.setup.call('GET', S, { kind: 'get', ref, pod: c.podA });
    const imp = await c.setup.call('POST', `${S}/import`, { kind: 'import', ref, marker: next, body: dep(ref, next), pod: c.podB });
    const id = (imp.body as { updateId?: string } | undefined)?.updateId;
    if (id) imp.updateId = id;
    await c.setup.call('GET', S, { kind: 'get', ref, pod: c.podB });
    const v1 = await c.setup.call('GET', `${S}/export/1`, { kind: 'export', ref, pod: c.podC });
    if (acked(created2) && acked(imp) && !markersOf(v1.body).includes(next)) {
      violations.push({
        invariant: 'scenario-delete-vs-create',
        message: `a fresh incarnation of ${nameKey(ref)} imported ${next} (200) as version 1, but export/1 shows [${markersOf(v1.body).join(', ')}]: it adopted a dead incarnation's committed objects`,
        ops: [created2, imp, v1],
      });
    }
  }
  return { names: [ref], violations };
}, { probability: 1, minMs: 40, maxMs: 80, methods: ['DELETE'] }); // a slow purge: the window where a create may land

function moveVsCreate(kind: 'rename' | 'transfer') {
  const letter = kind === 'rename' ? 'b' : 'c';
  return scenario(`${kind} racing create of the ${kind} target`, async (c) => {
    const from = { org: ORG, project: PROJECT, stack: `${letter}${c.n}` };
    const to = kind === 'rename' ? { ...from, stack: `${letter}${c.n}-to` } : { ...from, org: OTHER_ORG };
    const violations: Violation[] = [];
    const marker = `${letter}${c.n}-src`;
    const srcId = await createWithImport(c.setup, from, marker, c.podA);
    if (!srcId) return { names: [from, to], violations };
    const [moved, created] = await race(
      c.offsetMs,
      () =>
        c.r1.call('POST', `${stackApiPath(from)}/${kind}`, {
          kind,
          ref: from,
          to,
          body: kind === 'rename' ? { newName: to.stack } : { toOrg: to.org },
          pod: c.podA,
        }),
      () => c.r2.call('POST', `/api/stacks/${to.org}/${to.project}`, { kind: 'create', ref: to, body: { stackName: to.stack }, pod: c.podB }),
    );
    const src = await c.setup.call('GET', stackApiPath(from), { kind: 'get', ref: from, pod: c.podC });
    const dst = await c.setup.call('GET', stackApiPath(to), { kind: 'get', ref: to, pod: c.podC });
    const dstExport = acked(dst) ? await c.setup.call('GET', `${stackApiPath(to)}/export`, { kind: 'export', ref: to, pod: c.podA }) : undefined;
    const involved = [moved, created, src, dst, dstExport];
    const fail = (message: string) => violations.push({ invariant: `scenario-${kind}-vs-create`, message, ops: involved.filter((o): o is Op => !!o) });
    if (acked(moved) && acked(created)) fail(`both the ${kind} and the create of ${nameKey(to)} were acknowledged`);
    for (const got of [src, dst]) {
      if (got.status !== 200 && got.status !== 404) fail(`GET ${nameKey(got.ref!)} answers ${got.status} after the race`);
    }
    if (acked(moved)) {
      if (idOf(dst) !== srcId) fail(`${kind} answered 204 but ${nameKey(to)} does not show the moved stack ${srcId} (GET ${dst.status}, id ${idOf(dst)})`);
      if (src.status !== 404) fail(`${kind} answered 204 but the source ${nameKey(from)} answers ${src.status}`);
    } else {
      if (idOf(src) !== srcId) fail(`${kind} answered ${moved.status}, yet the source ${nameKey(from)} answers ${src.status}${idOf(src) ? ` with id ${idOf(src)}` : ''} instead of the unmoved stack ${srcId}`);
      if (acked(created)) {
        if (idOf(dst) === srcId) fail(`create of ${nameKey(to)} answered 200 and the ${kind} ${moved.status}, yet ${nameKey(to)} shows the source stack`);
        const leaked = dstExport ? markersOf(dstExport.body) : [];
        if (leaked.length > 0) fail(`${nameKey(to)} was created fresh (the ${kind} answered ${moved.status}) but exports the source's state [${leaked.join(', ')}]`);
      }
    }
    if (acked(created) && !acked(moved)) {
      // The fresh target's first version must be its own, not something the failed move left.
      const own = `${letter}${c.n}-dst`;
      await c.setup.call('GET', stackApiPath(to), { kind: 'get', ref: to, pod: c.podA });
      const imp = await c.setup.call('POST', `${stackApiPath(to)}/import`, { kind: 'import', ref: to, marker: own, body: dep(to, own), pod: c.podB });
      const id = (imp.body as { updateId?: string } | undefined)?.updateId;
      if (id) imp.updateId = id;
      await c.setup.call('GET', stackApiPath(to), { kind: 'get', ref: to, pod: c.podB });
      const v1 = await c.setup.call('GET', `${stackApiPath(to)}/export/1`, { kind: 'export', ref: to, pod: c.podC });
      if (acked(imp) && !markersOf(v1.body).includes(own)) {
        violations.push({
          invariant: `scenario-${kind}-vs-create`,
          message: `the freshly created ${nameKey(to)} imported ${own} (200) as version 1, but export/1 shows [${markersOf(v1.body).join(', ')}]: it adopted the source's objects`,
          ops: [moved, created, imp, v1],
        });
      }
    }
    return { names: [from, to], violations };
  });
}

/**
 * A journaled update: a first batch (out of order, and sent twice), then a batch that creates a
 * resource and opens an operation it never ends — the one that races. Acknowledged, it must be
 * committed with its operation pending.
 */
const RACE_JOURNAL = (prefix: string): JournalPlan => ({
  steps: [
    { kind: 'create', marker: `${prefix}-1` },
    { kind: 'create', marker: `${prefix}-2` },
    { kind: 'open', marker: `${prefix}-p` },
  ],
  batchSizes: [2, 3],
  reversed: [0],
  retry: 0,
});

/**
 * A fresh stack with a started update (created on pod A, started on `startPod`), or undefined when
 * a step was not acknowledged (the round then checks only what happened).
 */
async function startedUpdate(c: Parameters<Parameters<typeof scenario>[1]>[0], ref: StackName, journalVersion: 1 | undefined, startPod: number) {
  const S = stackApiPath(ref);
  const created = await c.setup.call('POST', `/api/stacks/${ref.org}/${ref.project}`, { kind: 'create', ref, body: { stackName: ref.stack }, pod: c.podA });
  if (!acked(created)) return undefined;
  const upd = await c.setup.call('POST', `${S}/update`, { kind: 'update-create', ref, body: programRequest(false), pod: c.podA });
  const updateId = (upd.body as { updateID?: string } | undefined)?.updateID;
  if (!updateId) return undefined;
  upd.updateId = updateId;
  const U = `${S}/update/${updateId}`;
  const started = await c.setup.call('POST', U, { kind: 'update-start', ref, updateId, journalVersion, body: journalVersion ? { journalVersion } : {}, pod: startPod });
  const token = (started.body as { token?: string } | undefined)?.token;
  return token ? { S, U, updateId, token } : undefined;
}

/** A checkpoint, or a journal batch, of a running update racing its cancel or complete. */
function stateWriteVs(mode: 'checkpoint' | 'journal', other: 'cancel' | 'complete', latency?: LatencyRule) {
  const letter = { checkpoint: { cancel: 'd', complete: 'e' }, journal: { cancel: 'f', complete: 'g' } }[mode][other];
  const what = mode === 'checkpoint' ? 'PATCH checkpoint' : 'PATCH journalentries';
  return scenario(`${what} racing POST ${other}`, async (c) => {
    const ref = { org: ORG, project: PROJECT, stack: `${letter}${c.n}` };
    const violations: Violation[] = [];
    const running = await startedUpdate(c, ref, mode === 'journal' ? 1 : undefined, c.podB);
    if (!running) return { names: [ref], violations };
    const { S, U, updateId, token } = running;
    await c.setup.call('GET', S, { kind: 'get', ref, pod: c.podC });
    const auth = `update-token ${token}`;
    const batches = journalBatches(RACE_JOURNAL(`${letter}${c.n}`), ref, []);
    const write = (i: 0 | 1, api: ApiClient, pod: number, retry = false) => {
      const marker = `${letter}${c.n}-${i + 1}`;
      if (mode === 'checkpoint') return api.call('PATCH', `${U}/checkpoint`, { kind: 'checkpoint', ref, updateId, marker, auth, body: dep(ref, marker), pod });
      const b = batches[i]!;
      return api.call('PATCH', `${U}/journalentries`, { kind: 'journal', ref, updateId, auth, body: b.body, batch: retry ? { ...b.facts, retry } : b.facts, pod });
    };
    await write(0, c.setup, c.podA);
    if (mode === 'journal') await write(0, c.setup, c.podC, true);
    const [patched, ended] = await race(
      c.offsetMs,
      () => write(1, c.r1, c.podA),
      () =>
        other === 'cancel'
          ? c.r2.call('POST', `${U}/cancel`, { kind: 'cancel', ref, updateId, body: {}, pod: c.podB })
          : c.r2.call('POST', `${U}/complete`, { kind: 'complete', ref, updateId, auth, body: { status: 'succeeded' }, pod: c.podB }),
    );
    if (!acked(ended) && ended.status !== 403) {
      violations.push({ invariant: `scenario-${mode}-vs-${other}`, message: `${other} answered ${ended.status}`, ops: [patched, ended] });
    }
    // The general invariants check the committed version against an acknowledged PATCH.
    return { names: [ref], violations };
  }, latency);
}

/**
 * Batches land late, so a seal and its listing can fall between a batch's lease check and its
 * landing: the window where only the confirming read after landing keeps an unlisted batch from
 * being acknowledged.
 */
const SLOW_BATCH_WRITES: LatencyRule = { probability: 0.5, minMs: 5, maxMs: 30, methods: ['PUT'], path: /\/journal\// };

/**
 * Two commits of one journaled update: `complete` on the pod that served its batches (its replay
 * is warm) racing `cancel` on a pod that must replay from the bucket. Whichever seals second
 * meets a sealed lease and may finish the commit itself (docs/design.md, "Commit"); the first
 * commit's clean-up removes the batches meanwhile. A 5xx is wrong — `no-5xx` of the general
 * invariants reports it — and every acknowledged batch must be in the committed version.
 */
const journalCompleteVsCancel = scenario(
  'POST complete of a journaled update racing POST cancel of it on a cold pod',
  async (c) => {
    const ref = { org: ORG, project: PROJECT, stack: `h${c.n}` };
    const violations: Violation[] = [];
    const running = await startedUpdate(c, ref, 1, c.podA);
    if (!running) return { names: [ref], violations };
    const { S, U, updateId, token } = running;
    await c.setup.call('GET', S, { kind: 'get', ref, pod: c.podA });
    const auth = `update-token ${token}`;
    const plan: JournalPlan = {
      steps: [1, 2, 3, 4].map((i) => ({ kind: 'create' as const, marker: `h${c.n}-${i}` })),
      batchSizes: [2, 2, 2, 2],
      reversed: [],
      retry: -1,
    };
    for (const b of journalBatches(plan, ref, [])) {
      await c.setup.call('PATCH', `${U}/journalentries`, { kind: 'journal', ref, updateId, auth, body: b.body, batch: b.facts, pod: c.podA });
    }
    // The export replays the batches on pod A, so its commit needs no batch read.
    await c.setup.call('GET', `${S}/export`, { kind: 'export', ref, pod: c.podA });
    // Whichever seals first wins; the other finishes the commit it meets and answers that the
    // update already ended (complete 403, cancel 409). The general invariants check the answers
    // (no 5xx) and the committed version.
    await race(
      c.offsetMs,
      () => c.r1.call('POST', `${U}/complete`, { kind: 'complete', ref, updateId, auth, body: { status: 'succeeded' }, pod: c.podA }),
      () => c.r2.call('POST', `${U}/cancel`, { kind: 'cancel', ref, updateId, body: {}, pod: c.podB }),
    );
    return { names: [ref], violations };
  },
  // Reads of batches and writes of the commit's objects are slow: the cold pod is still
  // reading batches when the warm one has committed and removes them.
  { probability: 1, minMs: 30, maxMs: 60, methods: ['GET', 'PUT'], path: /\/(journal|checkpoints|history)\// },
);

export const SCENARIOS = {
  'delete-vs-create': deleteVsCreate,
  'rename-vs-create': moveVsCreate('rename'),
  'transfer-vs-create': moveVsCreate('transfer'),
  'checkpoint-vs-cancel': stateWriteVs('checkpoint', 'cancel'),
  'checkpoint-vs-complete': stateWriteVs('checkpoint', 'complete'),
  'journal-vs-cancel': stateWriteVs('journal', 'cancel', SLOW_BATCH_WRITES),
  'journal-vs-complete': stateWriteVs('journal', 'complete', SLOW_BATCH_WRITES),
  'journal-complete-vs-cancel': journalCompleteVsCancel,
} satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];
