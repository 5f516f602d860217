/**
 * Orgs are real (docs/design.md, "Organizations"): a site admin creates them, every user has a
 * personal one, `GET /api/user` lists them, nothing lands in an org that does not exist, logins
 * and org names never collide, and orgs from before the registry keep working.
 */
import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { layout } from '../../src/storage/layout.js';
import { Client, createOrgs, deployment, makeApi, stackPath, uniqueName } from '../helpers/api.js';

import { expectError } from '../helpers/assertions.js';

describe('organizations', () => {
  const store = new MemoryStore();
  const admin = new Client([makeApi(store).app]);

  async function userClient(login: string): Promise<Client> {
    const t = await admin.call('post', `/api/admin/users/${login}/tokens`, { description: `${login}'s laptop` });
    expect(t.status, t.text).to.equal(200);
    return admin.withAuth(`token ${t.body.tokenValue}`);
  }

  const orgsOf = async (client: Client) => {
    const me = await client.call('get', '/api/user');
    expect(me.status, me.text).to.equal(200);
    return me.body.organizations as { githubLogin: string; name: string; role: string }[];
  };

  describe('POST /api/orgs', () => {
    it('creates an org for a site admin (201) and records it under _system/orgs/', async () => {
      const name = uniqueName('acme');
      const res = await admin.call('post', '/api/orgs', { name });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.include({ name, kind: 'org', createdBy: 'admin' });
      const stored = JSON.parse((await store.get(layout.orgKey(name))).body.toString());
      expect(stored).to.include({ name, kind: 'org', createdBy: 'admin' });
    });

    it('refuses a name that is taken (409), by an org or by a login', async () => {
      const name = uniqueName('dup');
      await createOrgs(admin, name);
      expectError(await admin.call('post', '/api/orgs', { name }), 409, `Conflict: organization '${name}' already exists`);

      const login = uniqueName('bob');
      await userClient(login);
      expectError(
        await admin.call('post', '/api/orgs', { name: login }),
        409,
        `Conflict: '${login}' is the login of a user (their personal organization); an organization may not take it`,
      );
      expectError(
        await admin.call('post', '/api/orgs', { name: 'admin' }),
        409,
        "Conflict: 'admin' is the login of the site administrator (their personal organization); an organization may not take it",
      );
    });

    it('refuses anyone but a site admin (403) and an invalid name (400)', async () => {
      const carol = await userClient(uniqueName('carol'));
      expectError(await carol.call('post', '/api/orgs', { name: uniqueName('mine') }), 403, 'Forbidden: creating organizations requires a site admin');
      expectError(
        await admin.call('post', '/api/orgs', { name: 'a/b' }),
        400,
        `Bad Request: Invalid organization name "a/b": use 3 to 40 letters, digits, '-' or '_', starting and ending with a letter or digit.`,
      );
      expectError(await admin.call('post', '/api/orgs', {}), 400, 'Bad Request: invalid request body: name: Invalid input: expected string, received undefined');
    });

    it('refuses a new login that names an existing org (409), through both ways of creating users', async () => {
      const name = uniqueName('corp');
      await createOrgs(admin, name);
      const message = `Conflict: '${name}' is the name of an existing organization; a user may not take it as a login`;
      expectError(await admin.call('post', `/api/admin/users/${name}/tokens`, { description: 'x' }), 409, message);
      await createOrgs(admin, 'home-org');
      expectError(await admin.call('put', `/api/orgs/home-org/members/${name}`, { role: 'viewer' }), 409, message);
    });
  });

  describe('where stacks and members may go', () => {
    it('answers 404 naming the org to a stack created in an org that does not exist', async () => {
      expectError(
        await admin.call('post', '/api/stacks/nowhere/p', { stackName: 'dev' }),
        404,
        "Not Found: organization 'nowhere' does not exist",
      );
      expect((await admin.call('get', stackPath('nowhere', 'p', 'dev'))).status).to.equal(404);
      // Someone with no role there learns no more than for an org they cannot see.
      const dan = await userClient(uniqueName('dan'));
      expectError(await dan.call('post', '/api/stacks/nowhere/p', { stackName: 'dev' }), 404, "Not Found: organization 'nowhere' not found");
    });

    it('lets every user use their personal org, and the site admin theirs, without creating it', async () => {
      const login = uniqueName('erin');
      const erin = await userClient(login);
      expect((await erin.call('post', `/api/stacks/${login}/p`, { stackName: 'dev' })).status).to.equal(200);
      expect((await admin.call('post', '/api/stacks/admin/p', { stackName: uniqueName('dev') })).status).to.equal(200);
    });

    it('answers 404 naming the org to a transfer into an org that does not exist, and moves into one that does', async () => {
      const from = uniqueName('src');
      const to = uniqueName('dst');
      await createOrgs(admin, from, to);
      expect((await admin.call('post', `/api/stacks/${from}/p`, { stackName: 'dev' })).status).to.equal(200);
      const S = stackPath(from, 'p', 'dev');
      expectError(await admin.call('post', `${S}/transfer`, { toOrg: 'nowhere' }), 404, "Not Found: organization 'nowhere' does not exist");
      expect((await admin.call('get', S)).status, 'the stack stays').to.equal(200);
      expect((await admin.call('post', `${S}/transfer`, { toOrg: to })).status).to.equal(204);
      expect((await admin.call('get', stackPath(to, 'p', 'dev'))).status).to.equal(200);
    });

    it('answers 404 naming the org to membership calls of an org that does not exist', async () => {
      const message = "Not Found: organization 'nowhere' does not exist";
      expectError(await admin.call('put', '/api/orgs/nowhere/members/fred', { role: 'member' }), 404, message);
      expectError(await admin.call('get', '/api/orgs/nowhere/members/fred'), 404, message);
      expectError(await admin.call('delete', '/api/orgs/nowhere/members/fred'), 404, message);
      expectError(await admin.call('get', '/api/orgs/nowhere/members'), 404, message);
      expect((await store.head(layout.userKey('fred')).catch(() => undefined)) ?? 'absent', 'no user was created').to.equal('absent');
    });
  });

  describe('members of a personal org', () => {
    it('lists the owner as its admin (what `pulumi org member list` prints), and refuses to change their role', async () => {
      const login = uniqueName('kim');
      const kim = await userClient(login);
      const guest = uniqueName('lee');
      expect((await kim.call('put', `/api/orgs/${login}/members/${guest}`, { role: 'viewer' })).status).to.equal(200);
      const members = await kim.call('get', `/api/orgs/${login}/members`);
      expect(members.status, members.text).to.equal(200);
      expect(members.body.members.map((m: { user: { githubLogin: string }; role: string }) => [m.user.githubLogin, m.role])).to.deep.equal([
        [login, 'admin'],
        [guest, 'viewer'],
      ]);
      expect((await kim.call('get', `/api/orgs/${login}/members/${login}`)).body).to.include({ role: 'admin', organization: login });
      const owns = `Bad Request: '${login}' owns the personal organization '${login}' and is always its admin`;
      expectError(await kim.call('put', `/api/orgs/${login}/members/${login}`, { role: 'viewer' }), 400, owns);
      expectError(await kim.call('delete', `/api/orgs/${login}/members/${login}`), 400, owns);
      const adminMembers = await admin.call('get', '/api/orgs/admin/members');
      expect(adminMembers.body.members.map((m: { user: { githubLogin: string } }) => m.user.githubLogin)).to.deep.equal(['admin']);
    });
  });

  describe('GET /api/user', () => {
    it('lists the personal org first, then each org with a role in it (what `pulumi whoami -v` prints)', async () => {
      const login = uniqueName('gina');
      const [z, a] = [uniqueName('zeta'), uniqueName('alpha')];
      await createOrgs(admin, z, a);
      for (const org of [z, a]) expect((await admin.call('put', `/api/orgs/${org}/members/${login}`, { role: 'viewer' })).status).to.equal(200);
      const gina = await userClient(login);
      const orgs = await orgsOf(gina);
      expect(orgs.map((o) => o.githubLogin)).to.deep.equal([login, a, z]);
      expect(orgs[0]).to.deep.equal({ githubLogin: login, name: login, avatarUrl: '', role: 'admin' });
      expect(orgs[1]).to.include({ role: 'viewer' });
    });

    it('lists for the site admin their personal org and every org, which they administer', async () => {
      const name = uniqueName('listed');
      await createOrgs(admin, name);
      const orgs = await orgsOf(admin);
      expect(orgs[0]).to.deep.equal({ githubLogin: 'admin', name: 'admin', avatarUrl: '', role: 'admin' });
      expect(orgs.map((o) => o.githubLogin)).to.include(name);
      expect(orgs.every((o) => o.githubLogin !== '' && o.role === 'admin')).to.equal(true);
    });
  });

  describe('orgs from before the registry', () => {
    /** An org as a bucket written before orgs were recorded holds it: stacks and members, no record. */
    async function legacyOrg(withStack: boolean) {
      const name = uniqueName('old');
      await createOrgs(admin, name);
      if (withStack) {
        expect((await admin.call('post', `/api/stacks/${name}/p`, { stackName: 'dev' })).status).to.equal(200);
        await admin.call('post', `${stackPath(name, 'p', 'dev')}/import`, deployment('p', 'dev', 2), { gzip: true });
      }
      return name;
    }
    const forget = (name: string) => store.delete(layout.orgKey(name));

    it('keep their stacks working, take new stacks, and are recorded when first met', async () => {
      const name = await legacyOrg(true);
      await forget(name);
      const S = stackPath(name, 'p', 'dev');
      expect((await admin.call('get', `${S}/export`)).status).to.equal(200);
      expect((await admin.call('post', `/api/stacks/${name}/p`, { stackName: 'prod' })).status).to.equal(200);
      const recorded = JSON.parse((await store.get(layout.orgKey(name))).body.toString());
      expect(recorded).to.include({ name, kind: 'org', createdBy: 'fulmar' });
      expectError(await admin.call('post', '/api/orgs', { name }), 409, `Conflict: organization '${name}' already exists`);
    });

    it('count as existing when they only have members, for the site admin and for the members', async () => {
      const name = await legacyOrg(false);
      const login = uniqueName('hal');
      expect((await admin.call('put', `/api/orgs/${name}/members/${login}`, { role: 'member' })).status).to.equal(200);
      await forget(name);
      // No stacks: the site admin's call finds the org by its member's record.
      expect((await admin.call('put', `/api/orgs/${name}/members/${uniqueName('ivy')}`, { role: 'viewer' })).status).to.equal(200);
      await forget(name);
      // A member's own record says the org has members.
      const hal = await userClient(login);
      expect((await hal.call('post', `/api/stacks/${name}/p`, { stackName: 'dev' })).status).to.equal(200);
      expectError(
        await admin.call('post', `/api/admin/users/${name}/tokens`, { description: 'x' }),
        409,
        `Conflict: '${name}' is the name of an existing organization; a user may not take it as a login`,
      );
    });

    it('refuse to become a new org when they hold stacks (409), and are recorded then', async () => {
      const name = await legacyOrg(true);
      await forget(name);
      expectError(await admin.call('post', '/api/orgs', { name }), 409, `Conflict: organization '${name}' already exists (it holds stacks or members)`);
      expect(JSON.parse((await store.get(layout.orgKey(name))).body.toString())).to.include({ createdBy: 'fulmar' });
    });

    it('keep users created before the registry as the owners of their login', async () => {
      const login = uniqueName('jo');
      const jo = await userClient(login);
      await forget(login); // a user from before the registry has no claim on their personal org
      expect((await jo.call('post', `/api/stacks/${login}/p`, { stackName: 'dev' })).status).to.equal(200);
      expectError(
        await admin.call('post', '/api/orgs', { name: login }),
        409,
        `Conflict: '${login}' is the login of a user (their personal organization); an organization may not take it`,
      );
    });
  });
});
