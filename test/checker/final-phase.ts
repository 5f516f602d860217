/**
 * The final phase, run once the workload has stopped, faults are off and every pod is up: for any
 * stack still holding a lease, wait until every lease has expired and force the dead holder's
 * roll-forward (start a new update, complete it), then read everything back through the API — each name's register
 * view, history, every committed version's export — plus the stack listing and the bucket, and
 * last try to remove every stack (a name must be creatable or deletable, never stranded).
 * Every request goes through the recorder, so violations can cite them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { programRequest } from '../helpers/api.js';
import { prepare, scanBucket, type StackInBucket } from './bucket-layout.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { acked, nameKey, stackApiPath, type ApiClient, type Op, type StackName } from './history.js';

export interface ExportView {
  op: Op;
  valid: boolean;
  /** Why it is not a valid deployment. */
  problem?: string;
  /** Markers of its resources. */
  markers: string[];
  /** Markers of its pending operations' resources. */
  pending: string[];
}

export interface HistoryEntryView {
  updateID: string;
  version: number;
  kind: string;
  result: string;
}

export interface FinalStack {
  name: StackName;
  id: string;
  version: number;
  getOp: Op;
  historyOp: Op;
  history: HistoryEntryView[];
  latest: ExportView;
  /** Export of each committed version 1..version. */
  versions: Map<number, ExportView>;
}

export interface Takeover {
  name: StackName;
  holder: string;
  ok: boolean;
  ops: Op[];
}

export interface Removal {
  name: StackName;
  ok: boolean;
  why?: string;
  ops: Op[];
}

export interface FinalSnapshot {
  names: StackName[];
  takeovers: Takeover[];
  /** The GET of every name after the takeovers. */
  gets: Map<string, Op>;
  stacks: FinalStack[];
  listing: { name: StackName; id: string }[];
  listingOps: Op[];
  bucket: StackInBucket[];
  removals: Removal[];
  /** The bucket once every stack was removed. */
  bucketAfterRemoval: StackInBucket[];
}

const TAKEOVER_ATTEMPTS = 8;

export async function runFinalPhase(api: ApiClient, store: ObjectStore, names: StackName[], leaseSeconds: number): Promise<FinalSnapshot> {
  const listed = await listAll(api);
  const all = uniqueNames([...names, ...listed.stacks.map((s) => s.name)]);

  // Stacks some update still holds: once every lease has expired (lease + a margin for the
  // store's clock), a new update must be able to take each over. No holder, no wait.
  const held: { name: StackName; holder: string }[] = [];
  for (const name of all) {
    const got = await api.call('GET', stackApiPath(name), { kind: 'get', ref: name });
    // `currentOperation` is there only while an update holds the lease; `activeUpdate` alone may
    // name the last update of an idle stack.
    const body = got.body as { activeUpdate?: string; currentOperation?: unknown } | undefined;
    const holder = body?.currentOperation ? body.activeUpdate : undefined;
    if (acked(got) && holder) held.push({ name, holder });
  }
  if (held.length > 0) await sleep((leaseSeconds + 3) * 1000);
  const takeovers: Takeover[] = [];
  for (const { name, holder } of held) takeovers.push(await takeOver(api, name, holder));

  const gets = new Map<string, Op>();
  const stacks: FinalStack[] = [];
  for (const name of all) {
    const got = await api.call('GET', stackApiPath(name), { kind: 'get', ref: name });
    gets.set(nameKey(name), got);
    if (acked(got)) stacks.push(await readStack(api, name, got));
  }
  const listing = await listAll(api);

  await prepare(store, all);
  const bucket = await scanBucket(store);
  const bucketNames = bucket.map((b) => b.name);

  const removals: Removal[] = [];
  for (const name of uniqueNames([...all, ...bucketNames])) removals.push(await removeOrCreate(api, name));
  await prepare(store, all);
  const bucketAfterRemoval = await scanBucket(store);

  return { names: all, takeovers, gets, stacks, listing: listing.stacks, listingOps: [...listed.ops, ...listing.ops], bucket, removals, bucketAfterRemoval };
}

