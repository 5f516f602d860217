/**
 * `fulmar verify` and `fulmar gc` as operations over a memory bucket shared by two "pods"
 * (docs/operating.md, "Verify" and "Retention (gc)"): verify is clean after ordinary use, names
 * each deliberately broken object by its key, and gc prunes versions per its rules without
 * touching what a running update needs — after which exports of pruned versions say why, and
 * verify is clean again. Time is the store's ManualClock, so ages and leases are exact.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { prepareBucket } from '../../src/storage/probe.js';
import { layout, type StackRef } from '../../src/storage/layout.js';
import { ManualClock } from '../../src/domain/clock.js';
import { locOf, type StackMeta } from '../../src/domain/stack-meta.js';
import { generateDataKey, wrapDataKey } from '../../src/domain/secrets-crypto.js';
import { isFulmarError } from '../../src/domain/errors.js';
import { buildServiceGraph, type ServiceGraph } from '../../src/services/build-services.js';
import { verifyBucket } from '../../src/operations/verify.js';
import { collectGarbage, type GcOptions } from '../../src/operations/gc.js';
import { rollback } from '../../src/operations/rollback.js';
import { stackObjects, type Scope } from '../../src/operations/stack-inventory.js';
import { Client, createOrgs, makeApi } from '../helpers/api.js';
import { HookStore } from '../helpers/hook-store.js';
import { expectError } from '../helpers/assertions.js';
import { complete, createStack, stackUrl, importVersion, markerOf, postCheckpoint, postEvents, runUpdate, startUpdate } from '../helpers/updates.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const org = 'acme';
const project = 'p';
const keyring = [{ id: 'k1', key: Buffer.alloc(32, 7) }]; // the pods' (test/helpers/api.ts)

interface World {
  clock: ManualClock;
  /** A pass-through until a test hooks a step (test/helpers/hook-store.ts). */
  store: HookStore;
  api: Client;
  /** One pod alone, for what a single pod's cache answers. */
  podA: Client;
  admin: ServiceGraph;
}

async function world(): Promise<World> {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const store = new HookStore(new MemoryStore(clock));
  await prepareBucket(store);
  const apps = [makeApi(store, { clock }).app, makeApi(store, { clock }).app];
  const api = new Client(apps);
  await createOrgs(api, org);
  const admin = buildServiceGraph({ store, keyring, logger: pino({ level: 'silent' }), clock, cacheBytes: 0 });
  return { clock, store, api, podA: new Client([apps[0]!]), admin };
}

const refOf = (stack: string): StackRef => ({ org, project, stack });
const verify = (w: World, scope?: Scope) => verifyBucket(w.store, keyring, scope);
const gc = (w: World, options: GcOptions, scope?: Scope) => collectGarbage(w.store, w.admin.register, scope, options);
const problemsOf = async (w: World, scope?: Scope) => (await verify(w, scope)).problems.map((p) => `${p.kind} ${p.key}`).sort();
async function metaOf(w: World, stack: string): Promise<StackMeta> {
  return (await w.admin.register.readRaw(refOf(stack)))!.meta;
}
const ckpt = (meta: StackMeta, v: number) => layout.checkpointKey(locOf(meta), v);
const hist = (meta: StackMeta, v: number) => layout.historyKey(locOf(meta), v);

