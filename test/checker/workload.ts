/**
 * The seeded randomized workload: K clients loop over a small shared name space (so they race)
 * creating, deleting, renaming, transferring, importing, updating (full lifecycles, some
 * abandoned, some cancelled or completed while a checkpoint or journal batch is in flight; about
 * half of them journaled) and tagging stacks.
 *
 * Each client draws its whole next action from its own PRNG before running it, with a fixed
 * number of draws per action, so a seed fixes every client's sequence of actions; what the
 * server answers (and so which requests follow inside an action) depends on timing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { prng } from '../helpers/assertions.js';
import { deployment, programRequest } from '../helpers/api.js';
import { acked, stackApiPath, type ApiClient, type Op, type StackName } from './history.js';
import { baseResources, journalBatches, planJournal, planMarkers, type JournalPlan, type PlannedBatch } from './journal-batches.js';

export interface Namespace {
  orgs: string[];
  project: string;
  stacks: string[];
}

export const DEFAULT_NAMESPACE: Namespace = { orgs: ['org-a', 'org-b'], project: 'proj', stacks: ['s0', 's1', 's2', 's3'] };

export const namesOf = (ns: Namespace): StackName[] =>
  ns.orgs.flatMap((org) => ns.stacks.map((stack) => ({ org, project: ns.project, stack })));

type Ending = 'complete' | 'abandon' | 'cancel-race' | 'complete-race';

export type Action =
  | { type: 'create'; ref: StackName }
  | { type: 'delete'; ref: StackName; force: boolean }
  | { type: 'rename'; ref: StackName; to: StackName }
  | { type: 'transfer'; ref: StackName; to: StackName }
  | { type: 'import'; ref: StackName; marker: string }
  | { type: 'update'; ref: StackName; markers: string[]; ending: Ending; gapMs: number; raceDelayMs: number; journal?: JournalPlan }
  | { type: 'cancel-active'; ref: StackName }
  | { type: 'tags'; ref: StackName; value: string }
  | { type: 'read'; ref: StackName };

const WEIGHTS: [Action['type'], number][] = [
  ['create', 16],
  ['delete', 7],
  ['rename', 6],
  ['transfer', 5],
  ['import', 10],
  ['update', 30],
  ['cancel-active', 5],
  ['tags', 4],
  ['read', 5],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((s, [, w]) => s + w, 0);
const ENDINGS: Ending[] = ['complete', 'complete', 'complete', 'abandon', 'cancel-race', 'complete-race'];
const CALM_ENDINGS: Ending[] = ['complete', 'complete', 'abandon'];
const DRAWS_PER_ACTION = 8;

/** Draws the n-th action of a client: always DRAWS_PER_ACTION numbers, whatever the action. */
export function planAction(rand: () => number, ns: Namespace, client: string, n: number, races = true): Action {
  const d = Array.from({ length: DRAWS_PER_ACTION }, rand) as [number, number, number, number, number, number, number, number];
  const pick = <T>(list: readonly T[], x: number): T => list[Math.min(list.length - 1, Math.floor(x * list.length))] as T;
  const org = pick(ns.orgs, d[1]);
  const ref = { org, project: ns.project, stack: pick(ns.stacks, d[2]) };
  let w = d[0] * TOTAL_WEIGHT;
  let type: Action['type'] = 'read';
  for (const [t, weight] of WEIGHTS) {
    if (w < weight) {
      type = t;
      break;
    }
    w -= weight;
  }
  const marker = (j: number) => `${client}-${n}-${j}`;
  switch (type) {
    case 'create':
      return { type, ref };
    case 'delete':
      return { type, ref, force: d[3] < 0.6 };
    case 'rename': {
      const others = ns.stacks.filter((s) => s !== ref.stack);
      return { type, ref, to: { ...ref, stack: pick(others, d[3]) } };
    }
    case 'transfer': {
      const others = ns.orgs.filter((o) => o !== ref.org);
      return { type, ref, to: { ...ref, org: pick(others, d[3]) } };
    }
    case 'import':
      return { type, ref, marker: marker(0) };
    case 'update': {
      const count = 1 + Math.floor(d[3] * 3);
      const markers = Array.from({ length: count }, (_, j) => marker(j + 1));
      // d[7] is free in an update: below one half it journals, and seeds the journal's own draws
      // (so the checkpoint lifecycles stay what they were for a seed).
      const journal = d[7] < 0.5 ? planJournal(prng(Math.floor(d[7] * 2 ** 32)), markers, `${client}-${n}-p`) : undefined;
      return {
        type,
        ref,
        markers: journal ? planMarkers(journal) : markers,
        ending: races ? pick(ENDINGS, d[4]) : pick(CALM_ENDINGS, d[4]),
        gapMs: Math.floor(d[5] * 200),
        raceDelayMs: Math.floor(d[6] * 25),
        ...(journal && { journal }),
      };
    }
    case 'cancel-active':
      return { type, ref };
    case 'tags':
      return { type, ref, value: `v${Math.floor(d[7] * 1000)}` };
    default:
      return { type: 'read', ref };
  }
}

