/**
 * A bucket written by layout 1 keeps working under layout 2 (README.md, "Bucket layout", upgrading
 * from layout 1): the marker is swapped to 2, a register without an incarnation keeps its objects
 * at the layout-1 keys, and the first delete, re-create or move leaves layout 1 behind for that
 * name.
 */
import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { LAYOUT_KEY, pad } from '../../src/storage/layout.js';
import { ensureLayoutMarker } from '../../src/storage/probe.js';
import { Client, createOrgs, deployment, makeApi, programRequest, stackPath } from '../helpers/api.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** What layout 1 wrote for a stack with one committed version. */
async function layout1Stack(store: MemoryStore, stack: string) {
  const base = `acme/p/${stack}/`;
  const api = new Client([makeApi(store).app]);
  await createOrgs(api, 'acme');
  // The data key must be one this keyring wrapped: take it from a throwaway stack's register.
  await api.call('post', '/api/stacks/acme/p', { stackName: 'keysource' });
  const donor = JSON.parse((await store.get('acme/p/keysource/meta.json')).body.toString());
  await store.put(`${base}meta.json`, json({ ...donor, schema: 1, stack, incarnation: undefined, version: 1, resourceCount: 2, nonce: 'x' }));
  await store.put(`${base}checkpoints/${pad(1)}.json`, json(deployment('p', stack, 2, 'layout1')));
  await store.put(`${base}history/${pad(1)}.json`, json({ updateId: '00000000-0000-4000-8000-000000000001', kind: 'update', startTime: 1, endTime: 2, message: '', environment: {}, config: {}, result: 'succeeded', version: 1, resourceCount: 2 }));
  return api;
}

describe('layout 1 buckets', () => {
  it('swaps the marker from layout 1 to 2 once', async () => {
    const store = new MemoryStore();
    await store.put(LAYOUT_KEY, json({ layout: 1, createdAt: '2025-01-01T00:00:00.000Z' }));
    expect((await ensureLayoutMarker(store)).layout).to.equal(2);
    const marker = JSON.parse((await store.get(LAYOUT_KEY)).body.toString());
    expect(marker).to.include({ layout: 2, upgradedFrom: 1, createdAt: '2025-01-01T00:00:00.000Z' });
    expect((await ensureLayoutMarker(store)).layout).to.equal(2);
  });

  it('reads, updates and deletes a layout-1 stack where layout 1 put it', async () => {
    const store = new MemoryStore();
    const api = await layout1Stack(store, 'old');
    const S = stackPath('acme', 'p', 'old');
    expect(JSON.parse((await api.call('get', `${S}/export/1`)).text).deployment.resources[0].outputs.marker).to.equal('layout1');
    const id = (await api.call('post', `${S}/update`, programRequest(false))).body.updateID;
    const token = (await api.call('post', `${S}/update/${id}`, {})).body.token;
    const ut = { auth: `update-token ${token}`, gzip: true };
    expect((await api.call('patch', `${S}/update/${id}/checkpoint`, deployment('p', 'old', 3, 'v2'), ut)).status).to.equal(200);
    expect((await api.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut)).status).to.equal(200);
    expect((await api.call('get', `${S}/updates`)).body.updates).to.have.length(2);
    expect((await store.head(`acme/p/old/checkpoints/${pad(2)}.json`)).size).to.be.greaterThan(0);
    expect((await api.call('delete', `${S}?force=true`)).status).to.equal(204);
    const left = (await store.list({ prefix: 'acme/p/old/' })).objects.map((o) => o.key);
    expect(left, 'only the tombstone stays').to.deep.equal(['acme/p/old/meta.json']);
  });

  it('moves a layout-1 stack into layout 2', async () => {
    const store = new MemoryStore();
    const api = await layout1Stack(store, 'old');
    expect((await api.call('post', `${stackPath('acme', 'p', 'old')}/rename`, { newName: 'new' })).status).to.equal(204);
    const moved = JSON.parse((await api.call('get', `${stackPath('acme', 'p', 'new')}/export`)).text);
    expect(moved).to.deep.equal(deployment('p', 'new', 2, 'layout1'));
    const newKeys = (await store.list({ prefix: 'acme/p/new/' })).objects.map((o) => o.key);
    expect(newKeys.every((k) => k === 'acme/p/new/meta.json' || k.startsWith('acme/p/new/i/'))).to.equal(true);
    expect((await store.list({ prefix: 'acme/p/old/' })).objects.map((o) => o.key)).to.deep.equal(['acme/p/old/meta.json']);
  });
});