async function takeOver(api: ApiClient, name: StackName, holder: string): Promise<Takeover> {
  const S = stackApiPath(name);
  const ops: Op[] = [];
  for (let attempt = 1; attempt <= TAKEOVER_ATTEMPTS; attempt++) {
    const created = await api.call('POST', `${S}/update`, { kind: 'update-create', ref: name, body: programRequest(false) });
    ops.push(created);
    const id = (created.body as { updateID?: string } | undefined)?.updateID;
    if (acked(created) && id) {
      created.updateId = id;
      const started = await api.call('POST', `${S}/update/${id}`, { kind: 'update-start', ref: name, updateId: id, body: {} });
      ops.push(started);
      const token = (started.body as { token?: string } | undefined)?.token;
      if (acked(started) && token) {
        const done = await api.call('POST', `${S}/update/${id}/complete`, {
          kind: 'complete',
          ref: name,
          updateId: id,
          auth: `update-token ${token}`,
          body: { status: 'succeeded' },
        });
        ops.push(done);
        return { name, holder, ok: acked(done), ops };
      }
    }
    await sleep(1_500);
  }
  return { name, holder, ok: false, ops };
}

async function readStack(api: ApiClient, name: StackName, getOp: Op): Promise<FinalStack> {
  const S = stackApiPath(name);
  const view = getOp.body as { id: string; version: number };
  const historyOp = await api.call('GET', `${S}/updates?pageSize=1000&page=1`, { kind: 'history', ref: name });
  const history = ((historyOp.body as { updates?: HistoryEntryView[] } | undefined)?.updates ?? []).map((e) => ({
    updateID: e.updateID,
    version: e.version,
    kind: e.kind,
    result: e.result,
  }));
  const latest = exportView(await api.call('GET', `${S}/export`, { kind: 'export', ref: name }));
  const versions = new Map<number, ExportView>();
  for (let v = 1; v <= view.version && v <= 10_000; v++) {
    versions.set(v, exportView(await api.call('GET', `${S}/export/${v}`, { kind: 'export', ref: name })));
  }
  return { name, id: view.id, version: view.version, getOp, historyOp, history, latest, versions };
}

/** Markers are the `outputs.marker` of a deployment's resources (see workload `deployment`). */
export function markersOf(body: unknown): string[] {
  const resources = (body as { deployment?: { resources?: unknown } } | undefined)?.deployment?.resources;
  if (!Array.isArray(resources)) return [];
  return resources.flatMap((r) => {
    const m = (r as { outputs?: { marker?: unknown } } | null)?.outputs?.marker;
    return typeof m === 'string' ? [m] : [];
  });
}

/** Markers of the resources of a deployment's `pending_operations` (journal-batches.ts puts them in the inputs). */
export function pendingMarkersOf(body: unknown): string[] {
  const ops = (body as { deployment?: { pending_operations?: unknown } } | undefined)?.deployment?.pending_operations;
  if (!Array.isArray(ops)) return [];
  return ops.flatMap((o) => {
    const res = (o as { resource?: { inputs?: { marker?: unknown }; outputs?: { marker?: unknown } } } | null)?.resource;
    const m = res?.inputs?.marker ?? res?.outputs?.marker;
    return typeof m === 'string' ? [m] : [];
  });
}

export function exportView(op: Op): ExportView {
  const problem = acked(op) ? deploymentProblem(op.body) : `answered ${op.status}`;
  return { op, valid: !problem, ...(problem && { problem }), markers: markersOf(op.body), pending: pendingMarkersOf(op.body) };
}

/**
 * What keeps an export from being a deployment the CLI reads back (apitype.UntypedDeployment,
 * DeploymentV3): version 3 (or 4 with features), `resources` an array, null or absent (Go's
 * omitempty), each with a URN, no URN twice unless one copy is marked for deletion (the CLI's
 * snapshot integrity check), and `pending_operations` each an operation on a resource.
 */
