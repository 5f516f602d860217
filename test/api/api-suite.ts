/**
 * The API behaviour every deployment must show, run against each store: memory, filesystem,
 * and a real MinIO bucket shared by two app instances with requests alternating between them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import type { Express } from 'express';
import { Client, createOrgs, deployment, programRequest, stackPath, uniqueName } from '../helpers/api.js';

export interface ApiFixture {
  apps: Express[];
  cleanup(): Promise<void>;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function describeApiSuite(name: string, setup: (ctx: Mocha.Context) => Promise<ApiFixture>) {
  describe(`Pulumi API over ${name}`, function () {
    let fx: ApiFixture;
    let admin: Client;
    const org = 'acme';
    const project = 'proj';

    before(async function () {
      this.timeout(60_000);
      fx = await setup(this);
      admin = new Client(fx.apps);
      await createOrgs(admin, org, 'other-org');
    });
    after(async function () {
      this.timeout(30_000);
      await fx?.cleanup();
    });

    async function newStack(stack = uniqueName('dev')) {
      const res = await admin.call('post', `/api/stacks/${org}/${project}`, { stackName: stack, tags: { 'pulumi:project': project } });
      expect(res.status, res.text).to.equal(200);
      return { stack, S: stackPath(org, project, stack) };
    }

    /** As a CLI with PULUMI_DISABLE_JOURNALING=true (checkpoints), unless `journalVersion` is 1. */
    async function startUpdate(S: string, kind = 'update', dryRun = false, journalVersion = 0) {
      const created = await admin.call('post', `${S}/${kind}`, programRequest(dryRun));
      expect(created.status, created.text).to.equal(200);
      const id = created.body.updateID as string;
      const started = await admin.call('post', `${S}/update/${id}`, { tags: { 'pulumi:project': project }, journalVersion });
      return { id, started, token: started.body.token as string };
    }

    describe('discovery', () => {
      it('answers /api/user with a non-empty githubLogin', async () => {
        const res = await admin.call('get', '/api/user');
        expect(res.status).to.equal(200);
        expect(res.body.githubLogin).to.equal('admin');
        expect(res.body.organizations).to.be.an('array');
        expect(res.headers['x-pulumi-request-id']).to.be.a('string').and.not.empty;
      });

      it('advertises only the capabilities it implements, in the shape the CLI parses', async () => {
        const res = await admin.call('get', '/api/capabilities');
        const names = (res.body.capabilities as { capability: string }[]).map((c) => c.capability);
        expect(names).to.include.members(['delta-checkpoint-uploads-v2', 'batch-encrypt']);
        const delta = res.body.capabilities.find((c: { capability: string }) => c.capability === 'delta-checkpoint-uploads-v2');
        expect(delta.version).to.equal(2);
        expect(delta.configuration.checkpointCutoffSizeBytes).to.be.a('number');
      });

      it('names a default org', async () => {
        const res = await admin.call('get', '/api/user/organizations/default');
        expect(res.status).to.equal(200);
        expect(res.body.GitHubLogin).to.equal('admin');
      });

      it('rejects missing and wrong-kind credentials with 401 in Pulumi error shape', async () => {
        const none = await admin.call('get', '/api/user', undefined, { auth: '' });
        expect(none.status).to.equal(401);
        expect(none.body).to.deep.include({ code: 401 });
        const wrongKind = await admin.call('get', '/api/user', undefined, { auth: 'update-token abc' });
        expect(wrongKind.status).to.equal(401);
        const unknown = await admin.call('get', '/api/user', undefined, { auth: 'token nope-nope-nope' });
        expect(unknown.status).to.equal(401);
      });

      it('answers unknown routes 404 as JSON', async () => {
        const res = await admin.call('get', '/api/nothing/here');
        expect(res.status).to.equal(404);
        expect(res.body.code).to.equal(404);
        expect(res.body.message).to.match(/Not Found/);
      });
    });

    describe('stacks', () => {
      it('creates, refuses a duplicate with "already exists", and reads back the stack', async () => {
        const { stack, S } = await newStack();
        const dup = await admin.call('post', `/api/stacks/${org}/${project}`, { stackName: stack });
        expect(dup.status).to.equal(409);
        expect(dup.body.code).to.equal(409);
        expect(dup.body.message).to.contain('already exists');
        const got = await admin.call('get', S);
        expect(got.status).to.equal(200);
        expect(got.body).to.include({ orgName: org, projectName: project, stackName: stack, activeUpdate: '', version: 0 });
        expect(got.body.tags).to.deep.equal({ 'pulumi:project': project });
        const head = await admin.call('head', `/api/stacks/${org}/${project}`);
        expect(head.status).to.equal(200);
        const missingProject = await admin.call('head', `/api/stacks/${org}/nope-${stack}`);
        expect(missingProject.status).to.equal(404);
      });

      it('exports a never-updated stack as version 3 with a deployment', async () => {
        const { S } = await newStack();
        const res = await admin.call('get', `${S}/export`);
        expect(res.status).to.equal(200);
        expect(res.body.version).to.equal(3);
        expect(res.body).to.have.property('deployment');
        expect((await admin.call('get', `${S}/export/1`)).status).to.equal(404);
      });

      it('replaces all tags and filters the list by tag', async () => {
        const { stack, S } = await newStack();
        const tag = uniqueName('team');
        expect((await admin.call('patch', `${S}/tags`, { owner: tag, 'pulumi:project': project })).status).to.equal(204);
        expect((await admin.call('get', S)).body.tags).to.deep.equal({ owner: tag, 'pulumi:project': project });
        const listed = await admin.call('get', `/api/user/stacks?tagName=owner&tagValue=${tag}`);
        expect(listed.status).to.equal(200);
        expect(listed.body.stacks.map((s: { stackName: string }) => s.stackName)).to.deep.equal([stack]);
        expect(listed.body).not.to.have.property('continuationToken');
      });

      it('lists with continuation tokens, each stack once', async function () {
        const proj = uniqueName('many');
        const names = Array.from({ length: 105 }, (_, i) => `s${String(i).padStart(3, '0')}`);
        for (const n of names) {
          const r = await admin.call('post', `/api/stacks/${org}/${proj}`, { stackName: n });
          expect(r.status).to.equal(200);
        }
        const seen: string[] = [];
        let token: string | undefined;
        for (let page = 0; page < 5; page++) {
          const q = `/api/user/stacks?organization=${org}&project=${proj}${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`;
          const res = await admin.call('get', q);
          expect(res.status).to.equal(200);
          seen.push(...res.body.stacks.map((s: { stackName: string }) => s.stackName));
          token = res.body.continuationToken;
          expect(token).not.to.equal('');
          if (!token) break;
        }
        expect(seen).to.deep.equal(names);
      });

      it('refuses to delete a stack with resources without force, with the exact CLI message', async () => {
        const { S } = await newStack();
        const imp = await admin.call('post', `${S}/import`, deployment(project, 'x', 2), { gzip: true });
        expect(imp.status, imp.text).to.equal(200);
        const res = await admin.call('delete', `${S}?force=false`);
        expect(res.status).to.equal(400);
        expect(res.body).to.deep.equal({ code: 400, message: 'Bad Request: Stack still contains resources.' });
        expect((await admin.call('delete', `${S}?force=true`)).status).to.equal(204);
        expect((await admin.call('get', S)).status).to.equal(404);
      });

      it('re-creates a deleted stack name as a fresh stack', async () => {
        const { stack, S } = await newStack();
        await admin.call('post', `${S}/import`, deployment(project, stack, 3), { gzip: true });
        expect((await admin.call('delete', `${S}?force=true`)).status).to.equal(204);
        await newStack(stack);
        const res = await admin.call('get', S);
        expect(res.body.version).to.equal(0);
        expect((await admin.call('get', `${S}/export/1`)).status).to.equal(404);
      });
    });

    describe('update lifecycle', () => {
      it('runs create → start → verbatim + delta checkpoints → events → complete, and commits one version', async () => {
        const { stack, S } = await newStack();
        const { id, started, token } = await startUpdate(S);
        expect(started.status, started.text).to.equal(200);
        expect(started.body.version).to.equal(1);
        expect(token).to.be.a('string').and.not.empty;
        expect(started.body.journalVersion ?? 0, 'a CLI that did not ask journals not').to.equal(0);
        const U = `${S}/update/${id}`;
        const ut = { auth: `update-token ${token}`, gzip: true };

        const text1 = Buffer.from(JSON.stringify(deployment(project, stack, 2, 'one')));
        const verbatim = Buffer.concat([Buffer.from('{"version":3,"untypedDeployment":'), text1, Buffer.from(',"sequenceNumber":1}')]);
        expect((await admin.call('patch', `${U}/checkpointverbatim`, verbatim, ut)).status).to.equal(200);
        // Retried verbatim: idempotent.
        expect((await admin.call('patch', `${U}/checkpointverbatim`, verbatim, ut)).status).to.equal(200);

        // A delta replacing the marker (byte offsets: the text contains multi-byte characters).
        const from = text1.indexOf('"one"');
        const text2 = Buffer.concat([text1.subarray(0, from), Buffer.from('"twø"'), text1.subarray(from + 5)]);
        const delta = {
          version: 3,
          checkpointHash: sha256(text2),
          sequenceNumber: 2,
          deploymentDelta: [{ Span: { uri: '', start: { line: 1, column: 1, offset: from }, end: { line: 1, column: 1, offset: from + 5 } }, NewText: '"twø"' }],
        };
        expect((await admin.call('patch', `${U}/checkpointdelta`, delta, ut)).status).to.equal(200);
        expect((await admin.call('patch', `${U}/checkpointdelta`, delta, ut)).status, 'duplicate delta').to.equal(200);
        const bad = await admin.call('patch', `${U}/checkpointdelta`, { ...delta, sequenceNumber: 3, checkpointHash: 'a'.repeat(64) }, ut);
        expect(bad.status).to.equal(400);
        // A delta whose result is not a deployment is refused like any other state write.
        const garbage = Buffer.from('not a deployment');
        const notJson = {
          ...delta,
          sequenceNumber: 3,
          checkpointHash: sha256(garbage),
          deploymentDelta: [{ Span: { uri: '', start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: text2.length } }, NewText: garbage.toString() }],
        };
        const refused = await admin.call('patch', `${U}/checkpointdelta`, notJson, ut);
        expect(refused.status, refused.text).to.equal(400);

        // While running, export serves the newest intermediate checkpoint.
        const during = await admin.call('get', `${S}/export`);
        expect(Buffer.from(during.text)).to.deep.equal(text2);

        const ev = (seq: number) => ({ sequence: seq, timestamp: 1, stdoutEvent: { message: `m${seq}`, color: 'raw' } });
        expect((await admin.call('post', `${U}/events/batch`, { events: [ev(2), ev(3)] }, ut)).status).to.equal(200);
        expect((await admin.call('post', `${U}/events/batch`, { events: [ev(0), ev(1)] }, ut)).status).to.equal(200);
        expect((await admin.call('post', `${U}/events/batch`, { events: [ev(2), ev(3)] }, ut)).status).to.equal(200);
        const summary = { sequence: 4, timestamp: 2, summaryEvent: { resourceChanges: { create: 2 }, durationSeconds: 1 } };
        expect((await admin.call('post', `${U}/events/batch`, { events: [summary] }, ut)).status).to.equal(200);
        // A step's long property values are not kept in the log (docs/design.md, "Engine events").
        const step = (inputs: Record<string, string>) => ({ op: 'create', urn: 'urn:pulumi:s::p::t::r', type: 't', old: null, new: { urn: 'urn:pulumi:s::p::t::r', inputs } });
        const pre = { sequence: 5, timestamp: 3, resourcePreEvent: { metadata: step({ payload: 'p'.repeat(5000), small: 'ok' }), planning: false } };
        expect((await admin.call('post', `${U}/events/batch`, { events: [pre] }, ut)).status).to.equal(200);

        const renewed = await admin.call('post', `${U}/renew_lease`, { token: '', duration: 300 }, { auth: `update-token ${token}` });
        expect(renewed.status).to.equal(200);
        expect(renewed.body.token).to.be.a('string').and.not.empty;

        const done = await admin.call('post', `${U}/complete`, { status: 'succeeded' }, { auth: `update-token ${token}` });
        expect(done.status, done.text).to.equal(200);
        const again = await admin.call('post', `${U}/complete`, { status: 'succeeded' }, { auth: `update-token ${token}` });
        expect(again.status, 'complete is idempotent').to.equal(200);

        const after = await admin.call('get', `${S}/export`);
        expect(Buffer.from(after.text)).to.deep.equal(text2);
        expect(Buffer.from((await admin.call('get', `${S}/export/1`)).text)).to.deep.equal(text2);
        const stackNow = await admin.call('get', S);
        // Idle: `activeUpdate` names the last update, for `pulumi cancel` (docs/protocol.md#stacks).
        expect(stackNow.body).to.include({ version: 1, activeUpdate: id });
        expect(stackNow.body).not.to.have.property('currentOperation');

        const events = await admin.call('get', `${U}/events`);
        expect(events.body.events.map((e: { sequence: number }) => e.sequence)).to.deep.equal([0, 1, 2, 3, 4, 5]);
        expect(events.body.continuationToken).to.equal(null);
        expect(events.body.events[5].resourcePreEvent.metadata).to.deep.equal(
          step({ payload: "[5000 characters not kept in the event log; the stack's state holds the value]", small: 'ok' }),
        );

        const history = await admin.call('get', `${S}/updates?pageSize=10&page=1`);
        expect(history.body.updates).to.have.length(1);
        expect(history.body.updates[0]).to.include({ kind: 'update', result: 'succeeded', version: 1, resourceCount: 2 });
        expect(history.body.updates[0].resourceChanges).to.deep.equal({ create: 2 });
        const latest = await admin.call('get', `${S}/updates/latest`);
        expect(latest.body.info.version).to.equal(1);

        const renewAfter = await admin.call('post', `${U}/renew_lease`, { duration: 300 }, { auth: `update-token ${token}` });
        expect(renewAfter.status, 'renew after completion').to.equal(403);
        const lateCheckpoint = await admin.call('patch', `${U}/checkpointverbatim`, verbatim, ut);
        expect(lateCheckpoint.status).to.equal(403);
      });

      it('keeps full checkpoints idempotent and makes the last one the version', async () => {
        const { stack, S } = await newStack();
        const { id, token } = await startUpdate(S, 'refresh');
        const U = `${S}/update/${id}`;
        const ut = { auth: `update-token ${token}`, gzip: true };
        const d1 = deployment(project, stack, 1, 'a');
        const d2 = deployment(project, stack, 3, 'b');
        for (const d of [d1, d1, d2, d2]) {
          const res = await admin.call('patch', `${U}/checkpoint`, { isInvalid: false, ...d }, ut);
          expect(res.status, res.text).to.equal(200);
        }
        await admin.call('post', `${U}/complete`, { status: 'succeeded' }, { auth: `update-token ${token}` });
        const exp = await admin.call('get', `${S}/export`);
        expect(JSON.parse(exp.text)).to.deep.equal(d2);
        const history = await admin.call('get', `${S}/updates`);
        expect(history.body.updates[0]).to.include({ kind: 'refresh', version: 1, resourceCount: 3 });
      });

      it('allows one non-preview update at a time (409), while previews run alongside', async () => {
        const { S } = await newStack();
        const first = await startUpdate(S);
        expect(first.started.status).to.equal(200);
        const second = await startUpdate(S, 'destroy');
        expect(second.started.status).to.equal(409);
        expect(second.started.body.message).to.contain('Another update is currently in progress');
        const preview = await startUpdate(S, 'preview', true);
        expect(preview.started.status).to.equal(200);
        expect(preview.started.body.version).to.equal(0);
        const pComplete = await admin.call('post', `${S}/update/${preview.id}/complete`, { status: 'succeeded' }, { auth: `update-token ${preview.token}` });
        expect(pComplete.status).to.equal(200);
        const imp = await admin.call('post', `${S}/import`, deployment(project, 'x', 1), { gzip: true });
        expect(imp.status, 'import while an update runs').to.equal(409);
        const stackNow = await admin.call('get', S);
        expect(stackNow.body.activeUpdate).to.equal(first.id);
        expect(stackNow.body.currentOperation.kind).to.equal('update');
        // previews are not history
        await admin.call('post', `${S}/update/${first.id}/complete`, { status: 'succeeded' }, { auth: `update-token ${first.token}` });
        const history = await admin.call('get', `${S}/updates`);
        expect(history.body.updates.map((u: { kind: string }) => u.kind)).to.deep.equal(['update']);
      });

      it('cancel rolls the dead update forward: its last checkpoint becomes the version', async () => {
        const { stack, S } = await newStack();
        const { id, token } = await startUpdate(S);
        const U = `${S}/update/${id}`;
        const d = deployment(project, stack, 4, 'partial');
        await admin.call('patch', `${U}/checkpoint`, d, { auth: `update-token ${token}`, gzip: true });
        const cancel = await admin.call('post', `${U}/cancel`);
        expect(cancel.status).to.equal(200);
        const twice = await admin.call('post', `${U}/cancel`);
        expect(twice.status, 'cancel twice').to.equal(409);
        expect(twice.body.message).to.equal(`Conflict: update '${id}' of stack '${org}/${project}/${stack}' already finished (cancelled); there is nothing to cancel`);
        const stackNow = await admin.call('get', S);
        expect(stackNow.body).to.include({ version: 1, activeUpdate: id });
        expect(stackNow.body).not.to.have.property('currentOperation');
        expect(JSON.parse((await admin.call('get', `${S}/export`)).text)).to.deep.equal(d);
        const late = await admin.call('patch', `${U}/checkpoint`, d, { auth: `update-token ${token}`, gzip: true });
        expect(late.status).to.equal(403);
        const next = await startUpdate(S);
        expect(next.started.status).to.equal(200);
        expect(next.started.body.version).to.equal(2);
      });

      it('rejects a wrong update token with 403 and an API token on update routes with 401', async () => {
        const { S } = await newStack();
        const { id } = await startUpdate(S);
        const wrong = await admin.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, { auth: 'update-token bogus' });
        expect(wrong.status).to.equal(403);
        const apiToken = await admin.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' });
        expect(apiToken.status).to.equal(401);
      });
    });

    describe('state import', () => {
      it('imports in one shot: an import record that has succeeded and a new version', async () => {
        const { stack, S } = await newStack();
        const d = deployment(project, stack, 3);
        const res = await admin.call('post', `${S}/import`, d, { gzip: true });
        expect(res.status, res.text).to.equal(200);
        const updateId = res.body.updateId;
        const status = await admin.call('get', `${S}/update/${updateId}`);
        expect(status.body.status).to.equal('succeeded');
        expect(status.body.continuationToken).to.equal(null);
        expect(JSON.parse((await admin.call('get', `${S}/export`)).text)).to.deep.equal(d);
        const history = await admin.call('get', `${S}/updates`);
        expect(history.body.updates[0]).to.include({ kind: 'import', result: 'succeeded', version: 1 });
        const count = await admin.call('get', `${S}/resources/count`);
        expect(count.body).to.deep.equal({ resourceCount: 3, version: 1 });
        const latest = await admin.call('get', `${S}/resources/latest`);
        expect(latest.body.resources).to.have.length(3);
        expect(latest.body.resources[0].resource.type).to.equal('pulumi:pulumi:Stack');
      });

      it('pages resources/{version} on request: pageSize, the total, and a token to the next page', async () => {
        const { stack, S } = await newStack();
        const d = deployment(project, stack, 5);
        expect((await admin.call('post', `${S}/import`, d, { gzip: true })).status).to.equal(200);
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const res = await admin.call('get', `${S}/resources/latest?pageSize=2${token ? `&continuationToken=${token}` : ''}`);
          expect(res.status, res.text).to.equal(200);
          expect(res.body).to.include({ total: 5, version: 1 });
          seen.push(...res.body.resources.map((r: { resource: { urn: string } }) => r.resource.urn));
          token = res.body.continuationToken;
          pages++;
        } while (token);
        expect(pages).to.equal(3);
        expect(seen).to.deep.equal((d.deployment.resources as { urn: string }[]).map((r) => r.urn));
        // Without pageSize the answer is the service's unpaged one, with no paging fields.
        const whole = await admin.call('get', `${S}/resources/1`);
        expect(whole.body).to.have.all.keys('resources', 'region', 'version');
        expect((await admin.call('get', `${S}/resources/latest?pageSize=0`)).status).to.equal(400);
      });

      it('refuses an import that is not a deployment', async () => {
        const { S } = await newStack();
        const res = await admin.call('post', `${S}/import`, { version: 9, deployment: {} }, { gzip: true });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal(400);
      });
    });

    describe('secrets', () => {
      it('round-trips empty, text and binary plaintexts, and batch-decrypt echoes the keys', async () => {
        const { S } = await newStack();
        const plain = [Buffer.alloc(0), Buffer.from('hunter2'), randomBytes(32)];
        const one = await admin.call('post', `${S}/encrypt`, { plaintext: plain[1]?.toString('base64') });
        expect(one.status).to.equal(200);
        const dec = await admin.call('post', `${S}/decrypt`, { ciphertext: one.body.ciphertext });
        expect(Buffer.from(dec.body.plaintext, 'base64').toString()).to.equal('hunter2');
        const batch = await admin.call('post', `${S}/batch-encrypt`, { plaintexts: plain.map((p) => p.toString('base64')) }, { gzip: true });
        expect(batch.body.ciphertexts).to.have.length(3);
        const back = await admin.call('post', `${S}/batch-decrypt`, { ciphertexts: batch.body.ciphertexts }, { gzip: true });
        for (let i = 0; i < plain.length; i++) {
          expect(Buffer.from(back.body.plaintexts[batch.body.ciphertexts[i]], 'base64')).to.deep.equal(plain[i]);
        }
        const other = await newStack();
        const foreign = await admin.call('post', `${other.S}/decrypt`, { ciphertext: one.body.ciphertext });
        expect(foreign.status).to.equal(400);
        expect((await admin.call('post', `${S}/decrypt/log-decryption`, { secretName: 'x' })).status).to.equal(200);
      });
    });

    describe('rename and transfer', () => {
      it('renames stack and project, rewriting URNs, keeping secrets readable', async () => {
        const { stack, S } = await newStack();
        const secret = await admin.call('post', `${S}/encrypt`, { plaintext: Buffer.from('s3cret').toString('base64') });
        await admin.call('post', `${S}/import`, deployment(project, stack, 2), { gzip: true });
        const newName = uniqueName('renamed');
        const res = await admin.call('post', `${S}/rename`, { newName, newProject: 'proj2' });
        expect(res.status, res.text).to.equal(204);
        expect((await admin.call('get', S)).status).to.equal(404);
        const S2 = stackPath(org, 'proj2', newName);
        const got = await admin.call('get', S2);
        expect(got.body).to.include({ projectName: 'proj2', stackName: newName, version: 1 });
        const exported = JSON.parse((await admin.call('get', `${S2}/export`)).text);
        expect(exported).to.deep.equal(deployment('proj2', newName, 2));
        const dec = await admin.call('post', `${S2}/decrypt`, { ciphertext: secret.body.ciphertext });
        expect(Buffer.from(dec.body.plaintext, 'base64').toString()).to.equal('s3cret');
        const history = await admin.call('get', `${S2}/updates`);
        expect(history.body.updates).to.have.length(1);
      });

      it('transfers a stack to another org (204)', async () => {
        const { stack, S } = await newStack();
        const res = await admin.call('post', `${S}/transfer`, { toOrg: 'other-org' });
        expect(res.status, res.text).to.equal(204);
        expect((await admin.call('get', stackPath('other-org', project, stack))).status).to.equal(200);
        expect((await admin.call('get', S)).status).to.equal(404);
      });
    });

    describe('bad input', () => {
      it('answers malformed JSON, invalid names and oversize or bomb bodies in Pulumi error shape', async () => {
        const { S } = await newStack();
        const malformed = await admin.call('post', `/api/stacks/${org}/${project}`, Buffer.from('{"stackName":'));
        expect(malformed.status).to.equal(400);
        expect(malformed.body.code).to.equal(400);
        const badName = await admin.call('post', `/api/stacks/${org}/${project}`, { stackName: 'no/slash' });
        expect(badName.status).to.equal(400);
        const badOrg = await admin.call('get', '/api/stacks/_system/p/s');
        expect(badOrg.status).to.equal(400);
        const big = await admin.call('patch', `${S}/tags`, Buffer.alloc(5 * 1024 * 1024, 0x20));
        expect(big.status).to.equal(413);
        expect(big.body.code).to.equal(413);
        // 64 MiB of zeros gzips to ~64 KiB; the inflated size is what counts.
        const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
        const bombed = await admin
          .call('post', `${S}/import`, undefined)
          .set('Content-Encoding', 'gzip')
          .serialize((b: unknown) => b as string)
          .send(bomb);
        expect(bombed.status).to.equal(413);
        const badB64 = await admin.call('post', `${S}/decrypt`, { ciphertext: '%%%' });
        expect(badB64.status).to.equal(400);
      });
    });
  });
}
