/**
 * What must hold after a crash or an abandoned client: an expired lease is taken over and the
 * dead update rolled forward (half-done moves and other races: lifecycle-races.test.ts).
 */
import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { ManualClock } from '../../src/domain/clock.js';
import { layout } from '../../src/storage/layout.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { Client, createOrgs, deployment, makeApi, programRequest, stackPath } from '../helpers/api.js';

describe('recovery', () => {
  it('lets a new update take over an expired lease, committing the dead update’s last checkpoint', async () => {
    const clock = new ManualClock(Date.now());
    const api = new Client([makeApi(new MemoryStore(clock), { leaseSeconds: 10, clock }).app]);
    await createOrgs(api, 'acme');
    await api.call('post', '/api/stacks/acme/p', { stackName: 'dev' });
    const S = stackPath('acme', 'p', 'dev');
    const dead = (await api.call('post', `${S}/update`, programRequest(false))).body.updateID;
    const token = (await api.call('post', `${S}/update/${dead}`, {})).body.token;
    const partial = deployment('p', 'dev', 3, 'partial');
    await api.call('patch', `${S}/update/${dead}/checkpoint`, partial, { auth: `update-token ${token}`, gzip: true });

    const next = (await api.call('post', `${S}/update`, programRequest(false))).body.updateID;
    expect((await api.call('post', `${S}/update/${next}`, {})).status, 'lease still live').to.equal(409);

    // 11 s pass on the store's clock.
    clock.advance(11_000);

    const takeover = await api.call('post', `${S}/update/${next}`, {});
    expect(takeover.status, takeover.text).to.equal(200);
    expect(takeover.body.version).to.equal(2);
    expect(JSON.parse((await api.call('get', `${S}/export/1`)).text)).to.deep.equal(partial);
    const history = await api.call('get', `${S}/updates`);
    expect(history.body.updates.map((u: { version: number; result: string }) => [u.version, u.result])).to.deep.equal([[1, 'failed']]);
    const renewDead = await api.call('post', `${S}/update/${dead}/renew_lease`, { duration: 300 }, { auth: `update-token ${token}` });
    expect(renewDead.status).to.equal(403);
  });

  it('records which stacks read a stack through StackReference', async () => {
    const api = new Client([makeApi(new MemoryStore()).app]);
    await createOrgs(api, 'acme');
    for (const s of ['net', 'app']) await api.call('post', '/api/stacks/acme/p', { stackName: s });
    const app = deployment('p', 'app', 1);
    (app.deployment.resources as unknown[]).push({
      urn: 'urn:pulumi:app::p::pulumi:pulumi:StackReference::net',
      custom: true,
      type: 'pulumi:pulumi:StackReference',
      inputs: { name: 'acme/p/net' },
    });
    await api.call('post', `${stackPath('acme', 'p', 'app')}/import`, app, { gzip: true });
    const refs = await api.call('get', `${stackPath('acme', 'p', 'net')}/downstreamreferences`);
    expect(refs.body).to.deep.equal({ referencedStacks: [{ organization: 'acme', routingProject: 'p', name: 'app', version: 1 }] });
    // A later version without the reference drops it.
    await api.call('post', `${stackPath('acme', 'p', 'app')}/import`, deployment('p', 'app', 1), { gzip: true });
    const after = await api.call('get', `${stackPath('acme', 'p', 'net')}/downstreamreferences`);
    expect(after.body.referencedStacks).to.deep.equal([]);
  });

  it('compresses responses for clients that ask for gzip', async () => {
    const api = new Client([makeApi(new MemoryStore()).app]);
    await createOrgs(api, 'acme');
    await api.call('post', '/api/stacks/acme/p', { stackName: 'big' });
    const S = stackPath('acme', 'p', 'big');
    await api.call('post', `${S}/import`, deployment('p', 'big', 50), { gzip: true });
    const res = await api.call('get', `${S}/export`).set('Accept-Encoding', 'gzip');
    expect(res.headers['content-encoding']).to.equal('gzip');
    expect(JSON.parse(res.text)).to.deep.equal(deployment('p', 'big', 50));
  });
});

describe('master key rotation', () => {
  it('re-wraps a stack’s data key with the new active key on first use; old ciphertexts stay readable', async () => {
    const store = new MemoryStore();
    const oldKey = { id: 'old', key: Buffer.alloc(32, 1) };
    const newKey = { id: 'new', key: Buffer.alloc(32, 2) };
    const before = new Client([makeApi(store, { keyring: [oldKey] }).app]);
    await createOrgs(before, 'acme');
    await before.call('post', '/api/stacks/acme/p', { stackName: 'rot' });
    const S = stackPath('acme', 'p', 'rot');
    const secret = await before.call('post', `${S}/encrypt`, { plaintext: Buffer.from('kept').toString('base64') });

    // A new key becomes active; the old one stays in the ring so existing stacks can be opened.
    const after = new Client([makeApi(store, { keyring: [newKey, oldKey] }).app]);
    const dec = await after.call('post', `${S}/decrypt`, { ciphertext: secret.body.ciphertext });
    expect(Buffer.from(dec.body.plaintext, 'base64').toString()).to.equal('kept');
    const meta = JSON.parse((await store.get(layout.metaKey({ org: 'acme', project: 'p', stack: 'rot' }))).body.toString());
    expect(meta.secrets.keyId).to.equal('new');

    // Once re-wrapped, the old key can leave the ring.
    const onlyNew = new Client([makeApi(store, { keyring: [newKey] }).app]);
    const again = await onlyNew.call('post', `${S}/decrypt`, { ciphertext: secret.body.ciphertext });
    expect(Buffer.from(again.body.plaintext, 'base64').toString()).to.equal('kept');
  });
});

describe('checkpoint fencing', () => {
  it('does not acknowledge a checkpoint that a concurrent cancel committed without', async () => {
    const inner = new MemoryStore();
    let beforeSecondCheckpoint: (() => Promise<void>) | undefined;
    // A store that lets a cancel run between the lease check and the write of checkpoint 2.
    const store: ObjectStore = {
      kind: 'interleaving',
      get: (k) => inner.get(k),
      head: (k) => inner.head(k),
      list: (o) => inner.list(o),
      delete: (k) => inner.delete(k),
      async put(key, body, options) {
        if (key.endsWith('/checkpoints/0000000002.json') && beforeSecondCheckpoint) {
          const run = beforeSecondCheckpoint;
          beforeSecondCheckpoint = undefined;
          await run();
        }
        return inner.put(key, body, options);
      },
    };
    const api = new Client([makeApi(store).app]);
    await createOrgs(api, 'acme');
    await api.call('post', '/api/stacks/acme/p', { stackName: 'fence' });
    const S = stackPath('acme', 'p', 'fence');
    const id = (await api.call('post', `${S}/update`, programRequest(false))).body.updateID;
    const token = (await api.call('post', `${S}/update/${id}`, {})).body.token;
    const ut = { auth: `update-token ${token}`, gzip: true };
    const first = deployment('p', 'fence', 1, 'first');
    expect((await api.call('patch', `${S}/update/${id}/checkpoint`, first, ut)).status).to.equal(200);

    beforeSecondCheckpoint = async () => {
      expect((await api.call('post', `${S}/update/${id}/cancel`)).status).to.equal(200);
    };
    const second = await api.call('patch', `${S}/update/${id}/checkpoint`, deployment('p', 'fence', 2, 'second'), ut);
    expect(second.status, 'the CLI must not believe this checkpoint was kept').to.equal(403);
    expect(JSON.parse((await api.call('get', `${S}/export`)).text)).to.deep.equal(first);
  });
});