const dep = (ref: StackName, marker: string) => deployment(ref.project, ref.stack, 2, marker);

/** Runs one action; every request goes through the recording client. */
export async function runAction(api: ApiClient, a: Action): Promise<void> {
  const S = stackApiPath(a.ref);
  const ref = a.ref;
  switch (a.type) {
    case 'create':
      // With the tags the CLI sends at create (pkg/backend/stack.go: GetEnvironmentTagsForCurrentStack),
      // so that the `tags` action below carries the stored `pulumi:` tags unchanged.
      await api.call('POST', `/api/stacks/${ref.org}/${ref.project}`, { kind: 'create', ref, body: { stackName: ref.stack, tags: { 'pulumi:project': ref.project } } });
      // Read it back at once: an acknowledged create must be visible (unless someone removed it).
      await api.call('GET', S, { kind: 'get', ref });
      return;
    case 'delete':
      await api.call('DELETE', `${S}${a.force ? '?force=true' : ''}`, { kind: 'delete', ref });
      return;
    case 'rename':
      await api.call('POST', `${S}/rename`, { kind: 'rename', ref, to: a.to, body: { newName: a.to.stack } });
      return;
    case 'transfer':
      await api.call('POST', `${S}/transfer`, { kind: 'transfer', ref, to: a.to, body: { toOrg: a.to.org } });
      return;
    case 'import': {
      // The reads around it pin which incarnation it went to, when nothing else touched the name.
      await api.call('GET', S, { kind: 'get', ref });
      const imp = await api.call('POST', `${S}/import`, { kind: 'import', ref, marker: a.marker, body: dep(ref, a.marker) });
      const id = (imp.body as { updateId?: string } | undefined)?.updateId;
      if (id) imp.updateId = id;
      await api.call('GET', S, { kind: 'get', ref });
      return;
    }
    case 'update':
      return runUpdate(api, a);
    case 'cancel-active': {
      const got = await api.call('GET', S, { kind: 'get', ref });
      // `activeUpdate` also names the last update of an idle stack; `currentOperation` says one runs.
      const body = got.body as { activeUpdate?: string; currentOperation?: unknown } | undefined;
      const active = body?.currentOperation ? body.activeUpdate : undefined;
      if (acked(got) && active) await api.call('POST', `${S}/update/${active}/cancel`, { kind: 'cancel', ref, updateId: active, body: {} });
      return;
    }
    case 'tags':
      await api.call('PATCH', `${S}/tags`, { kind: 'tags', ref, body: { 'pulumi:project': ref.project, owner: a.value } });
      return;
    case 'read':
      await api.call('GET', S, { kind: 'get', ref });
      await api.call('GET', `${S}/export`, { kind: 'export', ref });
      return;
  }
}

