/**
 * Journaling over the API (docs/design.md, "Journaling"): negotiation at start, batches stored
 * write-once and acknowledged like checkpoints, and every read and commit path replaying them —
 * checked against the real CLI's own checkpoints (the golden vectors of test/fixtures/journal).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { HookStore } from '../helpers/hook-store.js';
import { Client, createOrgs, deployment, makeApi, programRequest, stackPath } from '../helpers/api.js';
import { masked, vectors } from '../helpers/journal-vectors.js';
import { createMetrics } from '../../src/observability/metrics.js';

const org = 'acme';
const project = 'p';

function pods(options: { journaling?: boolean; journalMaxBatchBytes?: number } = {}) {
  const store = new HookStore(new MemoryStore());
  const apps = [0, 1].map(() => makeApi(store, options).app);
  return { store, api: new Client(apps) };
}

async function newStack(api: Client, stack: string) {
  await createOrgs(api, org);
  expect((await api.call('post', `/api/stacks/${org}/${project}`, { stackName: stack })).status).to.equal(200);
  return stackPath(org, project, stack);
}

async function start(api: Client, S: string, journalVersion: number, opts: { dryRun?: boolean; cli?: string } = {}) {
  const id = (await api.call('post', `${S}/update`, programRequest(opts.dryRun ?? false))).body.updateID as string;
  const started = await api.call('post', `${S}/update/${id}`, { journalVersion }).set('User-Agent', `pulumi-cli/1 (${opts.cli ?? 'v3.259.0'}; linux)`);
  expect(started.status, started.text).to.equal(200);
  return { id, journalVersion: started.body.journalVersion as number, ut: { auth: `update-token ${started.body.token}`, gzip: true } };
}

/** The ids of the resources an export shows: the running update's (no version) or version `v`'s. */
async function exportedIds(api: Client, S: string, v?: number): Promise<(string | undefined)[]> {
  const text = (await api.call('get', v === undefined ? `${S}/export` : `${S}/export/${v}`)).text;
  return (JSON.parse(text).deployment.resources as { id?: string }[]).map((r) => r.id);
}

