/** Hostile input gets a 400 (or is stored faithfully), never a 500, a hang or silent loss. */
import { expect } from 'chai';
import { MAX_BATCH_ITEMS } from '../../src/wire/requests.js';
import { pino } from 'pino';
import { MemoryStore } from '../../src/storage/memory-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { bucketAnswers } from '../../src/storage/readiness.js';
import { buildServices } from '../../src/services/build-services.js';
import { createApp } from '../../src/http/app.js';
import { MAX_TOKENS_PER_USER } from '../../src/services/auth-service.js';
import { layout } from '../../src/storage/layout.js';
import { Client, createOrgs, deployment, makeApi, programRequest, stackPath, uniqueName } from '../helpers/api.js';

describe('hostile input', () => {
  const store = new MemoryStore();
  const { app } = makeApi(store);
  const admin = new Client([app]);
  const org = 'acme';
  const project = 'p';
  before(() => createOrgs(admin, org));

  async function newStack() {
    const stack = uniqueName('s');
    expect((await admin.call('post', `/api/stacks/${org}/${project}`, { stackName: stack })).status).to.equal(200);
    return { stack, S: stackPath(org, project, stack) };
  }

  const expect400 = (res: { status: number; body: { code?: number; message?: string }; text: string }, pattern: RegExp) => {
    expect(res.status, res.text).to.equal(400);
    expect(res.body.code).to.equal(400);
    expect(res.body.message).to.match(pattern);
  };

  describe('tags', () => {
    it('validates start-update tags like PATCH tags, and stores none of a bad set', async () => {
      const { S } = await newStack();
      const id = (await admin.call('post', `${S}/update`, programRequest(false))).body.updateID as string;
      const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`t${i}`, 'v']));
      for (const tags of [{ '../x': 'v' }, { ok: 'x'.repeat(257) }, { ok: 42 }, many, ['a']]) {
        expect400(await admin.call('post', `${S}/update/${id}`, { tags }), /invalid request body: tags: Invalid tags?/);
      }
      expect((await admin.call('get', S)).body.tags).to.deep.equal({});
      const ok = await admin.call('post', `${S}/update/${id}`, { tags: { 'pulumi:project': project } });
      expect(ok.status, ok.text).to.equal(200);
      expect((await admin.call('get', S)).body.tags).to.deep.equal({ 'pulumi:project': project });
    });

    it('stores and returns a tag named __proto__ (PATCH, create and start-update)', async () => {
      const raw = (tags: string) => Buffer.from(tags);
      const { S } = await newStack();
      expect((await admin.call('patch', `${S}/tags`, raw('{"__proto__":"p","a":"b"}'))).status).to.equal(204);
      const got = await admin.call('get', S);
      expect(JSON.parse(got.text).tags).to.deep.equal(JSON.parse('{"__proto__":"p","a":"b"}'));
      expect(got.text).to.contain('"__proto__":"p"');

      const created = uniqueName('proto');
      const res = await admin.call('post', `/api/stacks/${org}/${project}`, raw(`{"stackName":"${created}","tags":{"__proto__":"c"}}`));
      expect(res.status, res.text).to.equal(200);
      expect((await admin.call('get', stackPath(org, project, created))).text).to.contain('"__proto__":"c"');

      const id = (await admin.call('post', `${S}/update`, programRequest(true))).body.updateID as string;
      const { S: S2 } = await newStack();
      const id2 = (await admin.call('post', `${S2}/update`, programRequest(false))).body.updateID as string;
      expect((await admin.call('post', `${S}/update/${id}`, {})).status).to.equal(200);
      expect((await admin.call('post', `${S2}/update/${id2}`, raw('{"tags":{"__proto__":"u"}}'))).status).to.equal(200);
      expect((await admin.call('get', S2)).text).to.contain('"__proto__":"u"');

      const listed = await admin.call('get', `/api/user/stacks?organization=${org}&project=${project}&tagName=__proto__`);
      expect(listed.status).to.equal(200);
      const names = listed.body.stacks.map((s: { stackName: string }) => s.stackName).sort();
      expect(names, 'only stacks that really have the tag').to.deep.equal([S.split('/').pop(), created, S2.split('/').pop()].sort());
    });
  });

  describe('stack list filters', () => {
    it('answers 400 to invalid organization, project and tag names instead of listing the bucket', async () => {
      for (const q of [
        'project=..',
        'project=.',
        'project=',
        'project=a%00b',
        'project=a%2Fb',
        'organization=_system',
        'organization=',
        'organization=a/b',
        'tagName=',
        'tagName=a%00',
        `tagValue=${'x'.repeat(300)}`,
        'project=a&project=b',
      ]) {
        const res = await admin.call('get', `/api/user/stacks?${q}`);
        expect(res.status, `${q}: ${res.text}`).to.equal(400);
        expect(res.body.code).to.equal(400);
      }
      expect((await admin.call('get', `/api/user/stacks?organization=${org}&project=${project}&tagName=a:b`)).status).to.equal(200);
    });
  });

  describe('states that are not deployments', () => {
    const bad: [string, string][] = [
      ['deployment null', '{"version":3,"deployment":null}'],
      ['deployment a string', '{"version":3,"deployment":"garbage"}'],
      ['resources a string', '{"version":3,"deployment":{"resources":"x"}}'],
      ['version 5', '{"version":5,"deployment":{"resources":[]}}'],
      ['version missing', '{"deployment":{"resources":[]}}'],
      ['a number', '42'],
      ['5,000 levels deep', `{"version":3,"deployment":{"resources":[],"x":${'['.repeat(5000)}${']'.repeat(5000)}}}`],
    ];

    async function withVersion1() {
      const s = await newStack();
      const good = deployment(project, s.stack, 2, 'good');
      expect((await admin.call('post', `${s.S}/import`, good)).status).to.equal(200);
      return { ...s, good };
    }

    const exported = async (S: string) => JSON.parse((await admin.call('get', `${S}/export`)).text);

    it('refuses them on import, and the previous state stays', async () => {
      const { S, good } = await withVersion1();
      for (const [what, text] of bad) {
        const res = await admin.call('post', `${S}/import`, Buffer.from(text), { gzip: true });
        expect(res.status, `${what}: ${res.text}`).to.equal(400);
        expect(res.body.code).to.equal(400);
      }
      expect(await exported(S)).to.deep.equal(good);
      expect((await admin.call('get', S)).body.version).to.equal(1);
    });

    async function running(S: string) {
      const id = (await admin.call('post', `${S}/update`, programRequest(false))).body.updateID as string;
      const token = (await admin.call('post', `${S}/update/${id}`, {})).body.token as string;
      return { U: `${S}/update/${id}`, ut: { auth: `update-token ${token}` } };
    }

    it('refuses them as full checkpoints, and the update commits the last good one', async () => {
      const { S, stack, good } = await withVersion1();
      const { U, ut } = await running(S);
      const next = deployment(project, stack, 3, 'next');
      expect((await admin.call('patch', `${U}/checkpoint`, next, ut)).status).to.equal(200);
      for (const [what, text] of bad) {
        const res = await admin.call('patch', `${U}/checkpoint`, Buffer.from(text), ut);
        expect(res.status, `${what}: ${res.text}`).to.equal(400);
      }
      expect(await exported(S)).to.deep.equal(next);
      expect((await admin.call('post', `${U}/complete`, { status: 'succeeded' }, ut)).status).to.equal(200);
      expect(await exported(S)).to.deep.equal(next);
      expect(good).not.to.deep.equal(next);
    });

    it('refuses them as verbatim checkpoints (untypedDeployment: 42 too)', async () => {
      const { S, good } = await withVersion1();
      const { U, ut } = await running(S);
      const verbatim = (text: string) => Buffer.from(`{"version":3,"untypedDeployment":${text},"sequenceNumber":1}`);
      for (const [what, text] of [...bad, ['untypedDeployment 42', '42'] as [string, string]]) {
        const res = await admin.call('patch', `${U}/checkpointverbatim`, verbatim(text), ut);
        expect(res.status, `${what}: ${res.text}`).to.equal(400);
      }
      expect(await exported(S), 'the running update has no checkpoint yet').to.deep.equal(good);
      const ok = JSON.stringify(deployment(project, 'x', 1));
      expect((await admin.call('patch', `${U}/checkpointverbatim`, verbatim(ok), ut)).status).to.equal(200);
    });

    it('refuses them as the initial state of a new stack, and creates nothing', async () => {
      for (const [what, text] of bad) {
        const stack = uniqueName('init');
        const res = await admin.call('post', `/api/stacks/${org}/${project}`, Buffer.from(`{"stackName":"${stack}","state":${text}}`));
        expect(res.status, `${what}: ${res.text}`).to.equal(400);
        expect((await admin.call('get', stackPath(org, project, stack))).status).to.equal(404);
      }
      const stack = uniqueName('init');
      const state = deployment(project, stack, 1);
      expect((await admin.call('post', `/api/stacks/${org}/${project}`, { stackName: stack, state })).status).to.equal(200);
      expect(await exported(stackPath(org, project, stack))).to.deep.equal(state);
    });
  });

  describe('tokens', () => {
    it(`caps a user at ${MAX_TOKENS_PER_USER} tokens and lists them through the owner index only`, async () => {
      const login = uniqueName('u');
      const first = await admin.call('post', `/api/admin/users/${login}/tokens`, { description: 'first' });
      expect(first.status, first.text).to.equal(200);
      const user = admin.withAuth(`token ${first.body.tokenValue}`);
      for (let i = 1; i < MAX_TOKENS_PER_USER; i++) {
        expect((await user.call('post', '/api/user/tokens', { description: `t${i}` })).status).to.equal(200);
      }
      const over = await user.call('post', '/api/user/tokens', { description: 'one too many' });
      expect400(over, new RegExp(`at most ${MAX_TOKENS_PER_USER} tokens`));
      expect((await admin.call('post', `/api/admin/users/${login}/tokens`, { description: 'x' })).status, 'admin-minted too').to.equal(400);

      // Listing must not read other users' tokens: hide every token record but this user's from LIST.
      const list = store.list.bind(store);
      const prefixes: string[] = [];
      store.list = async (options) => {
        prefixes.push(options?.prefix ?? '');
        return list(options);
      };
      try {
        const listed = await user.call('get', '/api/user/tokens');
        expect(listed.body.tokens).to.have.length(MAX_TOKENS_PER_USER);
      } finally {
        store.list = list;
      }
      expect(prefixes).to.deep.equal([layout.tokenOwnerPrefix(login)]);

      // Revoking frees a slot and removes the index entry.
      const revoke = await user.call('delete', `/api/user/tokens/${first.body.id}`);
      expect(revoke.status).to.equal(204);
      expect((await store.list({ prefix: layout.tokenOwnerPrefix(login) })).objects).to.have.length(MAX_TOKENS_PER_USER - 1);
      const again = await admin.call('post', `/api/admin/users/${login}/tokens`, { description: 'after revoke' });
      expect(again.status).to.equal(200);
    });

    it('indexes a token minted before the owner index when it is next used', async () => {
      const login = uniqueName('old');
      const t = await admin.call('post', `/api/admin/users/${login}/tokens`, { description: 'old' });
      // Make it look like a pre-index token: no entry, no flag.
      await store.delete(layout.tokenOwnerKey(login, t.body.id));
      const record = JSON.parse((await store.get(layout.tokenKey(t.body.id))).body.toString());
      delete record.indexed;
      await store.delete(layout.tokenKey(t.body.id));
      await store.put(layout.tokenKey(t.body.id), Buffer.from(JSON.stringify(record)));
      const fresh = makeApi(store).app; // a pod with a cold token cache
      const listed = await new Client([fresh], `token ${t.body.tokenValue}`).call('get', '/api/user/tokens');
      expect(listed.body.tokens.map((x: { id: string }) => x.id)).to.deep.equal([t.body.id]);
    });
  });

  describe('logins and org names', () => {
    it('refuses a new login that names an org; a personal org stays its owner', async () => {
      const taken = uniqueName('corp');
      await createOrgs(admin, taken);
      expect((await admin.call('post', `/api/stacks/${taken}/p`, { stackName: 'prod' })).status).to.equal(200);
      const mint = await admin.call('post', `/api/admin/users/${taken}/tokens`, { description: 'capture' });
      expect(mint.status, mint.text).to.equal(409);
      expect(mint.body.message).to.equal(`Conflict: '${taken}' is the name of an existing organization; a user may not take it as a login`);
      const member = await admin.call('put', `/api/orgs/${org}/members/${taken}`, { role: 'viewer' });
      expect(member.status, 'nor as a member').to.equal(409);
      expect(member.body.message).to.contain('existing organization');

      const staffed = uniqueName('team');
      await createOrgs(admin, staffed);
      expect((await admin.call('put', `/api/orgs/${staffed}/members/someone`, { role: 'admin' })).status).to.equal(200);
      const staff = await admin.call('post', `/api/admin/users/${staffed}/tokens`, { description: 'x' });
      expect(staff.status).to.equal(409);
      expect(staff.body.message).to.contain('existing organization');

      // A user created first owns their personal org, stacks and all; more tokens keep working.
      const owner = uniqueName('dev');
      const t1 = await admin.call('post', `/api/admin/users/${owner}/tokens`, { description: 'one' });
      expect(t1.status).to.equal(200);
      const me = admin.withAuth(`token ${t1.body.tokenValue}`);
      expect((await me.call('post', `/api/stacks/${owner}/p`, { stackName: 'mine' })).status).to.equal(200);
      expect((await admin.call('post', `/api/admin/users/${owner}/tokens`, { description: 'two' })).status).to.equal(200);
      expect((await me.call('post', '/api/user/tokens', { description: 'three' })).status).to.equal(200);
    });
  });

  describe('batch secrets', () => {
    it('refuses more values than the CLI ever batches, or an oversized value (400), and serves a full batch', async () => {
      const { S } = await newStack();
      const one = Buffer.from('x').toString('base64');
      const big = await admin.call('post', `${S}/batch-encrypt`, { plaintexts: Array(MAX_BATCH_ITEMS + 1).fill(one) }, { gzip: true });
      expect400(big, new RegExp(`at most ${MAX_BATCH_ITEMS} plaintexts`));
      const huge = await admin.call('post', `${S}/batch-encrypt`, { plaintexts: [Buffer.alloc(1_100_000).toString('base64')] }, { gzip: true });
      expect400(huge, /at most 1400000 base64 characters/);
      // A stack with 2,000 secrets decrypts in one call, as the CLI sends them.
      const ok = await admin.call('post', `${S}/batch-encrypt`, { plaintexts: Array(2000).fill(one) }, { gzip: true });
      expect(ok.status).to.equal(200);
      const dec = await admin.call('post', `${S}/batch-decrypt`, { ciphertexts: ok.body.ciphertexts }, { gzip: true });
      expect(dec.status).to.equal(200);
      expect(Object.keys(dec.body.plaintexts)).to.have.length(2000);
      const tooMany = await admin.call('post', `${S}/batch-decrypt`, { ciphertexts: Array(MAX_BATCH_ITEMS + 1).fill(ok.body.ciphertexts[0]) }, { gzip: true });
      expect400(tooMany, new RegExp(`at most ${MAX_BATCH_ITEMS} ciphertexts`));
    });
  });

  describe('readiness', () => {
    it('answers /readyz 503 within the deadline while every bucket call hangs', async () => {
      const hanging = new Proxy(new MemoryStore(), {
        get: (target, prop) => (prop === 'head' || prop === 'get' || prop === 'list' ? () => new Promise(() => {}) : Reflect.get(target, prop)),
      }) as ObjectStore;
      const services = buildServices({
        store: hanging,
        keyring: [{ id: 'k1', key: Buffer.alloc(32, 7) }],
        logger: pino({ level: 'silent' }),
        ready: bucketAnswers(hanging),
        readyTimeoutMs: 300,
      });
      const client = new Client([createApp(services)], '');
      const started = Date.now();
      const res = await client.call('get', '/readyz');
      expect(res.status).to.equal(503);
      expect(res.body).to.deep.equal({ code: 503, message: 'Service Unavailable: not ready' });
      expect(Date.now() - started).to.be.within(250, 2_000);
      expect((await client.call('get', '/healthz')).status, 'liveness does not touch the bucket').to.equal(200);
    });

    it('answers 200 when the bucket answers', async () => {
      const live = new MemoryStore();
      await live.put('fulmar.json', Buffer.from('{}'));
      const services = buildServices({ store: live, keyring: [{ id: 'k1', key: Buffer.alloc(32, 7) }], logger: pino({ level: 'silent' }), ready: bucketAnswers(live), readyTimeoutMs: 300 });
      expect((await new Client([createApp(services)], '').call('get', '/readyz')).status).to.equal(200);
    });
  });
});
