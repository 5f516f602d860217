/**
 * Backup and restore at the API level (src/operations/backup.ts, restore.ts), on the memory and
 * filesystem stores: a store with history, tags, tokens, a rename, a deleted stack and an update
 * in flight is backed up and restored into an empty store, and a pod over the restored store
 * serves the same stacks byte for byte. Then the refusals (a non-empty target or destination, a
 * wrong keyring, no manifest), --force over a store that moved on, and the captures a move or a
 * delete tears apart while the backup reads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { FilesystemStore } from '../../src/storage/filesystem-store.js';
import { layout } from '../../src/storage/layout.js';
import { backup } from '../../src/operations/backup.js';
import { restore } from '../../src/operations/restore.js';
import { MANIFEST_KEY } from '../../src/operations/backup-manifest.js';
import { objectsUnder } from '../../src/operations/stack-inventory.js';
import { Client, createOrgs, makeApi } from '../helpers/api.js';
import { HookStore } from '../helpers/hook-store.js';
import { createStack, expectWhole, labelOf, pathOf, runUpdate, snapshotStack, startUpdate, type StackName, type StackSnapshot } from '../helpers/backup-fixture.js';

const KEYRING = [{ id: 'k1', key: Buffer.alloc(32, 7) }];
const org = 'acme';
const at = (project: string, stack: string): StackName => ({ org, project, stack });

async function keysOf(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of objectsUnder(store, '')) keys.push(info.key);
  return keys;
}

async function expectRejection(p: Promise<unknown>, pattern: RegExp): Promise<Error> {
  try {
    await p;
  } catch (err) {
    expect((err as Error).message).to.match(pattern);
    return err as Error;
  }
  throw new Error(`expected a rejection matching ${pattern}`);
}

interface Stores {
  make(name: string): Promise<ObjectStore>;
  cleanup(): Promise<void>;
}

const memoryStores = async (): Promise<Stores> => ({ make: async () => new MemoryStore(), cleanup: async () => undefined });

async function filesystemStores(): Promise<Stores> {
  const root = await mkdtemp(join(tmpdir(), 'fulmar-backup-'));
  return { make: async (name) => new FilesystemStore(join(root, name)), cleanup: () => rm(root, { recursive: true, force: true }) };
}

for (const [name, storesOf] of [
  ['memory', memoryStores],
  ['filesystem', filesystemStores],
] as const) {
  describe(`backup and restore on the ${name} store`, function () {
    this.timeout(60_000);
    let stores: Stores;
    let source: ObjectStore;
    let src: Client;
    const a = at('proj', 'alpha');
    const renamedFrom = at('proj', 'bravo-old');
    const b = at('proj', 'bravo');
    const c = at('proj', 'charlie');
    const d = at('proj', 'delta');
    const e = at('proj', 'echo');
    const f = at('other', 'foxtrot');
    const live = [a, b, d, e, f];
    let snapshots: Map<string, StackSnapshot>;
    let aliceToken: string;
    let ciphertext: string;
    let inFlight: Awaited<ReturnType<typeof startUpdate>>;

    before(async () => {
      stores = await storesOf();
      source = await stores.make('source');
      src = new Client([makeApi(source, { keyring: KEYRING }).app]);
      await createOrgs(src, org);
      const minted = await src.call('post', '/api/admin/users/alice/tokens', { description: 'for the restore test' });
      expect(minted.status, minted.text).to.equal(200);
      aliceToken = minted.body.tokenValue;
      expect((await src.call('put', `/api/orgs/${org}/members/alice`, { role: 'member' })).status).to.equal(200);

      await createStack(src, a, { team: 'blue' });
      for (const m of ['one', 'two', 'three']) await runUpdate(src, a, m);
      const preview = await startUpdate(src, a, 'preview');
      await preview.events(0, 2);
      await preview.complete();
      const enc = await src.call('post', `${pathOf(a)}/encrypt`, { plaintext: Buffer.from('s3cret').toString('base64') });
      expect(enc.status).to.equal(200);
      ciphertext = enc.body.ciphertext;

      await createStack(src, renamedFrom);
      await runUpdate(src, renamedFrom, 'b1');
      await runUpdate(src, renamedFrom, 'b2');
      expect((await src.call('post', `${pathOf(renamedFrom)}/rename`, { newName: b.stack })).status).to.equal(204);

      await createStack(src, c);
      await runUpdate(src, c, 'c1');
      expect((await src.call('delete', `${pathOf(c)}?force=true`)).status).to.equal(204);

      await createStack(src, d);
      await createStack(src, e);
      await runUpdate(src, e, 'e1');
      inFlight = await startUpdate(src, e);
      await inFlight.checkpoint(5, 'e2-uncommitted');
      await inFlight.events(0, 2);
      await createStack(src, f);
      await runUpdate(src, f, 'f1', 2);

      snapshots = new Map();
      for (const s of live) snapshots.set(labelOf(s), await snapshotStack(src, s));
      expect(snapshots.get(labelOf(e))?.version).to.equal(1);
    });
    after(() => stores?.cleanup());

    it('restores into an empty store: every stack at its captured version, byte for byte, with history, tags, events, tokens and secrets', async () => {
      const dest = await stores.make('backup-1');
      const { manifest } = await backup(source, dest);
      expect(manifest.format).to.equal('fulmar-backup');
      const byName = new Map(manifest.stacks.map((s) => [s.stack, s]));
      expect([...byName.keys()].sort()).to.deep.equal([a, renamedFrom, b, c, d, e, f].map(labelOf).sort());
      expect(byName.get(labelOf(a))).to.include({ state: 'live', version: 3 });
      expect(byName.get(labelOf(c))).to.include({ state: 'tombstone' });
      expect(byName.get(labelOf(e))?.leftOutUpdate).to.deep.equal({ updateId: inFlight.id, kind: 'update', sealed: false });
      expect(manifest.keyIds).to.deep.equal(['k1']);
      expect(manifest.objects.checkpoints.count).to.equal(3 + 2 + 1 + 1);
      expect(manifest.leftOut.updates, 'the update in flight').to.equal(1);
      // The backup is a bucket in the layout: its keys are the source's (less what it leaves out).
      const destKeys = new Set(await keysOf(dest));
      expect(destKeys.has(MANIFEST_KEY)).to.equal(true);
      for (const key of await keysOf(source)) {
        if (key.startsWith('_system/probe/') || /\/updates\/[^/]+\/(checkpoints|journal)\//.test(key) || key.includes(inFlight.id)) continue;
        expect(destKeys.has(key), key).to.equal(true);
      }

      const target = await stores.make('target-1');
      const result = await restore(dest, target, KEYRING);
      expect(result.registers).to.deep.include({ create: 7, replace: 0 });
      await expectWhole(target);
      const tgt = new Client([makeApi(target, { keyring: KEYRING }).app]);
      for (const s of live) expect(await snapshotStack(tgt, s), labelOf(s)).to.deep.equal(snapshots.get(labelOf(s)));
      expect((await tgt.call('get', pathOf(renamedFrom))).status).to.equal(404);
      expect((await tgt.call('get', pathOf(c))).status).to.equal(404);
      // The register of a stack restored from a backup is the source's, byte for byte (no lease there).
      const aMeta = layout.metaKey(a);
      expect((await target.get(aMeta)).body).to.deep.equal((await source.get(aMeta)).body);

      // Users, tokens, their owner index, orgs, the reference index and the canary: byte for byte.
      for (const key of (await keysOf(source)).filter((k) => k.startsWith('_system/') && !k.startsWith('_system/probe/'))) {
        expect((await target.get(key)).body, key).to.deep.equal((await source.get(key)).body);
      }
      const alice = tgt.withAuth(`token ${aliceToken}`);
      expect((await alice.call('get', '/api/user')).body.githubLogin).to.equal('alice');
      expect((await alice.call('get', pathOf(a))).status).to.equal(200);
      const dec = await tgt.call('post', `${pathOf(a)}/decrypt`, { ciphertext });
      expect(Buffer.from(dec.body.plaintext, 'base64').toString()).to.equal('s3cret');

      // The stack captured mid-update is at its last committed version, and free for the next one.
      const got = await tgt.call('get', pathOf(e));
      expect(got.body).to.include({ version: 1 });
      expect(got.body).not.to.have.property('currentOperation');
      const next = await startUpdate(tgt, e);
      expect(next.version).to.equal(2);
      await next.checkpoint(2, 'after-restore');
      await next.complete();
    });

    it('refuses a target that is not empty, and with --force finds everything already there', async () => {
      const dest = await stores.make('backup-2');
      await backup(source, dest);
      const target = await stores.make('target-2');
      await restore(dest, target, KEYRING);
      await expectRejection(restore(dest, target, KEYRING), /target store is not empty/);
      const again = await restore(dest, target, KEYRING, { force: true });
      expect(again.registers).to.deep.include({ create: 0, replace: 0, unchanged: 7 });
    });

    it('refuses a keyring that cannot open the secrets, naming the key, before writing anything', async () => {
      const dest = await stores.make('backup-3');
      await backup(source, dest);
      const target = await stores.make('target-3');
      await expectRejection(restore(dest, target, [{ id: 'k2', key: Buffer.alloc(32, 9) }]), /master key "k1" is not in the configured keyring \(it has "k2"\).*5 stack/);
      await expectRejection(restore(dest, target, [{ id: 'k1', key: Buffer.alloc(32, 9) }]), /master key "k1" in the configured keyring is not the key that wrapped them/);
      expect(await keysOf(target)).to.deep.equal([]);
      // A ring that holds the old key after a new active one opens them.
      const rotated = [{ id: 'k2', key: Buffer.alloc(32, 9) }, ...KEYRING];
      const done = await restore(dest, target, rotated);
      expect(done.registers.create).to.equal(7);
      const tgt = new Client([makeApi(target, { keyring: rotated }).app]);
      const dec = await tgt.call('post', `${pathOf(a)}/decrypt`, { ciphertext });
      expect(Buffer.from(dec.body.plaintext, 'base64').toString()).to.equal('s3cret');
    });

    it('refuses a destination that is not empty; --force replaces it, copying only what is new', async () => {
      const dest = await stores.make('backup-4');
      const first = await backup(source, dest);
      await expectRejection(backup(source, dest), /destination is not empty/);
      const second = await backup(source, dest, { force: true });
      expect(second.manifest.id).not.to.equal(first.manifest.id);
      expect(second.reused).to.equal(first.manifest.objects.checkpoints.count + first.manifest.objects.history.count + first.manifest.objects.events.count);
      // A stray key from elsewhere is removed; the manifest is the new one.
      await dest.put('stray/left/over/meta.json', Buffer.from('{}'));
      const third = await backup(source, dest, { force: true });
      expect(third.removed).to.equal(1);
      expect(JSON.parse((await dest.get(MANIFEST_KEY)).body.toString()).id).to.equal(third.manifest.id);
    });

    it('refuses a source without a manifest (not a backup, or one that did not finish)', async () => {
      const empty = await stores.make('not-a-backup');
      await expectRejection(restore(empty, await stores.make('target-5'), KEYRING), /holds no fulmar-backup\.json/);
      const dest = await stores.make('backup-5');
      await backup(source, dest);
      await dest.delete(MANIFEST_KEY);
      await expectRejection(restore(dest, await stores.make('target-6'), KEYRING), /did not finish/);
    });

    it('--dry-run counts what would be written and writes nothing', async () => {
      const dest = await stores.make('backup-7');
      const { manifest } = await backup(source, dest);
      const target = await stores.make('target-7');
      const dry = await restore(dest, target, KEYRING, { dryRun: true });
      expect(dry.dryRun).to.equal(true);
      expect(dry.registers.create).to.equal(7);
      for (const kind of ['checkpoints', 'history', 'updates', 'events', 'registers'] as const) expect(dry.objects[kind], kind).to.deep.equal(manifest.objects[kind]);
      expect(await keysOf(target)).to.deep.equal([]);
    });

    it('--force over a store that moved on brings the backup back under a fresh incarnation, without stale versions', async () => {
      const dest = await stores.make('backup-8');
      await backup(source, dest);
      const target = await stores.make('target-8');
      await restore(dest, target, KEYRING);
      const tgt = new Client([makeApi(target, { keyring: KEYRING }).app]);
      await runUpdate(tgt, a, 'four', 4);
      await runUpdate(tgt, a, 'five', 5);
      expect((await tgt.call('get', pathOf(a))).body.version).to.equal(5);

      const result = await restore(dest, target, KEYRING, { force: true });
      expect(result.stacks.find((s) => s.stack === labelOf(a))).to.include({ action: 'replace', version: 3 });
      // Run again (as after an interruption), it finds that stack restored under the incarnation it chose.
      const rerun = await restore(dest, target, KEYRING, { force: true });
      expect(rerun.stacks.find((s) => s.stack === labelOf(a))).to.include({ action: 'unchanged', incarnation: result.stacks.find((s) => s.stack === labelOf(a))?.incarnation });
      const fresh = new Client([makeApi(target, { keyring: KEYRING }).app]);
      expect(await snapshotStack(fresh, a)).to.deep.equal(snapshots.get(labelOf(a)));
      expect((await fresh.call('get', `${pathOf(a)}/export/4`)).status).to.equal(404);
      // The next update commits its own state as version 4, not the one the store had before.
      const id = await runUpdate(fresh, a, 'four-again', 2);
      const v4 = JSON.parse((await fresh.call('get', `${pathOf(a)}/export/4`)).text);
      expect(v4.deployment.resources[0].outputs.marker).to.equal('four-again');
      expect((await fresh.call('get', `${pathOf(a)}/updates/latest`)).body.updateID).to.equal(id);
      // The dead incarnation was swept: one incarnation under the name.
      await expectWhole(target);
      const incarnations = new Set((await keysOf(target)).filter((k) => k.startsWith(layout.incarnationsPrefix(a))).map((k) => k.split('/')[4]));
      expect(incarnations.size).to.equal(1);
    });
  });
}

describe('backup while stacks move and vanish (captures torn between two register reads)', function () {
  this.timeout(30_000);
  const org2 = 'acme';
  const proj = 'proj';

  async function world() {
    const inner = new MemoryStore();
    const hooked = new HookStore(inner);
    const client = new Client([makeApi(inner, { keyring: KEYRING }).app]);
    await createOrgs(client, org2);
    return { inner, hooked, client };
  }

  it('a rename landing after the source was read: the stack is kept once, at its new name', async () => {
    const { hooked, client } = await world();
    const from = at(proj, 'a-src');
    const to = at(proj, 'z-dst');
    await createStack(client, from);
    await runUpdate(client, from, 'm1');
    hooked.after('get', (k) => k === layout.metaKey(from), async () => {
      const res = await client.call('post', `${pathOf(from)}/rename`, { newName: to.stack });
      expect(res.status, res.text).to.equal(204);
    });
    // Listing happens before the rename: z-dst is not among the names found, yet it is captured.
    const dest = new MemoryStore();
    const { manifest } = await backup(hooked, dest, { concurrency: 1 });
    expect(hooked.pending).to.equal(0);
    const states = Object.fromEntries(manifest.stacks.map((s) => [s.stack, s.state]));
    expect(states).to.deep.equal({ [labelOf(from)]: 'tombstone', [labelOf(to)]: 'live' });
    const target = new MemoryStore();
    await restore(dest, target, KEYRING);
    const tgt = new Client([makeApi(target, { keyring: KEYRING }).app]);
    expect(await snapshotStack(tgt, to)).to.deep.equal(await snapshotStack(client, to));
  });

  it('a rename landing before the source is read: the target, never listed, is captured', async () => {
    const { hooked, client } = await world();
    const from = at(proj, 'z-src');
    const to = at(proj, 'a-dst');
    await createStack(client, from);
    await runUpdate(client, from, 'm1');
    hooked.before('get', (k) => k === layout.metaKey(from), async () => {
      expect((await client.call('post', `${pathOf(from)}/rename`, { newName: to.stack })).status).to.equal(204);
    });
    const dest = new MemoryStore();
    const { manifest } = await backup(hooked, dest, { concurrency: 1 });
    expect(manifest.stacks.map((s) => [s.stack, s.state, s.version])).to.deep.equal([
      [labelOf(to), 'live', 1],
      [labelOf(from), 'tombstone', 1],
    ]);
  });

  it('a stack deleted after its capture: its objects vanished, so it is captured again as the tombstone', async () => {
    const { hooked, client } = await world();
    const s = at(proj, 'doomed');
    await createStack(client, s);
    await runUpdate(client, s, 'm1');
    hooked.after('get', (k) => k === layout.metaKey(s), async () => {
      expect((await client.call('delete', `${pathOf(s)}?force=true`)).status).to.equal(204);
    });
    const dest = new MemoryStore();
    const { manifest } = await backup(hooked, dest, { concurrency: 1 });
    expect(manifest.stacks.map((x) => [x.stack, x.state])).to.deep.equal([[labelOf(s), 'tombstone']]);
    expect((await keysOf(dest)).filter((k) => k.startsWith(layout.stackPrefix(s)))).to.deep.equal([layout.metaKey(s)]);
  });

  it('a move frozen halfway (the claim failed): the source is kept as it stood before the move', async () => {
    const { inner, client } = await world();
    const from = at(proj, 'frozen');
    const to = at(proj, 'unclaimed');
    await createStack(client, from);
    await runUpdate(client, from, 'm1');
    // Step 1 of a move (the freeze) done, step 2 (the claim) never: the mark alone.
    const meta = JSON.parse((await inner.get(layout.metaKey(from))).body.toString());
    await inner.put(layout.metaKey(from), Buffer.from(JSON.stringify({ ...meta, moving: { to, incarnation: 'f'.repeat(32) } })));
    const dest = new MemoryStore();
    const { manifest } = await backup(inner, dest);
    expect(manifest.stacks.map((x) => [x.stack, x.state, x.version])).to.deep.equal([[labelOf(from), 'live', 1]]);
    const restored = JSON.parse((await dest.get(layout.metaKey(from))).body.toString());
    expect(restored).not.to.have.property('moving');
    expect(restored.incarnation).to.equal(meta.incarnation);
  });

  it('a committed move whose target was not finished yet: the claim is kept as the live stack', async () => {
    const { inner, client } = await world();
    const from = at(proj, 'leaving');
    const to = at(proj, 'arriving');
    await createStack(client, from);
    await runUpdate(client, from, 'm1');
    // Rename, then put the target back into its claimed state, as if step 5 had not run yet.
    expect((await client.call('post', `${pathOf(from)}/rename`, { newName: to.stack })).status).to.equal(204);
    const landed = JSON.parse((await inner.get(layout.metaKey(to))).body.toString());
    await inner.put(layout.metaKey(to), Buffer.from(JSON.stringify({ ...landed, movingIn: { from } })));
    const dest = new MemoryStore();
    const { manifest } = await backup(inner, dest);
    expect(manifest.stacks.map((x) => [x.stack, x.state])).to.deep.equal([
      [labelOf(to), 'live'],
      [labelOf(from), 'tombstone'],
    ]);
    expect(JSON.parse((await dest.get(layout.metaKey(to))).body.toString())).not.to.have.property('movingIn');
    // A claim whose source is still frozen (steps 1 and 2 done, not the flip) is not a stack yet.
    const still = at(proj, 'staying');
    const claimed = at(proj, 'claimed');
    await createStack(client, still);
    await runUpdate(client, still, 'm1');
    const J = 'c'.repeat(32);
    const meta = JSON.parse((await inner.get(layout.metaKey(still))).body.toString());
    await inner.put(layout.metaKey(still), Buffer.from(JSON.stringify({ ...meta, moving: { to: claimed, incarnation: J } })));
    await inner.put(layout.metaKey(claimed), Buffer.from(JSON.stringify({ ...meta, ...claimed, incarnation: J, movingIn: { from: still } })));
    const second = await backup(inner, new MemoryStore());
    expect(second.manifest.stacks.map((x) => [x.stack, x.state])).to.deep.equal([
      [labelOf(to), 'live'],
      [labelOf(from), 'tombstone'],
      [labelOf(still), 'live'],
    ]);
  });

  it('stops on a committed version missing from the source (damage, not a race)', async () => {
    const { inner, client } = await world();
    const s = at(proj, 'damaged');
    await createStack(client, s);
    await runUpdate(client, s, 'm1');
    const meta = JSON.parse((await inner.get(layout.metaKey(s))).body.toString());
    await inner.delete(layout.checkpointKey({ ...s, incarnation: meta.incarnation }, 1));
    await expectRejection(backup(inner, new MemoryStore()), /is at version 1 but .*checkpoints\/0000000001\.json is missing/);
  });
});

describe('backup and restore of a stack layout 1 wrote (no incarnation)', () => {
  it('keeps its objects at the layout-1 keys, and with --force moves them under a fresh incarnation', async () => {
    const store = new MemoryStore();
    const api = new Client([makeApi(store, { keyring: KEYRING }).app]);
    await createOrgs(api, org);
    const s = at('p', 'old');
    await createStack(api, at('p', 'keysource'));
    const donor = JSON.parse((await store.get(layout.metaKey(at('p', 'keysource')))).body.toString());
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));
    await store.put(layout.metaKey(s), json({ ...donor, schema: 1, stack: s.stack, incarnation: undefined, version: 1, resourceCount: 2, nonce: 'x' }));
    await store.put(layout.checkpointKey(s, 1), json({ version: 3, deployment: { resources: [{ urn: 'urn:pulumi:old::p::a:b:C::r', type: 'a:b:C' }] } }));
    const entry = { updateId: '00000000-0000-4000-8000-000000000001', kind: 'update', startTime: 1, endTime: 2, message: '', environment: {}, config: {}, result: 'succeeded', version: 1, resourceCount: 1 };
    await store.put(layout.historyKey(s, 1), json(entry));
    const snapshot = await snapshotStack(api, s);

    const dest = new MemoryStore();
    await backup(store, dest);
    expect((await dest.get(layout.checkpointKey(s, 1))).body).to.deep.equal((await store.get(layout.checkpointKey(s, 1))).body);
    const target = new MemoryStore();
    await restore(dest, target, KEYRING);
    expect(await snapshotStack(new Client([makeApi(target, { keyring: KEYRING }).app]), s)).to.deep.equal(snapshot);

    // Over a target where the stack moved on: the backup's version 1 under a fresh incarnation.
    const tgt = new Client([makeApi(target, { keyring: KEYRING }).app]);
    await runUpdate(tgt, s, 'v2');
    const replaced = await restore(dest, target, KEYRING, { force: true });
    const incarnation = replaced.stacks.find((x) => x.stack === labelOf(s))?.incarnation as string;
    expect(incarnation).to.match(/^[0-9a-f]{32}$/);
    expect((await keysOf(target)).filter((k) => k.startsWith(layout.stackPrefix(s))).sort()).to.deep.equal(
      [layout.metaKey(s), layout.checkpointKey({ ...s, incarnation }, 1), layout.historyKey({ ...s, incarnation }, 1)].sort(),
    );
    expect(await snapshotStack(new Client([makeApi(target, { keyring: KEYRING }).app]), s)).to.deep.equal(snapshot);
  });
});
