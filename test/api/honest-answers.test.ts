/**
 * Every message the CLI prints from Fulmar is true: `pulumi cancel` on an idle stack, export of a
 * version that does not exist, features Fulmar does not provide, and the CLI's own `pulumi:` tags
 * (docs/protocol.md#stacks, docs/protocol.md#state, docs/protocol.md#not-provided).
 */
import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { layout } from '../../src/storage/layout.js';
import { Client, createOrgs, deployment, makeApi, programRequest, stackPath, uniqueName } from '../helpers/api.js';

import { expectError } from '../helpers/assertions.js';

describe('honest answers', () => {
  const store = new MemoryStore();
  const admin = new Client([makeApi(store).app]);
  const org = 'acme';
  const project = 'p';
  before(() => createOrgs(admin, org));

  async function newStack(tags: Record<string, string> = {}) {
    const stack = uniqueName('s');
    expect((await admin.call('post', `/api/stacks/${org}/${project}`, { stackName: stack, tags })).status).to.equal(200);
    return { stack, S: stackPath(org, project, stack), label: `stack '${org}/${project}/${stack}'` };
  }

  /** Runs one update to the end (create, start, checkpoint, complete); returns its id. */
  async function update(S: string, stack: string, tags?: Record<string, string>) {
    const id = (await admin.call('post', `${S}/update`, programRequest(false))).body.updateID as string;
    const started = await admin.call('post', `${S}/update/${id}`, tags ? { tags } : {});
    expect(started.status, started.text).to.equal(200);
    const ut = { auth: `update-token ${started.body.token}` };
    expect((await admin.call('patch', `${S}/update/${id}/checkpoint`, deployment(project, stack, 1), { ...ut, gzip: true })).status).to.equal(200);
    expect((await admin.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut)).status).to.equal(200);
    return id;
  }

  describe('pulumi cancel (GET S, then POST …/update/{activeUpdate}/cancel)', () => {
    it('names no update for a stack never updated, so the CLI says so truthfully', async () => {
      const { S } = await newStack();
      const got = await admin.call('get', S);
      expect(got.body.activeUpdate).to.equal('');
      expect(got.body).not.to.have.property('currentOperation');
    });

    it('names the last update of an idle stack, and refuses to cancel it with 409 saying it finished', async () => {
      const { stack, S, label } = await newStack();
      await update(S, stack);
      const last = await update(S, stack);
      const got = await admin.call('get', S);
      expect(got.body).to.include({ activeUpdate: last, version: 2 });
      expect(got.body).not.to.have.property('currentOperation');
      expectError(
        await admin.call('post', `${S}/update/${last}/cancel`),
        409,
        `Conflict: update '${last}' of ${label} already finished (succeeded); there is nothing to cancel`,
      );
      expect((await admin.call('get', S)).body.version, 'nothing changed').to.equal(2);
    });

    it('names an import as the last update too', async () => {
      const { stack, S, label } = await newStack();
      const imported = await admin.call('post', `${S}/import`, deployment(project, stack, 2), { gzip: true });
      expect(imported.status, imported.text).to.equal(200);
      expect((await admin.call('get', S)).body.activeUpdate).to.equal(imported.body.updateId);
      expectError(
        await admin.call('post', `${S}/update/${imported.body.updateId}/cancel`),
        409,
        `Conflict: update '${imported.body.updateId}' of ${label} already finished (succeeded); there is nothing to cancel`,
      );
    });

    it('cancels a running update (200) once; the next cancel says it was cancelled', async () => {
      const { S, label } = await newStack();
      const id = (await admin.call('post', `${S}/update`, programRequest(false))).body.updateID as string;
      expect((await admin.call('post', `${S}/update/${id}`, {})).status).to.equal(200);
      const running = await admin.call('get', S);
      expect(running.body.activeUpdate).to.equal(id);
      expect(running.body.currentOperation).to.include({ kind: 'update', author: 'admin' });
      const cancelled = await admin.call('post', `${S}/update/${id}/cancel`);
      expect(cancelled.status, cancelled.text).to.equal(200);
      expectError(
        await admin.call('post', `${S}/update/${id}/cancel`),
        409,
        `Conflict: update '${id}' of ${label} already finished (cancelled); there is nothing to cancel`,
      );
      const idle = await admin.call('get', S);
      expect(idle.body).to.include({ activeUpdate: id, version: 1 });
      expect(idle.body).not.to.have.property('currentOperation');
    });

    it('refuses to cancel a preview that already completed (409)', async () => {
      const { S, label } = await newStack();
      const id = (await admin.call('post', `${S}/preview`, programRequest(true))).body.updateID as string;
      const token = (await admin.call('post', `${S}/update/${id}`, {})).body.token as string;
      expect((await admin.call('post', `${S}/update/${id}/complete`, { status: 'failed' }, { auth: `update-token ${token}` })).status).to.equal(200);
      expectError(
        await admin.call('post', `${S}/update/${id}/cancel`),
        409,
        `Conflict: update '${id}' of ${label} already finished (failed); there is nothing to cancel`,
      );
    });

    it('finds the last update of a register written before lastUpdateId in its latest history entry', async () => {
      const { stack, S } = await newStack();
      const last = await update(S, stack);
      const key = layout.metaKey({ org, project, stack });
      const meta = JSON.parse((await store.get(key)).body.toString());
      expect(meta.lastUpdateId).to.equal(last);
      delete meta.lastUpdateId;
      await store.put(key, Buffer.from(JSON.stringify(meta)));
      const got = await admin.call('get', S);
      expect(got.status, got.text).to.equal(200);
      expect(got.body.activeUpdate).to.equal(last);
    });
  });

  describe('export of a version', () => {
    it('answers 404 saying the version does not exist, and 400 to a version that is not a positive integer', async () => {
      const { stack, S, label } = await newStack();
      for (let i = 0; i < 3; i++) await update(S, stack);
      expect((await admin.call('get', `${S}/export/3`)).status).to.equal(200);
      expectError(await admin.call('get', `${S}/export/99`), 404, `Not Found: version 99 of ${label} does not exist; its latest version is 3`);
      expectError(
        await admin.call('get', `${S}/export/123456789012345678901`),
        404,
        `Not Found: version 123456789012345678901 of ${label} does not exist; its latest version is 3`,
      );
      for (const bad of ['abc', '0', '-1', '1.5', '01']) {
        expectError(await admin.call('get', `${S}/export/${bad}`), 400, `Bad Request: version '${bad}' is not a positive integer`);
      }
    });

    it('says a stack never updated has no versions', async () => {
      const { S, label } = await newStack();
      expectError(await admin.call('get', `${S}/export/1`), 404, `Not Found: version 1 of ${label} does not exist; it has no versions yet`);
    });
  });

  describe('features Fulmar does not provide', () => {
    const S = stackPath(org, project, 'dev');
    const cases: [string, string, string][] = [
      // `pulumi env ls`, `env get`, `env open` (pkg/cmd/esc/cli/client/client.go)
      ['get', '/api/esc/environments', 'Pulumi ESC environments are not provided by Fulmar'],
      ['get', `/api/esc/environments/${org}`, 'Pulumi ESC environments are not provided by Fulmar'],
      ['post', `/api/esc/environments/${org}/yaml/open`, 'Pulumi ESC environments are not provided by Fulmar'],
      ['get', `/api/preview/environments/${org}/proj/env`, 'Pulumi ESC environments are not provided by Fulmar'],
      // `pulumi deployment settings get`, `deployment run` (client.go: getDeploymentPath)
      ['get', `${S}/deployments/settings`, 'Pulumi Deployments are not provided by Fulmar'],
      ['post', `${S}/deployments`, 'Pulumi Deployments are not provided by Fulmar'],
      ['get', `/api/orgs/${org}/deployments`, 'Pulumi Deployments are not provided by Fulmar'],
      // `pulumi policy ls`, `policy group ls` (client.go: listPolicyPacksPath, listPolicyGroupsPath)
      ['get', `/api/orgs/${org}/policypacks`, 'Policy packs, policy groups and policy results are not provided by Fulmar'],
      ['delete', `/api/orgs/${org}/policypacks/pack/versions/1`, 'Policy packs, policy groups and policy results are not provided by Fulmar'],
      ['get', `/api/orgs/${org}/policygroups`, 'Policy packs, policy groups and policy results are not provided by Fulmar'],
      // Insights, AI and Neo, resource search (client.go)
      ['get', `/api/preview/insights/${org}/accounts`, 'Pulumi Insights account scans are not provided by Fulmar'],
      ['post', '/api/ai/chat/preview', 'Pulumi AI and Neo are not provided by Fulmar'],
      ['get', `/api/orgs/${org}/ai/summary`, 'Pulumi AI and Neo are not provided by Fulmar'],
      ['get', `/api/preview/agents/${org}/tasks`, 'Pulumi AI and Neo are not provided by Fulmar'],
      ['get', `/api/orgs/${org}/search/resourcesv2`, 'Resource search is not provided by Fulmar'],
    ];

    for (const [method, path, sentence] of cases) {
      it(`answers ${method.toUpperCase()} ${path} with 404 "${sentence}"`, async () => {
        expectError(await admin.call(method as 'get', path, method === 'get' || method === 'delete' ? undefined : {}), 404, `Not Found: ${sentence}`);
      });
    }

    it('gives the same answer without a credential or with an unknown one', async () => {
      for (const auth of ['', 'token not-a-token']) {
        expectError(await admin.call('get', '/api/esc/environments', undefined, { auth }), 404, 'Not Found: Pulumi ESC environments are not provided by Fulmar');
      }
    });

    it('leaves the routes Fulmar serves, and a stack named like a feature, alone', async () => {
      expect((await admin.call('post', `/api/stacks/${org}/${project}`, { stackName: 'deployments' })).status).to.equal(200);
      expect((await admin.call('get', stackPath(org, project, 'deployments'))).body.stackName).to.equal('deployments');
      expect((await admin.call('get', `/api/orgs/${org}/members`)).status).to.equal(200);
      expectError(await admin.call('get', '/api/nothing-here'), 404, 'Not Found: no route for GET /api/nothing-here');
    });
  });

  describe("the CLI's own pulumi: tags (PATCH S/tags)", () => {
    const cliTags = { 'pulumi:project': project, 'pulumi:runtime': 'nodejs' };
    const why = "tags in the 'pulumi:' namespace are set by the pulumi CLI itself from the project, at stack creation and at each update";

    it('keeps working when the stored pulumi: tags come back unchanged (`stack tag set` sends the whole map)', async () => {
      const { S } = await newStack(cliTags);
      const res = await admin.call('patch', `${S}/tags`, { ...cliTags, owner: 'team-a' });
      expect(res.status, res.text).to.equal(204);
      expect((await admin.call('get', S)).body.tags).to.deep.equal({ ...cliTags, owner: 'team-a' });
      expect((await admin.call('patch', `${S}/tags`, cliTags)).status, '`stack tag rm owner`').to.equal(204);
      expect((await admin.call('get', S)).body.tags).to.deep.equal(cliTags);
    });

    it('refuses to change one by hand (400, what `pulumi stack tag set pulumi:project foo` prints)', async () => {
      const { S } = await newStack(cliTags);
      expectError(
        await admin.call('patch', `${S}/tags`, { ...cliTags, 'pulumi:project': 'foo' }),
        400,
        `Bad Request: tag 'pulumi:project' cannot be changed by hand (it is '${project}'): ${why}`,
      );
      expect((await admin.call('get', S)).body.tags).to.deep.equal(cliTags);
    });

    it('refuses to add one by hand (400)', async () => {
      const { S } = await newStack(cliTags);
      expectError(
        await admin.call('patch', `${S}/tags`, { ...cliTags, 'pulumi:template': 'mine' }),
        400,
        `Bad Request: tag 'pulumi:template' cannot be set by hand: ${why}`,
      );
      const { S: bare } = await newStack();
      expectError(await admin.call('patch', `${bare}/tags`, { 'pulumi:project': project }), 400, `Bad Request: tag 'pulumi:project' cannot be set by hand: ${why}`);
    });

    it('refuses to remove one by hand (400, `pulumi stack tag rm pulumi:runtime`)', async () => {
      const { S } = await newStack(cliTags);
      expectError(
        await admin.call('patch', `${S}/tags`, { 'pulumi:project': project, owner: 'x' }),
        400,
        `Bad Request: tag 'pulumi:runtime' cannot be removed by hand: ${why}`,
      );
      expect((await admin.call('get', S)).body.tags).to.deep.equal(cliTags);
    });

    it('stores the tags the CLI sends at update start as they are, and takes them back unchanged after', async () => {
      const { stack, S } = await newStack(cliTags);
      const fresh = { 'pulumi:project': project, 'pulumi:runtime': 'python', 'pulumi:description': 'now described' };
      await update(S, stack, fresh);
      expect((await admin.call('get', S)).body.tags).to.deep.equal(fresh);
      expect((await admin.call('patch', `${S}/tags`, { ...fresh, owner: 'b' })).status).to.equal(204);
    });
  });
});
