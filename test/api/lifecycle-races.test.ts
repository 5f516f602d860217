/**
 * Each race that once lost an acknowledged write, replayed deterministically: two "pods" over one
 * store, and a HookStore that runs the competing request at exactly the step where it used to do
 * harm (or fails a step, as a pod dying there would). The protocols are in docs/design.md.
 */
import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { layout } from '../../src/storage/layout.js';
import { ManualClock } from '../../src/domain/clock.js';
import { HookStore } from '../helpers/hook-store.js';
import { Client, createOrgs, deployment, makeApi, programRequest, stackPath } from '../helpers/api.js';

const org = 'acme';
const project = 'p';
const metaOf = (stack: string, o = org) => layout.metaKey({ org: o, project, stack });
const isMeta = (stack: string, o = org) => (k: string) => k === metaOf(stack, o);

async function cluster(options: { leaseSeconds?: number } = {}) {
  const clock = new ManualClock(Date.now());
  const store = new HookStore(new MemoryStore(clock));
  const a = new Client([makeApi(store, { clock, leaseSeconds: options.leaseSeconds }).app]);
  const b = new Client([makeApi(store, { clock, leaseSeconds: options.leaseSeconds }).app]);
  await createOrgs(a, org, 'other');
  return { clock, store, a, b };
}

async function exported(api: Client, S: string, version?: number) {
  const res = await api.call('get', version === undefined ? `${S}/export` : `${S}/export/${version}`);
  expect(res.status, res.text).to.equal(200);
  return JSON.parse(res.text);
}

const markerOf = (d: { deployment: { resources: { outputs?: { marker?: string } }[] | null } }) =>
  d.deployment.resources?.[0]?.outputs?.marker;

async function startUpdate(api: Client, S: string) {
  const id = (await api.call('post', `${S}/update`, programRequest(false))).body.updateID as string;
  const started = await api.call('post', `${S}/update/${id}`, {});
  expect(started.status, started.text).to.equal(200);
  return { id, ut: { auth: `update-token ${started.body.token}`, gzip: true } };
}