export function deploymentProblem(body: unknown): string | undefined {
  const b = body as { version?: unknown; deployment?: { resources?: unknown; pending_operations?: unknown } } | undefined;
  if (b?.version !== 3 && b?.version !== 4) return `version is ${JSON.stringify(b?.version)}`;
  const d = b.deployment;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return 'no deployment object';
  if (d.resources !== undefined && d.resources !== null && !Array.isArray(d.resources)) return 'resources is not an array';
  const live = new Set<string>();
  for (const r of (d.resources as unknown[] | null | undefined) ?? []) {
    const res = r as { urn?: unknown; delete?: unknown } | null;
    if (typeof res?.urn !== 'string') return 'a resource has no URN';
    if (res.delete === true) continue;
    if (live.has(res.urn)) return `URN ${res.urn} appears twice`;
    live.add(res.urn);
  }
  if (d.pending_operations !== undefined && d.pending_operations !== null) {
    if (!Array.isArray(d.pending_operations)) return 'pending_operations is not an array';
    for (const o of d.pending_operations) {
      const op = o as { type?: unknown; resource?: { urn?: unknown } } | null;
      if (typeof op?.type !== 'string' || typeof op.resource?.urn !== 'string') return 'a pending operation has no type or resource URN';
    }
  }
  return undefined;
}

async function listAll(api: ApiClient): Promise<{ stacks: { name: StackName; id: string }[]; ops: Op[] }> {
  const stacks: { name: StackName; id: string }[] = [];
  const ops: Op[] = [];
  let token: string | undefined;
  for (let page = 0; page < 50; page++) {
    const op = await api.call('GET', `/api/user/stacks${token ? `?continuationToken=${encodeURIComponent(token)}` : ''}`, { kind: 'list' });
    ops.push(op);
    const body = op.body as { stacks?: { id: string; orgName: string; projectName: string; stackName: string }[]; continuationToken?: string } | undefined;
    for (const s of body?.stacks ?? []) stacks.push({ name: { org: s.orgName, project: s.projectName, stack: s.stackName }, id: s.id });
    token = body?.continuationToken;
    if (!token) break;
  }
  return { stacks, ops };
}

/** A name must answer 404 and be creatable, or answer 200 and be deletable with force. */
async function removeOrCreate(api: ApiClient, name: StackName): Promise<Removal> {
  const S = stackApiPath(name);
  const ops: Op[] = [];
  const call = async (method: string, path: string, kind: Op['kind'], body?: unknown) => {
    const op = await api.call(method, path, { kind, ref: name, ...(body !== undefined && { body }) });
    ops.push(op);
    return op;
  };
  const got = await call('GET', S, 'get');
  if (got.status === 404) {
    const created = await call('POST', `/api/stacks/${name.org}/${name.project}`, 'create', { stackName: name.stack });
    if (!acked(created)) return { name, ok: false, why: `GET answers 404 but create answers ${created.status}`, ops };
    const gotNew = await call('GET', S, 'get');
    if (!acked(gotNew)) return { name, ok: false, why: `create answered ${created.status} but GET then answers ${gotNew.status}`, ops };
  } else if (!acked(got)) {
    return { name, ok: false, why: `GET answers ${got.status}`, ops };
  }
  const deleted = await call('DELETE', `${S}?force=true`, 'delete');
  if (deleted.status !== 204) return { name, ok: false, why: `DELETE ?force=true answers ${deleted.status}`, ops };
  const gone = await call('GET', S, 'get');
  if (gone.status !== 404) return { name, ok: false, why: `after a 204 delete, GET answers ${gone.status}`, ops };
  return { name, ok: true, ops };
}

function uniqueNames(list: StackName[]): StackName[] {
  const seen = new Map<string, StackName>();
  for (const n of list) seen.set(nameKey(n), n);
  return [...seen.values()].sort((a, b) => nameKey(a).localeCompare(nameKey(b)));
}