/** The pod's fulmar_journal_entries_replayed_total, by `when`, as a scrape shows it. */
async function replayed(metrics: ReturnType<typeof createMetrics>): Promise<{ ahead: number; on_read: number }> {
  const text = await metrics.render();
  const value = (when: string) => Number(new RegExp(`^fulmar_journal_entries_replayed_total\\{when="${when}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { ahead: value('ahead'), on_read: value('on_read') };
}

/** As replayed(), once `ahead` reached `expected` (the replay runs after the acknowledgement; waits at most 2 s). */
async function replayedOnceSettled(metrics: ReturnType<typeof createMetrics>, expected: number) {
  for (let i = 0; i < 200 && (await replayed(metrics)).ahead < expected; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 20)); // and no more than that comes
  return replayed(metrics);
}

/** A resource entry as the CLI journals a create (kind 1, success with a new state). */
const created = (seq: number, name: string) => ({
  version: 1,
  kind: 1,
  sequenceID: seq,
  operationID: seq,
  removeOld: null,
  removeNew: null,
  state: { urn: `urn:pulumi:dev::${project}::my:index:Thing::${name}`, custom: true, type: 'my:index:Thing', id: name, outputs: { name } },
});

describe('journaling', () => {
  describe('negotiation', () => {
    it('answers journalVersion 1 to a CLI that asks, for updates only', async () => {
      const { api } = pods();
      const S = await newStack(api, 'neg');
      expect((await start(api, S, 1, { dryRun: true })).journalVersion, 'a preview keeps checkpoints').to.equal(0);
      expect((await start(api, S, 0, { dryRun: true })).journalVersion).to.equal(0);
      const u = await start(api, S, 1);
      expect(u.journalVersion).to.equal(1);
      await api.call('post', `${S}/update/${u.id}/complete`, { status: 'succeeded' }, u.ut);
      expect((await start(api, S, 0)).journalVersion, 'PULUMI_DISABLE_JOURNALING=true').to.equal(0);
    });

    it('answers 0 when FULMAR_JOURNALING is off', async () => {
      const { api } = pods({ journaling: false });
      const S = await newStack(api, 'off');
      expect((await start(api, S, 1)).journalVersion).to.equal(0);
    });
  });

  describe('batches', () => {
    it('stores a batch once, acknowledges a retry, and refuses other content for the same entries', async () => {
      const { store, api } = pods();
      const S = await newStack(api, 'batches');
      const u = await start(api, S, 1);
      const U = `${S}/update/${u.id}`;
      const batch = { entries: [created(1, 'a'), created(2, 'b')] };
      expect((await api.call('patch', `${U}/journalentries`, batch, u.ut)).status).to.equal(200);
      expect((await api.call('patch', `${U}/journalentries`, batch, u.ut)).status, 'a retry').to.equal(200);
      const keys = (await store.inner.list({ prefix: `${org}/${project}/batches/` })).objects.map((o) => o.key).filter((k) => k.includes('/journal/'));
      expect(keys).to.have.length(1);
      const other = await api.call('patch', `${U}/journalentries`, { entries: [created(1, 'x'), created(2, 'y')] }, u.ut);
      expect(other.status).to.equal(409);
      const malformed = await api.call('patch', `${U}/journalentries`, { entries: [{ kind: 1 }] }, u.ut);
      expect(malformed.status).to.equal(400);
    });

    it('keeps the gzip bytes the CLI sent as the stored batch, and knows a retry compressed otherwise', async () => {
      const { store, api } = pods();
      const S = await newStack(api, 'sent-gzip');
      const u = await start(api, S, 1);
      const U = `${S}/update/${u.id}`;
      const json = Buffer.from(JSON.stringify({ entries: [created(1, 'a'), created(2, 'b')] }));
      // Go's default level (the CLI's gzip.NewWriter), not the level the pod would choose.
      const sent = gzipSync(json, { level: 6 });
      const first = await api.call('patch', `${U}/journalentries`, sent, { auth: u.ut.auth }).set('Content-Encoding', 'gzip');
      expect(first.status, first.text).to.equal(200);
      const batchKeys = async () => (await store.inner.list({ prefix: `${org}/${project}/sent-gzip/` })).objects.map((o) => o.key).filter((k) => k.includes('/journal/'));
      const [key] = await batchKeys();
      expect((await store.inner.get(key as string))?.body.equals(sent), 'stored as sent').to.equal(true);
      const retries = [gzipSync(json, { level: 1 }), json, Buffer.concat([gzipSync(json.subarray(0, 10)), gzipSync(json.subarray(10))])];
      for (const [i, body] of retries.entries()) {
        const retry = api.call('patch', `${U}/journalentries`, body, { auth: u.ut.auth });
        const res = i === 1 ? await retry : await retry.set('Content-Encoding', 'gzip');
        expect(res.status, `retry ${i}: ${res.text}`).to.equal(200);
      }
      expect(await batchKeys(), 'no second copy').to.have.length(1);
      expect((await store.inner.get(key as string))?.body.equals(sent)).to.equal(true);
      const exported = JSON.parse((await api.call('get', `${S}/export`)).text);
      expect(exported.deployment.resources.map((r: { id: string }) => r.id)).to.deep.equal(['a', 'b']);
    });

    it('stores a batch whose compressed bytes alone pass the limit compressed by the pod', async () => {
      const { store, api } = pods();
      const S = await newStack(api, 'padded-gzip');
      const u = await start(api, S, 1);
      const json = Buffer.from(JSON.stringify({ entries: [created(1, 'a')] }));
      // 8 MiB of empty gzip members, which inflate to nothing, before the real one: past the route's
      // limit compressed, tiny inflated. The pod keeps none of those bytes.
      const empty = gzipSync(Buffer.alloc(0));
      const padding = Buffer.concat(Array.from({ length: Math.ceil((8 * 1024 * 1024) / empty.length) + 1 }, () => empty));
      const res = await api.call('patch', `${S}/update/${u.id}/journalentries`, Buffer.concat([padding, gzipSync(json)]), { auth: u.ut.auth }).set('Content-Encoding', 'gzip');
      expect(res.status, res.text).to.equal(200);
      const objects = (await store.inner.list({ prefix: `${org}/${project}/padded-gzip/` })).objects.filter((o) => o.key.includes('/journal/'));
      expect(objects).to.have.length(1);
      const stored = (await store.inner.get(objects[0]!.key))!.body;
      expect(stored.length, 'compressed again, without the padding').to.be.below(4096);
      expect(gunzipSync(stored).equals(json)).to.equal(true);
    });

    it('answers 413 above the configured batch size, so the CLI halves the batch', async () => {
      const { api } = pods({ journalMaxBatchBytes: 2048 });
      const S = await newStack(api, 'big');
      const u = await start(api, S, 1);
      const entries = Array.from({ length: 40 }, (_, i) => created(i + 1, `r${i}`));
      expect((await api.call('patch', `${S}/update/${u.id}/journalentries`, { entries }, u.ut)).status).to.equal(413);
      expect((await api.call('patch', `${S}/update/${u.id}/journalentries`, { entries: entries.slice(0, 5) }, u.ut)).status).to.equal(200);
    });

    it('refuses batches of a sealed, finished or superseded update (403)', async () => {
      const { store, api } = pods();
      const S = await newStack(api, 'fenced');
      const u = await start(api, S, 1);
      const U = `${S}/update/${u.id}`;
      expect((await api.call('patch', `${U}/journalentries`, { entries: [created(1, 'a')] }, u.ut)).status).to.equal(200);
      let late = 0;
      // The cancel has sealed the lease and is about to list the batches when another one arrives.
      store.before('list', (p) => p.endsWith(`/updates/${u.id}/journal/`), async () => {
        late = (await api.call('patch', `${U}/journalentries`, { entries: [created(2, 'b')] }, u.ut)).status;
      });
      expect((await api.call('post', `${U}/cancel`)).status).to.equal(200);
      expect(late).to.equal(403);
      // Refused, yet it may be in the state: a pod that already acknowledged a batch of this
      // update writes before its one register read, and here the batch landed before the
      // cancel's listing (docs/design.md, "Journaling"). What was acknowledged must be there.
      const names = (JSON.parse((await api.call('get', `${S}/export`)).text).deployment.resources as { id: string }[]).map((r) => r.id);
      expect(names[0]).to.equal('a');
      expect(names.slice(1)).to.satisfy((rest: string[]) => rest.length === 0 || (rest.length === 1 && rest[0] === 'b'));
      expect((await api.call('patch', `${U}/journalentries`, { entries: [created(3, 'c')] }, u.ut)).status).to.equal(403);
    });

    it('reads the register once per batch after a pod’s first, and still refuses a batch after the update ended', async () => {
      const store = new HookStore(new MemoryStore());
      const [warm, other] = [new Client([makeApi(store).app]), new Client([makeApi(store).app])];
      const S = await newStack(warm, 'warm');
      const u = await start(warm, S, 1);
      const U = `${S}/update/${u.id}`;
      const metaKey = `${org}/${project}/warm/meta.json`;
      const first = store.count('get', (k) => k === metaKey);
      expect((await warm.call('patch', `${U}/journalentries`, { entries: [created(1, 'a')] }, u.ut)).status).to.equal(200);
      expect(first.calls, 'the token’s first check, and the reads before and after the first batch').to.equal(3);
      const later = store.count('get', (k) => k === metaKey);
      for (let seq = 2; seq <= 4; seq++) {
        expect((await warm.call('patch', `${U}/journalentries`, { entries: [created(seq, `r${seq}`)] }, u.ut)).status).to.equal(200);
      }
      expect(later.calls, 'only the confirming read after each write').to.equal(3);
      const forged = await warm.call('patch', `${U}/journalentries`, { entries: [created(5, 'x')] }, { ...u.ut, auth: `update-token ${'0'.repeat(64)}` });
      expect(forged.status, 'a token that is not the update’s').to.equal(403);

      expect((await other.call('post', `${U}/cancel`)).status).to.equal(200);
      const late = await warm.call('patch', `${U}/journalentries`, { entries: [created(5, 'late')] }, u.ut);
      expect(late.status, late.text).to.equal(403);
      const ids = (JSON.parse((await other.call('get', `${S}/export`)).text).deployment.resources as { id: string }[]).map((r) => r.id);
      expect(ids).to.deep.equal(['a', 'r2', 'r3', 'r4']);
      expect((await warm.call('patch', `${U}/journalentries`, { entries: [created(6, 'later')] }, u.ut)).status, 'judged from the register again').to.equal(403);
    });
  });

  describe('replay on every read and commit path', () => {
    it('exports progress mid-update on any pod, and commits the replay on complete', async () => {
      const { api } = pods();
      const S = await newStack(api, 'progress');
      await api.call('post', `${S}/import`, deployment(project, 'progress', 2, 'base'), { gzip: true });
      const u = await start(api, S, 1);
      const U = `${S}/update/${u.id}`;
      for (let i = 1; i <= 4; i++) {
        expect((await api.call('patch', `${U}/journalentries`, { entries: [created(i, `n${i}`)] }, u.ut)).status).to.equal(200);
        const now = JSON.parse((await api.call('get', `${S}/export`)).text);
        expect(now.deployment.resources, `after batch ${i}`).to.have.length(2 + i);
      }
      expect((await api.call('post', `${U}/complete`, { status: 'succeeded' }, u.ut)).status).to.equal(200);
      const v2 = JSON.parse((await api.call('get', `${S}/export/2`)).text);
      expect(v2.deployment.resources.map((r: { id?: string }) => r.id)).to.deep.equal(['n1', 'n2', 'n3', 'n4', undefined, undefined]);
      expect(v2.deployment.manifest.version).to.equal('v3.259.0');
      expect((await api.call('get', S)).body.version).to.equal(2);
    });

    it('replays the batches a pod wrote without reading them back, and a cold pod replays from the bucket, each batch once', async () => {
      const store = new HookStore(new MemoryStore());
      const reads = store.count('get', (key) => key.includes('/journal/'));
      const warm = new Client([makeApi(store).app]);
      const S = await newStack(warm, 'reads');
      const u = await start(warm, S, 1);
      for (let i = 1; i <= 5; i++) {
        expect((await warm.call('patch', `${S}/update/${u.id}/journalentries`, { entries: [created(i, `n${i}`)] }, u.ut)).status).to.equal(200);
        await warm.call('get', `${S}/export`);
        await warm.call('get', `${S}/export`);
      }
      expect(reads.calls, 'the writing pod kept what it stored').to.equal(0);
      const cold = new Client([makeApi(store).app]);
      for (let i = 0; i < 2; i++) {
        const seen = JSON.parse((await cold.call('get', `${S}/export`)).text).deployment.resources.length;
        expect(seen).to.equal(5);
      }
      expect(reads.calls, 'the cold pod read the five batches, once').to.equal(5);
    });

    it('replays each batch as the pod stores it, so the commit on that pod replays nothing while the CLI waits', async () => {
      const metrics = createMetrics();
      const api = new Client([makeApi(new MemoryStore(), { metrics }).app]);
      const S = await newStack(api, 'ahead');
      const u = await start(api, S, 1);
      // Out of order within a batch, and 5 before 4: each waits until the entries before it came.
      for (const seqs of [[2, 1], [3], [5], [4], [6]]) {
        const entries = seqs.map((i) => created(i, `n${i}`));
        expect((await api.call('patch', `${S}/update/${u.id}/journalentries`, { entries }, u.ut)).status).to.equal(200);
      }
      expect(await replayedOnceSettled(metrics, 6), 'all six applied ahead of any read').to.deep.equal({ ahead: 6, on_read: 0 });
      expect((await api.call('post', `${S}/update/${u.id}/complete`, { status: 'succeeded' }, u.ut)).status).to.equal(200);
      expect((await replayed(metrics)).on_read, 'the commit applied nothing more').to.equal(0);
      expect(await exportedIds(api, S, 1)).to.deep.equal(['n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
    });

    it('by default reads no other pod’s batch ahead of a read: the commit reads in what its pod has not seen', async () => {
      const store = new HookStore(new MemoryStore());
      const [ma, mb] = [createMetrics(), createMetrics()];
      const a = new Client([makeApi(store, { metrics: ma }).app]);
      const b = new Client([makeApi(store, { metrics: mb }).app]);
      const S = await newStack(a, 'no-catch-up');
      const u = await start(a, S, 1);
      const reads = store.count('get', (key) => key.includes('/journal/'));
      // A load balancer alternates the batches: A stores 1, 3, 5 and B 2, 4, 6.
      for (let i = 1; i <= 6; i++) {
        const pod = i % 2 === 1 ? a : b;
        expect((await pod.call('patch', `${S}/update/${u.id}/journalentries`, { entries: [created(i, `n${i}`)] }, u.ut)).status).to.equal(200);
      }
      // Each pod took only the entries it stored itself.
      expect(await replayedOnceSettled(ma, 3), 'A took 1, 3 and 5').to.deep.equal({ ahead: 3, on_read: 0 });
      expect(await replayedOnceSettled(mb, 3), 'B took 2, 4 and 6').to.deep.equal({ ahead: 3, on_read: 0 });
      expect(reads.calls, 'no pod read a batch another pod stored').to.equal(0);
      expect((await a.call('post', `${S}/update/${u.id}/complete`, { status: 'succeeded' }, u.ut)).status).to.equal(200);
      expect(reads.calls, 'the commit on A read B’s three batches').to.equal(3);
      expect((await replayed(ma)).on_read, 'and took their three entries').to.equal(3);
      expect(await exportedIds(b, S, 1)).to.deep.equal(['n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
    });

    it('catches up with the batches other pods stored, so a commit on any pod replays only the newest', async () => {
      const store = new MemoryStore();
      const [ma, mb] = [createMetrics(), createMetrics()];
      const a = new Client([makeApi(store, { metrics: ma, replayCatchUpMs: 0 }).app]);
      const b = new Client([makeApi(store, { metrics: mb, replayCatchUpMs: 0 }).app]);
      const S = await newStack(a, 'catch-up');
      const u = await start(a, S, 1);
      // A load balancer alternates the batches: A stores 1, 3, 5 and B 2, 4, 6.
      for (let i = 1; i <= 6; i++) {
        const pod = i % 2 === 1 ? a : b;
        expect((await pod.call('patch', `${S}/update/${u.id}/journalentries`, { entries: [created(i, `n${i}`)] }, u.ut)).status).to.equal(200);
      }
      // Each pod, on storing a batch past a gap, listed the update and applied the other pod's batches.
      expect(await replayedOnceSettled(mb, 6), 'B saw all six').to.deep.equal({ ahead: 6, on_read: 0 });
      expect(await replayedOnceSettled(ma, 5), 'A saw five: the sixth was stored after A last stored one').to.deep.equal({ ahead: 5, on_read: 0 });
      expect((await a.call('post', `${S}/update/${u.id}/complete`, { status: 'succeeded' }, u.ut)).status).to.equal(200);
      expect((await replayed(ma)).on_read, 'the commit on A applied only the sixth entry').to.equal(1);
      expect(await exportedIds(b, S, 1)).to.deep.equal(['n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
    });

    it('lets a commit that finds the batches already removed by another pod’s commit stand on that commit', async () => {
      const { store, api } = pods();
      const a = new Client([makeApi(store).app]);
      const b = new Client([makeApi(store).app]);
      const S = await newStack(api, 'twice');
      const u = await start(api, S, 1);
      const U = `${S}/update/${u.id}`;
      for (let i = 1; i <= 2; i++) expect((await a.call('patch', `${U}/journalentries`, { entries: [created(i, `n${i}`)] }, u.ut)).status).to.equal(200);
      let completed = 0;
      // B's cancel has sealed and listed the batches; A's complete commits and removes them before B reads one.
      store.after('list', (p) => p.endsWith(`/updates/${u.id}/journal/`), async () => {
        completed = (await a.call('post', `${U}/complete`, { status: 'succeeded' }, u.ut)).status;
        const batchesLeft = async () => (await store.inner.list({ prefix: `${org}/${project}/twice/` })).objects.filter((o) => o.key.includes('/journal/')).length;
        for (let i = 0; i < 100 && (await batchesLeft()) > 0; i++) await new Promise((r) => setTimeout(r, 5));
        expect(await batchesLeft(), 'the complete removed the batches').to.equal(0);
      });
      const cancelled = await b.call('post', `${U}/cancel`);
      expect(cancelled.status, cancelled.text).to.equal(200);
      expect(completed, 'the cancel sealed first').to.equal(403);
      expect(await exportedIds(api, S, 1)).to.deep.equal(['n1', 'n2']);
      expect((await api.call('get', `${S}/updates`)).body.updates[0].result).to.equal('failed');
    });

    it('replays in sequence order, whatever order the entries arrived in', async () => {
      const { api } = pods();
      const S = await newStack(api, 'order');
      const u = await start(api, S, 1);
      const U = `${S}/update/${u.id}`;
      // Out of order inside a batch (the CLI serializes entries concurrently before it queues them).
      expect((await api.call('patch', `${U}/journalentries`, { entries: [created(2, 'b'), created(1, 'a')] }, u.ut)).status).to.equal(200);
      expect(await exportedIds(api, S)).to.deep.equal(['a', 'b']);
      expect((await api.call('patch', `${U}/journalentries`, { entries: [created(4, 'd')] }, u.ut)).status).to.equal(200);
      expect(await exportedIds(api, S)).to.deep.equal(['a', 'b', 'd']);
      // A straggler older than what was already replayed.
      expect((await api.call('patch', `${U}/journalentries`, { entries: [created(3, 'c')] }, u.ut)).status).to.equal(200);
      expect(await exportedIds(api, S)).to.deep.equal(['a', 'b', 'c', 'd']);
      expect((await api.call('post', `${U}/complete`, { status: 'succeeded' }, u.ut)).status).to.equal(200);
      expect(await exportedIds(api, S, 1)).to.deep.equal(['a', 'b', 'c', 'd']);
    });

    it('commits the replay with in-flight creates as pending operations when the CLI dies', async () => {
      const { api } = pods({});
      const S = await newStack(api, 'killed');
      const u = await start(api, S, 1);
      const begin = {
        version: 1,
        kind: 0,
        sequenceID: 2,
        operationID: 2,
        removeOld: null,
        removeNew: null,
        operation: { type: 'creating', resource: { urn: `urn:pulumi:dev::${project}::my:index:Thing::inflight`, custom: true, type: 'my:index:Thing' } },
      };
      const batch = { entries: [created(1, 'done'), begin] };
      expect((await api.call('patch', `${S}/update/${u.id}/journalentries`, batch, u.ut)).status).to.equal(200);
      // The CLI is gone; `pulumi cancel` commits what it journaled.
      expect((await api.call('post', `${S}/update/${u.id}/cancel`)).status).to.equal(200);
      const v1 = JSON.parse((await api.call('get', `${S}/export/1`)).text);
      expect(v1.deployment.resources.map((r: { id: string }) => r.id)).to.deep.equal(['done']);
      expect(v1.deployment.pending_operations).to.deep.equal([begin.operation]);
    });

    for (const v of vectors) {
      it(`ends ${v.name} in the state the CLI's own checkpoint has (${v.description})`, async () => {
        const { api } = pods();
        const S = await newStack(api, `golden-${v.name.slice(0, 2)}`);
        if (v.base.deployment && ((v.base.deployment.resources as unknown[] | undefined)?.length ?? 0) > 0) {
          expect((await api.call('post', `${S}/import`, v.base, { gzip: true })).status).to.equal(200);
        }
        const cli = (v.expected.deployment.manifest as { version: string }).version;
        const u = await start(api, S, 1, { cli });
        for (const entries of v.batches) {
          const res = await api.call('patch', `${S}/update/${u.id}/journalentries`, { entries }, u.ut);
          expect(res.status, res.text).to.equal(200);
        }
        const done = await api.call('post', `${S}/update/${u.id}/complete`, { status: v.fails ? 'failed' : 'succeeded' }, u.ut);
        expect(done.status, done.text).to.equal(200);
        const committed = JSON.parse((await api.call('get', `${S}/export`)).text);
        expect(masked(committed)).to.deep.equal(masked(v.expected));
      });
    }
  });
});