async function runUpdate(api: ApiClient, a: Extract<Action, { type: 'update' }>): Promise<void> {
  const { ref } = a;
  const S = stackApiPath(ref);
  const created = await api.call('POST', `${S}/update`, { kind: 'update-create', ref, body: programRequest(false) });
  const updateId = (created.body as { updateID?: string } | undefined)?.updateID;
  if (!acked(created) || !updateId) return;
  created.updateId = updateId;
  const U = `${S}/update/${updateId}`;
  const journalVersion = a.journal ? 1 : undefined;
  const started = await api.call('POST', U, {
    kind: 'update-start',
    ref,
    updateId,
    journalVersion,
    body: { tags: { 'pulumi:project': ref.project }, ...(journalVersion && { journalVersion }) },
  });
  const answer = started.body as { token?: string; journalVersion?: number } | undefined;
  if (!acked(started) || !answer?.token) return;
  // While we hold the lease, the stack's `activeUpdate` names us: this read pins our incarnation.
  await api.call('GET', S, { kind: 'get', ref });
  const auth = `update-token ${answer.token}`;
  const complete = () => api.call('POST', `${U}/complete`, { kind: 'complete', ref, updateId, auth, body: { status: 'succeeded' } });
  const cancel = () => api.call('POST', `${U}/cancel`, { kind: 'cancel', ref, updateId, body: {} });
  // A journal answered with anything but 1 is flagged by the invariants; the update goes on with checkpoints.
  const writes = a.journal && answer.journalVersion === 1 ? await journalWrites(api, a.journal, ref, U, updateId, auth) : checkpointWrites(api, a, U, updateId, auth);
  const racing = a.ending === 'cancel-race' || a.ending === 'complete-race';
  const steady = racing ? writes.slice(0, -1) : writes;
  for (const write of steady) {
    const res = await write();
    if (res.status >= 400 && res.status < 500) return; // lease lost: the CLI would stop here too
    if (a.gapMs > 0) await sleep(a.gapMs);
  }
  switch (a.ending) {
    case 'complete':
      await complete();
      return;
    case 'abandon':
      return; // the lease expires; the next update or import of the stack rolls it forward
    case 'cancel-race':
    case 'complete-race': {
      const last = writes[writes.length - 1];
      const other = a.ending === 'cancel-race' ? cancel : complete;
      await Promise.all([last?.(), sleep(a.raceDelayMs).then(other)]);
      return;
    }
  }
}

/** One request that writes the update's state; the lifecycle stops at a 4xx. */
type StateWrite = () => Promise<Op>;

function checkpointWrites(api: ApiClient, a: Extract<Action, { type: 'update' }>, U: string, updateId: string, auth: string): StateWrite[] {
  return a.markers.map((marker) => () => api.call('PATCH', `${U}/checkpoint`, { kind: 'checkpoint', ref: a.ref, updateId, marker, auth, body: dep(a.ref, marker) }));
}

/**
 * The journal batches of a plan. Replacing a base resource needs the base: the export while the
 * update holds the lease and has journaled nothing is the version it started from. A planned
 * retry sends the same batch again at once, as the CLI does after a lost answer.
 */
async function journalWrites(api: ApiClient, plan: JournalPlan, ref: StackName, U: string, updateId: string, auth: string): Promise<StateWrite[]> {
  let base: ReturnType<typeof baseResources> = [];
  if (plan.steps.some((s) => s.kind === 'replace')) {
    const exported = await api.call('GET', `${stackApiPath(ref)}/export`, { kind: 'export', ref });
    if (acked(exported)) base = baseResources(exported.body);
  }
  const send = (b: PlannedBatch, retry: boolean) =>
    api.call('PATCH', `${U}/journalentries`, { kind: 'journal', ref, updateId, auth, body: b.body, batch: retry ? { ...b.facts, retry } : b.facts });
  return journalBatches(plan, ref, base).map((b, i) => async () => {
    const first = await send(b, false);
    return i === plan.retry && !(first.status >= 400 && first.status < 500) ? send(b, true) : first;
  });
}

