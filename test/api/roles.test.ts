/**
 * Who may do what (docs/design.md#roles): viewer reads, member writes, admin deletes and manages;
 * outsiders see nothing.
 */
import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { Client, createOrgs, deployment, makeApi, programRequest, stackPath } from '../helpers/api.js';

describe('roles and tokens', () => {
  const store = new MemoryStore();
  const { app } = makeApi(store);
  const admin = new Client([app]);
  const org = 'rolesorg';
  const S = stackPath(org, 'p', 'dev');
  const as: Record<string, Client> = {};

  before(async () => {
    await createOrgs(admin, org);
    for (const [login, role] of [['vera', 'viewer'], ['max', 'member'], ['ada', 'admin'], ['olga', undefined]] as const) {
      if (role) expect((await admin.call('put', `/api/orgs/${org}/members/${login}`, { role })).status).to.equal(200);
      const t = await admin.call('post', `/api/admin/users/${login}/tokens`, { description: `${login}'s token` });
      expect(t.status, t.text).to.equal(200);
      expect(t.body.tokenValue).to.be.a('string');
      as[login] = admin.withAuth(`token ${t.body.tokenValue}`);
    }
    expect((await admin.call('post', `/api/stacks/${org}/p`, { stackName: 'dev' })).status).to.equal(200);
    await admin.call('post', `${S}/import`, deployment('p', 'dev', 1), { gzip: true });
  });

  it('shows each user their orgs', async () => {
    const me = await as.max!.call('get', '/api/user');
    expect(me.body.githubLogin).to.equal('max');
    // The personal org first, then the orgs with a role (GET /api/user, docs/protocol.md).
    expect(me.body.organizations.map((o: { githubLogin: string }) => o.githubLogin)).to.deep.equal(['max', org]);
  });

  it('hides the org from outsiders (404), also in listings', async () => {
    expect((await as.olga!.call('get', S)).status).to.equal(404);
    expect((await as.olga!.call('get', `${S}/export`)).status).to.equal(404);
    const list = await as.olga!.call('get', '/api/user/stacks');
    expect(list.body.stacks.filter((s: { orgName: string }) => s.orgName === org)).to.deep.equal([]);
    expect((await as.olga!.call('post', `/api/stacks/${org}/p`, { stackName: 'x' })).status).to.equal(404);
  });

  it('lets a viewer read but not write (403)', async () => {
    expect((await as.vera!.call('get', S)).status).to.equal(200);
    expect((await as.vera!.call('get', `${S}/export`)).status).to.equal(200);
    expect((await as.vera!.call('get', `${S}/updates`)).status).to.equal(200);
    expect((await as.vera!.call('post', `${S}/update`, programRequest(false))).status).to.equal(403);
    expect((await as.vera!.call('patch', `${S}/tags`, { a: 'b' })).status).to.equal(403);
    expect((await as.vera!.call('post', `${S}/encrypt`, { plaintext: '' })).status).to.equal(403);
    expect((await as.vera!.call('post', `/api/stacks/${org}/p`, { stackName: 'v1' })).status).to.equal(403);
  });

  it('lets a member create stacks, run updates and set tags, but not delete or rename', async () => {
    expect((await as.max!.call('post', `/api/stacks/${org}/p`, { stackName: 'm1' })).status).to.equal(200);
    expect((await as.max!.call('post', `${S}/update`, programRequest(true))).status).to.equal(200);
    expect((await as.max!.call('patch', `${S}/tags`, { a: 'b' })).status).to.equal(204);
    expect((await as.max!.call('delete', `${stackPath(org, 'p', 'm1')}?force=true`)).status).to.equal(403);
    expect((await as.max!.call('post', `${S}/rename`, { newName: 'x', newProject: 'p' })).status).to.equal(403);
    expect((await as.max!.call('put', `/api/orgs/${org}/members/olga`, { role: 'viewer' })).status).to.equal(403);
  });

  it('lets an org admin delete stacks and manage members', async () => {
    expect((await as.ada!.call('delete', `${stackPath(org, 'p', 'm1')}?force=true`)).status).to.equal(204);
    expect((await as.ada!.call('put', `/api/orgs/${org}/members/olga`, { role: 'viewer' })).status).to.equal(200);
    const members = await as.ada!.call('get', `/api/orgs/${org}/members`);
    expect(members.body.members.map((m: { user: { githubLogin: string } }) => m.user.githubLogin).sort()).to.deep.equal(['ada', 'max', 'olga', 'vera']);
    expect((await as.ada!.call('get', `/api/orgs/${org}/members/olga`)).body.role).to.equal('viewer');
    expect((await as.ada!.call('delete', `/api/orgs/${org}/members/olga`)).status).to.equal(204);
    expect((await as.ada!.call('get', `/api/orgs/${org}/members/olga`)).status).to.equal(404);
  });

  it('issues, lists and revokes personal tokens', async () => {
    const created = await as.max!.call('post', '/api/user/tokens', { description: 'ci' });
    expect(created.status).to.equal(200);
    const ci = admin.withAuth(`token ${created.body.tokenValue}`);
    expect((await ci.call('get', '/api/user')).body.githubLogin).to.equal('max');
    const list = await as.max!.call('get', '/api/user/tokens');
    expect(list.body.tokens.map((t: { id: string }) => t.id)).to.include(created.body.id);
    expect(JSON.stringify(list.body)).not.to.contain(created.body.tokenValue);
    expect((await as.vera!.call('delete', `/api/user/tokens/${created.body.id}`)).status, "someone else's token").to.equal(404);
    expect((await as.max!.call('delete', `/api/user/tokens/${created.body.id}`)).status).to.equal(204);
  });

  it('refuses non-admins the admin token API', async () => {
    expect((await as.ada!.call('post', '/api/admin/users/zed/tokens', { description: 'x' })).status).to.equal(403);
  });
});