describe('verify and gc over a shared bucket', () => {
  describe('verify', () => {
    it('is clean after ordinary use, with an update running meanwhile', async () => {
      const w = await world();
      const a = await createStack(w.api, org, project, 'a');
      await importVersion(w.api, a, 'a1');
      await runUpdate(w.api, a, 'a2');
      const preview = await startUpdate(w.api, a, true);
      await postEvents(w.api, a, preview, 0, 2);
      await complete(w.api, a, preview);
      const b0 = await createStack(w.api, org, project, 'b0');
      await importVersion(w.api, b0, 'b');
      expect((await w.api.call('post', `${b0}/rename`, { newName: 'b' })).status).to.equal(204);
      const c = await createStack(w.api, org, project, 'c');
      await importVersion(w.api, c, 'c');
      expect((await w.api.call('delete', `${c}?force=true`)).status).to.equal(204);
      await createStack(w.api, org, project, 'c'); // the name again, over its tombstone
      const d = await createStack(w.api, org, project, 'd');
      await importVersion(w.api, d, 'd1');
      const running = await startUpdate(w.api, d);
      await postCheckpoint(w.api, d, running, 'd2');
      await postEvents(w.api, d, running, 0, 2);

      const report = await verify(w);
      expect(report.problems).to.deep.equal([]);
      expect(report.busy).to.deep.equal([]);
      expect(report.stacks).to.equal(5); // a, b, b0 (a tombstone now), c, d
      expect(report.objects).to.be.greaterThan(20);
      await complete(w.api, d, running);
      expect(await problemsOf(w)).to.deep.equal([]);
    });

    it('is clean in the middle of a commit, and gc there keeps what the commit needs', async () => {
      const w = await world();
      const S = await createStack(w.api, org, project, 'c');
      await importVersion(w.api, S, 'c1');
      await importVersion(w.api, S, 'c2');
      const u = await startUpdate(w.api, S);
      await postCheckpoint(w.api, S, u, 'c3');
      const meta = await metaOf(w, 'c');
      // The lease is sealed and version 3's checkpoint written; the register still says 2.
      let during: string[] = ['not run'];
      let collected: unknown;
      w.store.after('put', (k) => k === ckpt(meta, 3), async () => {
        during = await problemsOf(w);
        collected = (await gc(w, { keepVersions: 1 }, { org, project, stack: 'c' })).pruned;
      });
      await complete(w.api, S, u);
      expect(w.store.pending).to.equal(0);
      expect(during).to.deep.equal([]);
      expect(collected).to.deep.equal([{ stack: 'acme/p/c', from: 1, to: 1, retainedFrom: 2, latest: 2 }]);
      expect(markerOf(JSON.parse((await w.api.call('get', `${S}/export`)).text))).to.equal('c3');
      expect((await w.api.call('get', S)).body.version).to.equal(3);
      expect(await problemsOf(w)).to.deep.equal([]);
    });

    it('names every deliberately broken object by its key', async () => {
      const w = await world();
      for (const s of ['s1', 's2', 's3', 's4', 's5', 's6', 's7']) {
        const S = await createStack(w.api, org, project, s);
        await importVersion(w.api, S, `${s}-1`);
        await importVersion(w.api, S, `${s}-2`);
      }
      const m = Object.fromEntries(await Promise.all(['s1', 's2', 's3', 's4', 's5', 's6', 's7'].map(async (s) => [s, await metaOf(w, s)] as const)));
      await w.store.delete(ckpt(m.s1!, 1));
      await w.store.put(ckpt(m.s2!, 2), Buffer.from('{"version":3,"deployment":"not an object"}'));
      await w.store.delete(hist(m.s3!, 1));
      // A data key wrapped by a keyring this Fulmar does not have.
      const foreign = wrapDataKey([{ id: 'k1', key: Buffer.alloc(32, 9) }], generateDataKey(), m.s4!.stackId);
      await w.store.put(layout.metaKey(refOf('s4')), Buffer.from(JSON.stringify({ ...m.s4, secrets: foreign })));
      await startUpdate(w.api, stackUrl(org, project, 's5')); // holds s5, then never renews
      const zombie = `${layout.incarnationsPrefix(refOf('s6'))}zombie/`;
      await w.store.put(`${zombie}checkpoints/0000000001.json`, Buffer.from('{}'));
      await w.store.put(`${zombie}history/0000000001.json`, Buffer.from('{}'));
      const stray = `${layout.objectsPrefix(locOf(m.s7!))}notes.txt`;
      await w.store.put(stray, Buffer.from('hello'));
      await w.store.put('acme/p/ghost/i/x/checkpoints/0000000001.json', Buffer.from('{}'));
      await w.store.put('acme/p/README', Buffer.from('loose'));
      await w.store.put('_system/orgs/broken.json', Buffer.from('nope'));

      // Leftovers young enough to be a sweep in progress are not reported yet; nor is a lease just expired.
      w.clock.advance(10 * 60_000);
      expect(await problemsOf(w)).to.deep.equal(
        [
          `checkpoint-missing ${ckpt(m.s1!, 1)}`,
          `checkpoint-invalid ${ckpt(m.s2!, 2)}`,
          `history-missing ${hist(m.s3!, 1)}`,
          `data-key ${layout.metaKey(refOf('s4'))}`,
          `unknown-key ${stray}`,
          'unknown-key acme/p/README',
          'system-object _system/orgs/broken.json',
        ].sort(),
      );

      w.clock.advance(2 * HOUR);
      const report = await verify(w);
      expect(report.problems.map((p) => `${p.kind} ${p.key}`).sort()).to.deep.equal(
        [
          `checkpoint-missing ${ckpt(m.s1!, 1)}`,
          `checkpoint-invalid ${ckpt(m.s2!, 2)}`,
          `history-missing ${hist(m.s3!, 1)}`,
          `data-key ${layout.metaKey(refOf('s4'))}`,
          `lease-dead ${layout.metaKey(refOf('s5'))}`,
          `orphan ${zombie}`,
          `unknown-key ${stray}`,
          'unregistered acme/p/ghost/',
          'unknown-key acme/p/README',
          'system-object _system/orgs/broken.json',
        ].sort(),
      );
      const byKind = Object.fromEntries(report.problems.map((p) => [p.kind, p]));
      expect(byKind['lease-dead']).to.include({ stack: 'acme/p/s5' });
      expect(byKind['lease-dead']!.message).to.contain('fulmar leases break acme/p/s5');
      expect(byKind['data-key']!.message).to.contain('FULMAR_MASTER_KEYS');
      expect(byKind['orphan']!.message).to.contain('2 objects');

      // A scope looks at its stacks only.
      expect(await problemsOf(w, { org, project, stack: 's1' })).to.deep.equal([`checkpoint-missing ${ckpt(m.s1!, 1)}`]);
      // gc removes the leftovers (not the unknown keys: someone put those there).
      const swept = await gc(w, {});
      expect(swept.freed.orphans.objects).to.equal(3);
      const after = await problemsOf(w);
      expect(after.filter((p) => p.startsWith('orphan') || p.startsWith('unregistered'))).to.deep.equal([]);
    });
  });

  describe('gc', () => {
    /** Six versions a day apart; the first by an update with events and checkpoints. */
    async function sixVersions(w: World, stack: string) {
      const S = await createStack(w.api, org, project, stack);
      await runUpdate(w.api, S, 'v1');
      for (let v = 2; v <= 6; v++) {
        w.clock.advance(DAY);
        await importVersion(w.api, S, `v${v}`);
      }
      return S;
    }

    it('prunes versions per the rules, keeps the latest and all history, and exports of pruned versions say why', async () => {
      const w = await world();
      const S = await sixVersions(w, 'r');
      // The first update's intermediate state survived its commit (a cleanup that failed).
      const before = await metaOf(w, 'r');
      const firstUpdate = JSON.parse((await w.store.get(hist(before, 1))).body.toString()).updateId as string;
      const leftover = layout.updateCheckpointKey(locOf(before), firstUpdate, 1);
      await w.store.put(leftover, Buffer.from('{"version":3,"deployment":{}}'));
      expect((await w.podA.call('get', `${S}/export/1`)).status, 'pod A now holds version 1 in its cache').to.equal(200);
      w.clock.advance(2 * HOUR);

      const planned = await gc(w, { keepVersions: 2, dryRun: true });
      expect(planned.pruned).to.deep.equal([{ stack: 'acme/p/r', from: 1, to: 4, retainedFrom: 5, latest: 6 }]);
      expect(planned.freed.versions.objects).to.equal(4);
      expect(planned.freed['update-leftovers'].objects).to.equal(1);
      expect(planned.freed['update-logs'].objects).to.equal(1);
      expect((await metaOf(w, 'r')).retainedFrom, 'a dry run writes nothing').to.equal(undefined);
      expect((await w.api.call('get', `${S}/export/1`)).status).to.equal(200);

      const done = await gc(w, { keepVersions: 2 });
      expect(done.freed).to.deep.include({ versions: { objects: 4, bytes: planned.freed.versions.bytes } });
      expect(done.total.objects).to.equal(planned.total.objects);
      expect((await metaOf(w, 'r')).retainedFrom).to.equal(5);
      expect(await w.store.head(leftover).catch(() => 'gone')).to.equal('gone');
      for (const pod of [w.api, w.podA]) {
        expectError(
          await pod.call('get', `${S}/export/4`),
          410,
          "Gone: version 4 of stack 'acme/p/r' was removed by retention (fulmar gc); versions 5 to 6 are kept, and its history entry is still listed",
        );
      }
      expect((await w.podA.call('get', `${S}/export/1`)).status, 'a cached copy is not served past the floor').to.equal(410);
      expect(markerOf(JSON.parse((await w.api.call('get', `${S}/export/5`)).text))).to.equal('v5');
      expect(markerOf(JSON.parse((await w.api.call('get', `${S}/export`)).text))).to.equal('v6');
      const history = await w.api.call('get', `${S}/updates`);
      expect(history.body.updates.map((u: { version: number }) => u.version)).to.deep.equal([6, 5, 4, 3, 2, 1]);
      const refused = await rollback(w.admin, refOf('r'), 2).catch((err: unknown) => err);
      expect(isFulmarError(refused, 'gone'), String(refused)).to.equal(true);
      expect(await problemsOf(w)).to.deep.equal([]);

      // By age: versions 5 and 6 were written within the last day and a half; then no longer.
      expect((await gc(w, { keepDays: 1.5 })).pruned).to.deep.equal([]);
      w.clock.advance(3 * DAY);
      expect((await gc(w, { keepDays: 1.5, keepVersions: 1 })).pruned).to.deep.equal([{ stack: 'acme/p/r', from: 5, to: 5, retainedFrom: 6, latest: 6 }]);
      // More versions later: the floor only rises.
      await importVersion(w.api, S, 'v7');
      expect((await gc(w, { keepVersions: 5 })).pruned).to.deep.equal([]);
      expect((await metaOf(w, 'r')).retainedFrom).to.equal(6);
      expect(await problemsOf(w)).to.deep.equal([]);

      // A rename carries the floor to the new name.
      expect((await w.api.call('post', `${S}/rename`, { newName: 'r2' })).status).to.equal(204);
      expect((await metaOf(w, 'r2')).retainedFrom).to.equal(6);
      expect((await w.api.call('get', `${stackUrl(org, project, 'r2')}/export/5`)).body.message).to.contain("version 5 of stack 'acme/p/r2' was removed by retention");
      expect(markerOf(JSON.parse((await w.api.call('get', `${stackUrl(org, project, 'r2')}/export/6`)).text))).to.equal('v6');
      expect(await problemsOf(w)).to.deep.equal([]);
    });

    it('never removes what a running update needs, nor a stack being moved, nor young leftovers', async () => {
      const w = await world();
      const S = await sixVersions(w, 'busy');
      const u = await startUpdate(w.api, S);
      await postCheckpoint(w.api, S, u, 'busy-1');
      await postEvents(w.api, S, u, 0, 2);
      w.clock.advance(2 * HOUR); // the lease is expired, not dead: nobody took it over
      const meta = await metaOf(w, 'busy');
      const zombie = `${layout.incarnationsPrefix(refOf('busy'))}zombie/checkpoints/0000000001.json`;
      await w.store.put(zombie, Buffer.from('{}'));

      const done = await gc(w, { keepVersions: 1 });
      expect(done.pruned).to.deep.equal([{ stack: 'acme/p/busy', from: 1, to: 5, retainedFrom: 6, latest: 6 }]);
      expect(done.freed.orphans.objects, 'the orphan is too young').to.equal(0);
      // The running update's own objects and its base version are all there.
      const left = (await stackObjects(w.store, refOf('busy'))).map((o) => o.what.kind);
      expect(left.filter((k) => k === 'update-checkpoint' || k === 'update-events')).to.have.length(2);
      expect(await w.store.head(ckpt(meta, 6))).to.have.property('size');
      await postCheckpoint(w.api, S, u, 'busy-2');
      await complete(w.api, S, u);
      expect(markerOf(JSON.parse((await w.api.call('get', `${S}/export`)).text))).to.equal('busy-2');

      w.clock.advance(2 * HOUR);
      expect((await gc(w, {})).freed.orphans.objects).to.equal(1);
      expect(await problemsOf(w)).to.deep.equal([]);

      // A stack frozen for a move: its versions wait.
      const m = await createStack(w.api, org, project, 'm');
      await importVersion(w.api, m, 'm1');
      await importVersion(w.api, m, 'm2');
      const frozen = await metaOf(w, 'm');
      await w.store.put(layout.metaKey(refOf('m')), Buffer.from(JSON.stringify({ ...frozen, moving: { to: refOf('m2'), incarnation: 'j1' } })));
      const moving = await gc(w, { keepVersions: 1 }, { org, project, stack: 'm' });
      expect(moving.skipped).to.deep.equal([{ stack: 'acme/p/m', reason: 'being moved: its versions and updates wait for the move to land' }]);
      expect(moving.total.objects).to.equal(0);
    });
  });
});
