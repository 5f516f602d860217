/**
 * Stacks with history for the backup and restore tests (test/api/backup-*.test.ts): updates driven
 * through the HTTP API as the CLI drives them, and a snapshot of everything a restore must bring
 * back — versions, the export of every version byte for byte, history, tags, events — read through
 * the API of a pod over the store.
 */
import { expect } from 'chai';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { incarnationOfKey, layout } from '../../src/storage/layout.js';
import { liveIncarnation, locOf, type StackMeta } from '../../src/domain/stack-meta.js';
import { stackObjects, stacksIn } from '../../src/operations/stack-inventory.js';
import { Client, deployment, programRequest, stackPath } from './api.js';

export interface StackName {
  org: string;
  project: string;
  stack: string;
}

export const pathOf = (s: StackName) => stackPath(s.org, s.project, s.stack);
export const labelOf = (s: StackName) => `${s.org}/${s.project}/${s.stack}`;

export async function createStack(client: Client, s: StackName, tags: Record<string, string> = {}): Promise<void> {
  const res = await client.call('post', `/api/stacks/${s.org}/${s.project}`, { stackName: s.stack, tags: { 'pulumi:project': s.project, ...tags } });
  expect(res.status, res.text).to.equal(200);
}

/** Creates and starts an update (checkpoints, not journal); `kind` preview is a dry run. */
export async function startUpdate(client: Client, s: StackName, kind: 'update' | 'preview' = 'update') {
  const S = pathOf(s);
  const created = await client.call('post', `${S}/${kind}`, programRequest(kind === 'preview'));
  expect(created.status, created.text).to.equal(200);
  const id = created.body.updateID as string;
  const started = await client.call('post', `${S}/update/${id}`, { tags: { 'pulumi:project': s.project }, journalVersion: 0 });
  expect(started.status, started.text).to.equal(200);
  const token = started.body.token as string;
  const U = `${S}/update/${id}`;
  const ut = { auth: `update-token ${token}`, gzip: true };
  return {
    id,
    version: started.body.version as number,
    checkpoint: async (resources: number, marker: string) => {
      const res = await client.call('patch', `${U}/checkpoint`, { isInvalid: false, ...deployment(s.project, s.stack, resources, marker) }, ut);
      expect(res.status, res.text).to.equal(200);
    },
    events: async (first: number, n: number) => {
      const events = Array.from({ length: n }, (_, i) => ({ sequence: first + i, timestamp: first + i, stdoutEvent: { message: `line ${first + i}`, color: 'raw' } }));
      const res = await client.call('post', `${U}/events/batch`, { events }, ut);
      expect(res.status, res.text).to.equal(200);
    },
    complete: async (status: 'succeeded' | 'failed' = 'succeeded') => {
      const res = await client.call('post', `${U}/complete`, { status }, { auth: `update-token ${token}` });
      expect(res.status, res.text).to.equal(200);
    },
  };
}

/** One whole update: a checkpoint or two, a few events, complete. */
export async function runUpdate(client: Client, s: StackName, marker: string, resources = 3): Promise<string> {
  const u = await startUpdate(client, s);
  await u.checkpoint(1, `${marker}-partial`);
  await u.events(0, 3);
  await u.checkpoint(resources, marker);
  await u.complete();
  return u.id;
}

export interface StackSnapshot {
  /** The version snapshotted: the one asked for, or the stack's current one. */
  version: number;
  tags: Record<string, string>;
  /** `exports[v - 1]`: the bytes of `GET …/export/v`. */
  exports: Buffer[];
  history: unknown[];
  /** Engine events of each update in the history, by update id (or the status of a failed read). */
  events: Record<string, unknown[]>;
}

/** Everything a restore must bring back of a stack, read through a pod's API, up to `version` (default: its current one). */
export async function snapshotStack(client: Client, s: StackName, version?: number): Promise<StackSnapshot> {
  const S = pathOf(s);
  const got = await client.call('get', S);
  expect(got.status, `${labelOf(s)}: ${got.text}`).to.equal(200);
  const upTo = version ?? (got.body.version as number);
  const exports: Buffer[] = [];
  for (let v = 1; v <= upTo; v++) {
    const res = await client.call('get', `${S}/export/${v}`).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status, `${labelOf(s)} export ${v}`).to.equal(200);
    exports.push(res.body as Buffer);
  }
  const history = (await client.call('get', `${S}/updates?pageSize=500&page=1`)).body.updates as { version: number; updateID?: string; updateId?: string }[];
  const kept = history.filter((h) => h.version <= upTo);
  const events: Record<string, unknown[]> = {};
  for (const h of kept) {
    const id = (h as { updateID?: string }).updateID ?? '';
    if (!id) continue;
    // A stack written by hand (layout 1 in a test) may have history without records: compare the status then.
    const res = await client.call('get', `${S}/update/${id}/events`);
    events[id] = res.status === 200 ? res.body.events : [{ status: res.status }];
  }
  return { version: upTo, tags: got.body.tags, exports, history: kept, events };
}

/**
 * What `fulmar verify` checks of a restored store, checked directly on its keys: every live
 * register's versions 1..version have their checkpoint and history entry, no register holds a
 * lease or a move mark, and no object lies under an incarnation its register does not name.
 */
export async function expectWhole(store: ObjectStore): Promise<void> {
  for await (const ref of stacksIn(store)) {
    const got = await store.get(layout.metaKey(ref));
    const meta = JSON.parse(got.body.toString()) as StackMeta;
    const label = labelOf(ref);
    expect(meta.lease, `${label} lease`).to.equal(null);
    expect(meta, label).not.to.have.any.keys('moving', 'movingIn');
    const keys = new Set((await stackObjects(store, ref)).map((o) => o.info.key));
    const live = liveIncarnation(meta);
    for (const key of keys) if (key !== layout.metaKey(ref)) expect(incarnationOfKey(ref, key), `${key} belongs to ${label}'s incarnation`).to.equal(live);
    if (meta.deleted) continue;
    for (let v = 1; v <= meta.version; v++) {
      expect(keys.has(layout.checkpointKey(locOf(meta), v)), `${label} checkpoint ${v}`).to.equal(true);
      expect(keys.has(layout.historyKey(locOf(meta), v)), `${label} history ${v}`).to.equal(true);
    }
  }
}