export interface WorkloadOptions {
  seed: number;
  seconds: number;
  clients: number;
  namespace?: Namespace;
  /** Most actions one client runs (a bound besides time). */
  maxActionsPerClient?: number;
  /**
   * false: no request of a client overlaps another of its own (updates end with a plain complete
   * or are abandoned, never cancelled or completed mid-checkpoint) — with one client, a control
   * run in which nothing races at all.
   */
  races?: boolean;
}

export const MEMBER = 'alice';

/**
 * Creates the orgs of the name space (`POST /api/orgs`): stacks and members go only into orgs
 * that exist. One that already exists is fine. False if the setup failed.
 */
export async function setupOrgs(admin: ApiClient, ns: Namespace = DEFAULT_NAMESPACE): Promise<boolean> {
  for (const name of ns.orgs) {
    const res = await admin.call('POST', '/api/orgs', { kind: 'setup', body: { name } });
    if (!acked(res) && res.status !== 409) return false;
  }
  return true;
}

/**
 * Makes `alice` an admin of every org of the name space (admin: she may delete, rename and
 * transfer) and returns an API token of hers, so that half the clients are an ordinary user
 * rather than the site admin. Undefined if the setup failed.
 */
export async function setupMember(admin: ApiClient, ns: Namespace = DEFAULT_NAMESPACE): Promise<string | undefined> {
  if (!(await setupOrgs(admin, ns))) return undefined;
  for (const org of ns.orgs) {
    const res = await admin.call('PUT', `/api/orgs/${org}/members/${MEMBER}`, { kind: 'setup', body: { role: 'admin' } });
    if (!acked(res)) return undefined;
  }
  const token = await admin.call('POST', `/api/admin/users/${MEMBER}/tokens`, { kind: 'setup', body: { description: 'history checker' } });
  return (token.body as { tokenValue?: string } | undefined)?.tokenValue;
}

/**
 * Runs the clients until the deadline; resolves when every client has finished its action.
 * Even-numbered clients use `memberToken` when given (an org admin, not a site admin).
 */
export async function runWorkload(
  clientFor: (name: string, apiToken?: string) => ApiClient,
  options: WorkloadOptions & { memberToken?: string },
): Promise<{ actions: number }> {
  const ns = options.namespace ?? DEFAULT_NAMESPACE;
  const deadline = Date.now() + options.seconds * 1000;
  const max = options.maxActionsPerClient ?? 5_000;
  let actions = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async (_, i) => {
      const name = `c${i + 1}`;
      const api = clientFor(name, i % 2 === 1 ? options.memberToken : undefined);
      const rand = prng((options.seed * 7919 + i * 104_729) >>> 0);
      for (let n = 1; n <= max && Date.now() < deadline; n++) {
        const action = planAction(rand, ns, name, n, options.races !== false);
        const thinkMs = Math.floor(rand() * 60);
        await runAction(api, action);
        actions++;
        await sleep(thinkMs);
      }
    }),
  );
  return { actions };
}

export interface KillOptions {
  seed: number;
  seconds: number;
  /** Mean seconds between kills. */
  everySeconds?: number;
}

/** SIGKILLs a seeded pod every few seconds and starts it again shortly after, until the deadline. */
export async function runPodKiller(
  cluster: { podCount: number; kill(i: number): void; restart(i: number): Promise<void> },
  options: KillOptions,
): Promise<{ kills: number }> {
  const rand = prng((options.seed * 31 + 0x5eed) >>> 0);
  const deadline = Date.now() + options.seconds * 1000;
  const every = (options.everySeconds ?? 10) * 1000;
  let kills = 0;
  for (let n = 0; n < 1000; n++) {
    const wait = every * (0.5 + rand());
    const which = Math.floor(rand() * cluster.podCount);
    const downMs = 500 + rand() * 2500;
    if (Date.now() + wait >= deadline) break;
    await sleep(wait);
    cluster.kill(which);
    kills++;
    await sleep(downMs);
    await cluster.restart(which);
  }
  return { kills };
}