describe('lifecycle races (deterministic)', () => {
  describe('delete racing a re-create of the same name', () => {
    it('keeps the stack a create acknowledged while the delete was sweeping', async () => {
      const { store, a, b } = await cluster();
      const S = stackPath(org, project, 'dev');
      await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
      await a.call('post', `${S}/import`, deployment(project, 'dev', 3, 'old'), { gzip: true });
      // Right after the tombstone lands, before the sweep deletes anything, the name is created again.
      store.after('put', isMeta('dev'), async () => {
        expect((await b.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' })).status).to.equal(200);
        expect((await b.call('post', `${S}/import`, deployment(project, 'dev', 2, 'new'), { gzip: true })).status).to.equal(200);
      });
      expect((await a.call('delete', `${S}?force=true`)).status).to.equal(204);
      expect(store.pending).to.equal(0);
      const got = await a.call('get', S);
      expect(got.status, 'the acknowledged create survives the delete').to.equal(200);
      expect(got.body.version).to.equal(1);
      expect(markerOf(await exported(a, S))).to.equal('new');
    });

    it('refuses a create that loses the race to the delete it raced, and never loses the register', async () => {
      const { store, a, b } = await cluster();
      const S = stackPath(org, project, 'dev');
      await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
      // The create reads the live register (409), the delete lands, and a second create wins over the tombstone.
      store.before('put', isMeta('dev'), async () => {
        expect((await b.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' })).status).to.equal(409);
      });
      expect((await a.call('delete', `${S}?force=true`)).status).to.equal(204);
      expect((await b.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' })).status).to.equal(200);
      expect((await a.call('get', S)).status).to.equal(200);
    });

    it('never lets a new incarnation take a dead one’s objects as its own version', async () => {
      const { store, a } = await cluster();
      const S = stackPath(org, project, 'dev');
      await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
      await a.call('post', `${S}/import`, deployment(project, 'dev', 3, 'old'), { gzip: true });
      // The delete's pod dies before it removes anything: every old object stays behind.
      store.failOnce('list', (p) => p === layout.stackPrefix({ org, project, stack: 'dev' }));
      await a.call('delete', `${S}?force=true`);
      expect((await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' })).status).to.equal(200);
      const { id, ut } = await startUpdate(a, S);
      expect((await a.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut)).status).to.equal(200);
      const v1 = await exported(a, S, 1);
      expect(v1.deployment.resources ?? [], 'version 1 of the new stack holds nothing of the old one').to.deep.equal([]);
      expect((await a.call('get', `${S}/updates`)).body.updates).to.have.length(1);
    });
  });

  describe('rename racing a create of the target name', () => {
    async function seeded() {
      const c = await cluster();
      await c.a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'src' });
      await c.a.call('post', `${stackPath(org, project, 'src')}/import`, deployment(project, 'src', 3, 'source'), { gzip: true });
      return c;
    }

    it('answers 409, copies nothing into the target, and leaves the source whole', async () => {
      const { store, a, b } = await seeded();
      const src = stackPath(org, project, 'src');
      const dst = stackPath(org, project, 'dst');
      // After the source is frozen, before the target is claimed, someone creates the target.
      store.after('put', isMeta('src'), async () => {
        expect((await b.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dst' })).status).to.equal(200);
      });
      const res = await a.call('post', `${src}/rename`, { newName: 'dst' });
      expect(res.status, res.text).to.equal(409);
      // The target is the one that was created, with nothing of the source in it.
      const target = await exported(b, dst);
      expect(target.deployment.resources).to.equal(null);
      const imported = await b.call('post', `${dst}/import`, deployment(project, 'dst', 1, 'target'), { gzip: true });
      expect(imported.status).to.equal(200);
      expect(markerOf(await exported(b, dst))).to.equal('target');
      // The source is intact: readable, listed, deletable.
      expect((await a.call('get', src)).status).to.equal(200);
      expect(markerOf(await exported(a, src))).to.equal('source');
      const names = (await a.call('get', '/api/user/stacks')).body.stacks.map((s: { stackName: string }) => s.stackName);
      expect(names).to.include.members(['src', 'dst']);
      expect((await a.call('delete', `${src}?force=true`)).status).to.equal(204);
    });

    it('refuses the create when the target was claimed first, and the rename lands', async () => {
      const { store, a, b } = await seeded();
      let created = 0;
      store.after('put', isMeta('dst'), async () => {
        created = (await b.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dst' })).status;
      });
      expect((await a.call('post', `${stackPath(org, project, 'src')}/rename`, { newName: 'dst' })).status).to.equal(204);
      expect(created).to.equal(409);
      expect(markerOf(await exported(a, stackPath(org, project, 'dst')))).to.equal('source');
      expect((await a.call('get', stackPath(org, project, 'src'))).status).to.equal(404);
    });

    it('transfer into another org racing a create there: 409 and no cross-org copy', async () => {
      const { store, a, b } = await seeded();
      const src = stackPath(org, project, 'src');
      store.after('put', isMeta('src'), async () => {
        expect((await b.call('post', `/api/stacks/other/${project}`, { stackName: 'src' })).status).to.equal(200);
      });
      expect((await a.call('post', `${src}/transfer`, { toOrg: 'other' })).status).to.equal(409);
      const other = await exported(b, stackPath('other', project, 'src'));
      expect(other.deployment.resources, 'the other org sees none of the source org’s state').to.equal(null);
      expect(markerOf(await exported(a, src))).to.equal('source');
    });

    for (const step of ['claim', 'copy', 'flip', 'finish'] as const) {
      it(`is finished by the next request when the mover dies at the ${step} step`, async () => {
        const { store, a, b } = await seeded();
        const src = stackPath(org, project, 'src');
        const dst = stackPath(org, project, 'dst');
        if (step === 'claim') store.failOnce('put', isMeta('dst'));
        if (step === 'copy') store.failOnce('put', (k) => k.startsWith(`${org}/${project}/dst/i/`) && k.includes('/checkpoints/'));
        let swaps = 0; // the source register is swapped twice: frozen, then flipped
        if (step === 'flip') store.failOnce('put', (k, o) => k === metaOf('src') && o?.ifMatch !== undefined && ++swaps === 2, 'after');
        if (step === 'finish') store.failOnce('put', (k, o) => k === metaOf('dst') && o?.ifMatch !== undefined);
        const res = await a.call('post', `${src}/rename`, { newName: 'dst' });
        expect(res.status).to.be.oneOf([204, 500]);
        expect(store.pending).to.equal(0);
        // Another pod meets the mark (on the source, where clients still find the stack) and carries the move through.
        expect((await b.call('get', src)).status).to.equal(404);
        const got = await b.call('get', dst);
        expect(got.status, got.text).to.equal(200);
        expect(markerOf(await exported(b, dst))).to.equal('source');
        const left = await store.inner.list({ prefix: `${org}/${project}/src/i/` });
        expect(left.objects, 'the source name holds no objects').to.deep.equal([]);
      });
    }
  });

  describe('checkpoints racing cancel and complete', () => {
    for (const ender of ['cancel', 'complete'] as const) {
      it(`never acknowledges a checkpoint that a ${ender} committed without`, async () => {
        const { store, a, b } = await cluster();
        const S = stackPath(org, project, 'dev');
        await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
        const { id, ut } = await startUpdate(a, S);
        expect((await a.call('patch', `${S}/update/${id}/checkpoint`, deployment(project, 'dev', 1, 'one'), ut)).status).to.equal(200);
        let second = 0;
        // The commit has sealed the lease and is about to list the checkpoints: a checkpoint arrives.
        store.before('list', (p) => p.endsWith(`/updates/${id}/checkpoints/`), async () => {
          second = (await b.call('patch', `${S}/update/${id}/checkpoint`, deployment(project, 'dev', 2, 'two'), ut)).status;
        });
        const end =
          ender === 'cancel'
            ? await a.call('post', `${S}/update/${id}/cancel`)
            : await a.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut);
        expect(end.status, end.text).to.equal(200);
        expect(second, 'refused, because the commit may not include it').to.equal(403);
        expect(markerOf(await exported(a, S))).to.equal('one');
      });

      it(`keeps a checkpoint acknowledged just before a ${ender}`, async () => {
        const { store, a, b } = await cluster();
        const S = stackPath(org, project, 'dev');
        await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
        const { id, ut } = await startUpdate(a, S);
        let ended = 0;
        // The checkpoint object has landed; the commit runs before the writer confirms its lease.
        store.after('put', (k) => k.endsWith(`/updates/${id}/checkpoints/0000000001.json`), async () => {
          ended =
            ender === 'cancel'
              ? (await b.call('post', `${S}/update/${id}/cancel`)).status
              : (await b.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut)).status;
        });
        const res = await a.call('patch', `${S}/update/${id}/checkpoint`, deployment(project, 'dev', 1, 'one'), ut);
        expect(ended).to.equal(200);
        // Either answer is sound; an acknowledged one must be in the committed version.
        if (res.status === 200) expect(markerOf(await exported(a, S, 1))).to.equal('one');
        else expect(res.status).to.equal(403);
      });
    }

    // A retry whose first attempt landed finds its key taken; if the update's commit removed the
    // object before the retry reads it back, the answer is 403 (the update ended), never a 500 and
    // never an acknowledgement (found by `npm run soak -- --seconds 240 --seed 9600`).
    for (const kind of ['journal batch', 'verbatim checkpoint'] as const) {
      it(`refuses a retried ${kind} whose object the update's commit already removed (403, not 500)`, async () => {
        const { clock, store, a, b } = await cluster();
        const c = new Client([makeApi(store, { clock }).app]);
        const S = stackPath(org, project, 'dev');
        await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
        const id = (await a.call('post', `${S}/update`, programRequest(false))).body.updateID as string;
        const started = await a.call('post', `${S}/update/${id}`, { journalVersion: 1 }).set('User-Agent', 'pulumi-cli/1 (v3.259.0; linux)');
        expect(started.status, started.text).to.equal(200);
        expect(started.body.journalVersion).to.equal(1);
        const ut = { auth: `update-token ${started.body.token}`, gzip: true };
        const [path, body, suffix] =
          kind === 'journal batch'
            ? ([`${S}/update/${id}/journalentries`, { entries: [{ version: 1, kind: 1, sequenceID: 1, operationID: 1, removeOld: null, removeNew: null, state: { urn: `urn:pulumi:dev::${project}::my:index:Thing::a`, custom: true, type: 'my:index:Thing', id: 'a' } }] }, '/journal/0000000001-0000000001.json.gz'] as const)
            : ([`${S}/update/${id}/checkpointverbatim`, { version: 3, untypedDeployment: deployment(project, 'dev', 1, 'one'), sequenceNumber: 1 }, '/checkpoints/0000000001.json'] as const);
        expect((await a.call('patch', path, body, ut)).status).to.equal(200);
        const key = (await store.inner.list({ prefix: `${org}/${project}/dev/` })).objects.map((o) => o.key).find((k) => k.endsWith(suffix));
        expect(key, `the ${kind} is stored`).to.be.a('string');
        // The retry's create-once found the key taken; before it reads the object back, another
        // pod cancels the update, whose commit removes the update's intermediate objects.
        store.before('get', (k) => k === key, async () => {
          expect((await b.call('post', `${S}/update/${id}/cancel`)).status).to.equal(200);
          for (let i = 0; i < 100 && (await store.inner.list({ prefix: key as string })).objects.length > 0; i++) await new Promise((r) => setTimeout(r, 10));
          expect((await store.inner.list({ prefix: key as string })).objects, 'removed by the commit').to.be.empty;
        });
        const retried = await c.call('patch', path, body, ut);
        expect(store.pending, 'the race happened').to.equal(0);
        expect(retried.status, retried.text).to.equal(403);
        expect(retried.body.code).to.equal(403);
      });
    }

    it('answers complete 403 when a cancel sealed the update first, and keeps the cancel’s outcome', async () => {
      const { a } = await cluster();
      const S = stackPath(org, project, 'dev');
      await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
      const { id, ut } = await startUpdate(a, S);
      await a.call('patch', `${S}/update/${id}/checkpoint`, deployment(project, 'dev', 1, 'one'), ut);
      expect((await a.call('post', `${S}/update/${id}/cancel`)).status).to.equal(200);
      expect((await a.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut)).status).to.equal(403);
      const history = (await a.call('get', `${S}/updates`)).body.updates;
      expect(history.map((u: { result: string }) => u.result)).to.deep.equal(['failed']);
      expect((await a.call('get', `${S}/update/${id}`)).body.status).to.equal('failed');
    });
  });

  describe('spent and superseded update tokens', () => {
    it('refuses events and a different complete after the update finished', async () => {
      const { a } = await cluster();
      const S = stackPath(org, project, 'dev');
      await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
      const { id, ut } = await startUpdate(a, S);
      expect((await a.call('post', `${S}/update/${id}/complete`, { status: 'failed' }, ut)).status).to.equal(200);
      expect((await a.call('post', `${S}/update/${id}/complete`, { status: 'failed' }, ut)).status, 'a retry').to.equal(200);
      expect((await a.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut)).status).to.equal(403);
      const events = await a.call('post', `${S}/update/${id}/events/batch`, { events: [{ sequence: 1, timestamp: 1 }] }, ut);
      expect(events.status).to.equal(403);
      expect((await a.call('get', `${S}/update/${id}`)).body.status).to.equal('failed');
      expect((await a.call('get', `${S}/updates`)).body.updates[0].result).to.equal('failed');
    });

    it('refuses the old holder once its expired lease was taken over', async () => {
      const { clock, a } = await cluster({ leaseSeconds: 10 });
      const S = stackPath(org, project, 'dev');
      await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
      const dead = await startUpdate(a, S);
      await a.call('patch', `${S}/update/${dead.id}/checkpoint`, deployment(project, 'dev', 2, 'dead'), dead.ut);
      const next = (await a.call('post', `${S}/update`, programRequest(false))).body.updateID;
      expect((await a.call('post', `${S}/update/${next}`, {})).status, 'lease still live').to.equal(409);
      clock.advance(11_000);
      const takeover = await a.call('post', `${S}/update/${next}`, {});
      expect(takeover.status, takeover.text).to.equal(200);
      expect(takeover.body.version).to.equal(2);
      expect(markerOf(await exported(a, S, 1)), 'the dead update’s acknowledged work is version 1').to.equal('dead');
      for (const path of ['checkpoint', 'complete', 'renew_lease', 'events/batch']) {
        const body = path === 'complete' ? { status: 'succeeded' } : path === 'events/batch' ? { events: [] } : deployment(project, 'dev', 1);
        const res = await a.call(path === 'checkpoint' ? 'patch' : 'post', `${S}/update/${dead.id}/${path}`, body, dead.ut);
        expect(res.status, path).to.equal(403);
      }
      expect((await a.call('get', `${S}/update/${dead.id}`)).body.status).to.equal('failed');
    });
  });

  describe('import', () => {
    it('is committed at once by the next request when its pod dies mid-commit', async () => {
      const { store, a, b } = await cluster({ leaseSeconds: 300 });
      const S = stackPath(org, project, 'dev');
      await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
      store.failOnce('put', (k) => k.endsWith('/checkpoints/0000000001.json') && !k.includes('/updates/'));
      expect((await a.call('post', `${S}/import`, deployment(project, 'dev', 2, 'imported'), { gzip: true })).status).to.equal(500);
      // No waiting for the lease to expire: the sealed import is finished by whoever comes next.
      const { id, ut } = await startUpdate(b, S);
      expect(markerOf(await exported(b, S, 1))).to.equal('imported');
      expect((await b.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut)).status).to.equal(200);
      expect((await b.call('get', S)).body.version).to.equal(2);
    });

    it('is committed before a delete judges whether the stack has resources', async () => {
      const { store, a, b } = await cluster();
      const S = stackPath(org, project, 'dev');
      await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
      store.failOnce('put', (k) => k.endsWith('/checkpoints/0000000001.json') && !k.includes('/updates/'));
      expect((await a.call('post', `${S}/import`, deployment(project, 'dev', 2, 'imported'), { gzip: true })).status).to.equal(500);
      const refused = await b.call('delete', S);
      expect(refused.status, refused.text).to.equal(400);
      expect(refused.body.message).to.contain('Stack still contains resources.');
      expect(markerOf(await exported(b, S, 1))).to.equal('imported');
    });

    it('refuses an import whose stack was deleted and created again meanwhile', async () => {
      const { store, a, b } = await cluster();
      const S = stackPath(org, project, 'dev');
      await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
      store.after('put', (k) => k.includes('/updates/') && k.endsWith('/checkpoints/0000000001.json'), async () => {
        expect((await b.call('delete', `${S}?force=true`)).status).to.equal(204);
        expect((await b.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' })).status).to.equal(200);
      });
      const res = await a.call('post', `${S}/import`, deployment(project, 'dev', 2, 'lost'), { gzip: true });
      expect(res.status).to.equal(409);
      expect((await b.call('get', S)).body.version).to.equal(0);
    });
  });

  it('refuses sequence numbers beyond the 10-digit key order with 400', async () => {
    const { a } = await cluster();
    const S = stackPath(org, project, 'dev');
    await a.call('post', `/api/stacks/${org}/${project}`, { stackName: 'dev' });
    const { id, ut } = await startUpdate(a, S);
    const body = { version: 3, untypedDeployment: deployment(project, 'dev', 1), sequenceNumber: 10_000_000_000 };
    expect((await a.call('patch', `${S}/update/${id}/checkpointverbatim`, body, ut)).status).to.equal(400);
  });
});

describe('event polling', () => {
  it('reads each event batch from the bucket once per pod, however often the events are polled', async () => {
    const store = new HookStore(new MemoryStore());
    const reads = store.count('get', (key) => key.includes('/events/'));
    const api = new Client([makeApi(store).app]);
    const S = stackPath(org, project, 'ev');
    await createOrgs(api, org);
    await api.call('post', `/api/stacks/${org}/${project}`, { stackName: 'ev' });
    const { id, ut } = await startUpdate(api, S);
    const ev = (seq: number) => ({ sequence: seq, timestamp: 1, stdoutEvent: { message: `m${seq}`, color: 'raw' } });
    for (let b = 0; b < 5; b++) {
      expect((await api.call('post', `${S}/update/${id}/events/batch`, { events: [ev(2 * b), ev(2 * b + 1)] }, ut)).status).to.equal(200);
    }
    for (let poll = 0; poll < 10; poll++) {
      const res = await api.call('get', `${S}/update/${id}/events`);
      expect(res.body.events).to.have.length(10);
    }
    expect(reads.calls, 'five batches, each read once').to.equal(5);
  });
});
