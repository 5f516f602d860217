/**
 * `fulmar leases ls|break` and `fulmar rollback` as operations over a store that pods serve
 * (docs/operating.md, "Leases", "Rollback"): the operation and the pods share one store, as an
 * admin command and pods share a bucket.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { buildServiceGraph, type ServiceGraph } from '../../src/services/build-services.js';
import { breakLease, listLeases } from '../../src/operations/leases.js';
import { rollback } from '../../src/operations/rollback.js';
import { ManualClock } from '../../src/domain/clock.js';
import { isFulmarError } from '../../src/domain/errors.js';
import { Client, createOrgs, deployment, makeApi, programRequest, stackPath } from '../helpers/api.js';

const org = 'ops-org';
const project = 'p';

async function setup() {
  const clock = new ManualClock(Date.now());
  const store = new MemoryStore(clock);
  const api = new Client([makeApi(store, { clock, leaseSeconds: 60 }).app]);
  const graph: ServiceGraph = buildServiceGraph({ store, keyring: [{ id: 'k1', key: Buffer.alloc(32, 7) }], logger: pino({ level: 'silent' }), clock, leaseSeconds: 60 });
  await createOrgs(api, org);
  return { clock, store, api, graph };
}

async function stackWithVersions(api: Client, stack: string, markers: string[]) {
  const S = stackPath(org, project, stack);
  expect((await api.call('post', `/api/stacks/${org}/${project}`, { stackName: stack })).status).to.equal(200);
  for (const m of markers) expect((await api.call('post', `${S}/import`, deployment(project, stack, 2, m), { gzip: true })).status).to.equal(200);
  return S;
}

async function startUpdate(api: Client, S: string) {
  const id = (await api.call('post', `${S}/update`, programRequest(false))).body.updateID as string;
  const started = await api.call('post', `${S}/update/${id}`, {});
  expect(started.status, started.text).to.equal(200);
  return { id, ut: { auth: `update-token ${started.body.token}`, gzip: true } };
}

const exported = async (api: Client, S: string, version?: number) => {
  const res = await api.call('get', version === undefined ? `${S}/export` : `${S}/export/${version}`);
  expect(res.status, res.text).to.equal(200);
  return JSON.parse(res.text) as { deployment: { resources: { outputs?: { marker?: string } }[] } };
};
const marker = (d: Awaited<ReturnType<typeof exported>>) => d.deployment.resources[0]?.outputs?.marker;

describe('admin operations: leases and rollback', () => {
  it('lists the leases that hold stacks, live then expired, and none once the update completes', async () => {
    const { clock, store, api, graph } = await setup();
    const S = await stackWithVersions(api, 'held', ['a']);
    await stackWithVersions(api, 'idle', ['b']);
    const { id, ut } = await startUpdate(api, S);
    const live = await listLeases(store, graph, { org });
    expect(live).to.have.length(1);
    expect(live[0]).to.deep.include({ stack: { org, project, stack: 'held' }, updateId: id, kind: 'update', state: 'live', journaled: false });
    clock.advance(61_000);
    expect((await listLeases(store, graph, { org, project }))[0]?.state).to.equal('expired');
    expect(await listLeases(store, graph, { org, project, stack: 'idle' })).to.deep.equal([]);
    clock.advance(-61_000);
    expect((await api.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut)).status).to.equal(200);
    expect(await listLeases(store, graph)).to.deep.equal([]);
  });

  it('breaks a lease as a cancel: the checkpoint the update saved is committed, the stack is free', async () => {
    const { store, api, graph } = await setup();
    const S = await stackWithVersions(api, 'dev', ['v1']);
    const { id, ut } = await startUpdate(api, S);
    expect((await api.call('patch', `${S}/update/${id}/checkpoint`, { isInvalid: false, version: 3, deployment: deployment(project, 'dev', 3, 'saved').deployment }, ut)).status).to.equal(200);
    expect(await breakLease(graph, { org, project, stack: 'dev' })).to.deep.equal({ updateId: id });
    expect(await listLeases(store, graph)).to.deep.equal([]);
    const stack = await api.call('get', S);
    expect(stack.body.version).to.equal(2);
    expect(marker(await exported(api, S))).to.equal('saved');
    const history = await api.call('get', `${S}/updates?pageSize=10&page=1`);
    expect(history.body.updates[0]).to.include({ updateID: id, result: 'failed', version: 2 });
    // The update itself is told it lost the stack.
    expect((await api.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut)).status).to.equal(403);
    const none = await breakLease(graph, { org, project, stack: 'dev' }).catch((err: unknown) => err);
    expect(isFulmarError(none, 'not-found'), String(none)).to.equal(true);
  });

  it('rolls back by committing version N again as a new import version, refused while an update holds the stack', async () => {
    const { api, graph } = await setup();
    const S = await stackWithVersions(api, 'dev', ['one', 'two', 'three']);
    const ref = { org, project, stack: 'dev' };
    const before = await exported(api, S, 1);

    const dry = await rollback(graph, ref, 1, true);
    expect(dry).to.include({ to: 1, from: 3, version: 4 });
    expect((await api.call('get', S)).body.version, 'a dry run commits nothing').to.equal(3);

    const done = await rollback(graph, ref, 1);
    expect(done).to.include({ to: 1, from: 3, version: 4 });
    expect(await exported(api, S)).to.deep.equal(before);
    expect(await exported(api, S, 4)).to.deep.equal(before);
    const latest = (await api.call('get', `${S}/updates?pageSize=1&page=1`)).body.updates[0];
    expect(latest).to.include({ kind: 'import', result: 'succeeded', version: 4, updateID: done.updateId });
    expect(latest.message).to.equal('rollback to version 1 (from version 3) by fulmar rollback');
    expect(latest.requestedBy, 'who ran it: the site admin').to.equal('admin');

    const missing = await rollback(graph, ref, 9).catch((err: unknown) => err);
    expect(isFulmarError(missing, 'not-found'), String(missing)).to.equal(true);

    const { id, ut } = await startUpdate(api, S);
    const refused = await rollback(graph, ref, 2).catch((err: unknown) => err);
    expect(isFulmarError(refused, 'conflict'), String(refused)).to.equal(true);
    expect((refused as Error).message).to.contain(`fulmar leases break ${org}/${project}/dev`);
    expect((await api.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut)).status).to.equal(200);
    expect((await api.call('get', S)).body.version).to.equal(5);
  });
});
