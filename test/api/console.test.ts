/**
 * The web console's server side (docs/console.md): sessions in a signed cookie and nowhere else,
 * the CSRF header rule, the browser half of `pulumi login`, the console's pages beside the API,
 * and sign-in through a real OpenID Connect provider (oidc-provider) with org roles from groups.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { ManualClock } from '../../src/domain/clock.js';
import { ConsoleSite } from '../../src/services/console-site.js';
import { parseRoleMap } from '../../src/domain/oidc-claims.js';
import { signValue } from '../../src/domain/signed-cookie.js';
import type { OidcConfig } from '../../src/config/config.js';
import { ADMIN_TOKEN, Client, createOrgs, makeApi } from '../helpers/api.js';
import { Browser } from '../helpers/browser.js';
import { signInAtProvider, startProvider, type TestProvider } from '../helpers/oidc-provider.js';

const KEY = Buffer.alloc(32, 9);
const TTL = 3600;
const CSRF = { 'X-Fulmar-Console': '1' };

/** The `name=value` of a Set-Cookie answer, for a Cookie header. */
function cookieOf(res: request.Response, name = 'fulmar_session'): string {
  const line = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  return line.split(';')[0] as string;
}

function consoleApi(options: { clock?: ManualClock; consoleDir?: string; oidc?: OidcConfig; url?: string } = {}) {
  const site = new ConsoleSite(undefined, undefined);
  site.use(options.url ?? 'http://fulmar.test');
  const store = new MemoryStore();
  const api = makeApi(store, {
    clock: options.clock,
    consoleDir: options.consoleDir,
    console: { sessionKey: KEY, sessionTtlSeconds: TTL, site, oidc: options.oidc },
  });
  return { ...api, store, site, admin: new Client([api.app]) };
}

async function userToken(admin: Client, login: string): Promise<string> {
  const t = await admin.call('post', `/api/admin/users/${login}/tokens`, { description: 'for the console' });
  expect(t.status, t.text).to.equal(200);
  return t.body.tokenValue as string;
}

async function signIn(app: Express, token: string): Promise<string> {
  const res = await request(app).post('/console/login/token').set(CSRF).send({ token });
  expect(res.status, res.text).to.equal(200);
  return cookieOf(res);
}

describe('console sessions', () => {
  const clock = new ManualClock(Date.now());
  const { app, admin } = consoleApi({ clock });
  let alice: string;
  before(async () => {
    alice = await userToken(admin, 'alice');
  });

  it('tells the sign-in page what is offered and where things are', async () => {
    const res = await request(app).get('/console/config');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ signIn: true, oidc: false, apiUrl: 'http://fulmar.test', consoleUrl: 'http://fulmar.test' });
  });

  it('signs in with an API token: an HttpOnly, SameSite=Lax cookie, not Secure over http', async () => {
    const res = await request(app).post('/console/login/token').set(CSRF).send({ token: alice });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.equal({ login: 'alice' });
    const line = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0] as string;
    expect(line).to.match(/^fulmar_session=[\w-]+\.[\w-]+; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax$/);
  });

  it('refuses a wrong token (401) and a sign-in without the console header (403)', async () => {
    const wrong = await request(app).post('/console/login/token').set(CSRF).send({ token: 'pul-nope' });
    expect(wrong.status).to.equal(401);
    expect(wrong.body).to.have.keys('code', 'message');
    expect(wrong.body.message, 'the sign-in page shows it as it is').to.match(/that token was not accepted/);
    const noHeader = await request(app).post('/console/login/token').send({ token: alice });
    expect(noHeader.status).to.equal(403);
    expect(noHeader.body.message).to.match(/X-Fulmar-Console: 1/);
  });

  it('answers who is signed in, and accepts the cookie on API routes as the user', async () => {
    const cookie = await signIn(app, alice);
    const session = await request(app).get('/console/session').set('Cookie', cookie);
    expect(session.status, session.text).to.equal(200);
    expect(session.body).to.include({ login: 'alice', name: 'alice', siteAdmin: false, authMethod: 'token' });
    expect(session.body.orgs).to.deep.equal({ alice: 'admin' });
    const user = await request(app).get('/api/user').set('Cookie', cookie);
    expect(user.status, user.text).to.equal(200);
    expect(user.body.githubLogin).to.equal('alice');
  });

  it('takes roles from the user record as it is now, not as it was at sign-in', async () => {
    await createOrgs(admin, 'acme');
    const cookie = await signIn(app, alice);
    const set = await admin.call('put', '/api/orgs/acme/members/alice', { role: 'member' });
    expect(set.status, set.text).to.be.oneOf([200, 201, 204]);
    const session = await request(app).get('/console/session').set('Cookie', cookie);
    expect(session.body.orgs).to.deep.include({ acme: 'member' });
  });

  it('requires X-Fulmar-Console on a cookie request that changes something (CSRF)', async () => {
    const cookie = await signIn(app, alice);
    const forged = await request(app).post('/api/user/tokens').set('Cookie', cookie).send({ description: 'evil' });
    expect(forged.status).to.equal(403);
    const fine = await request(app).post('/api/user/tokens').set('Cookie', cookie).set(CSRF).send({ description: 'from the console' });
    expect(fine.status, fine.text).to.equal(200);
    expect(fine.body.tokenValue).to.match(/^pul-/);
    const listed = await request(app).get('/api/user/tokens').set('Cookie', cookie);
    expect(listed.body.tokens.map((t: { description: string }) => t.description)).to.include('from the console');
    const revoke = await request(app).delete(`/api/user/tokens/${fine.body.id}`).set('Cookie', cookie);
    expect(revoke.status, 'DELETE without the header').to.equal(403);
    const revoked = await request(app).delete(`/api/user/tokens/${fine.body.id}`).set('Cookie', cookie).set(CSRF);
    expect(revoked.status).to.equal(204);
  });

  it('refuses a tampered cookie, one signed with another key, and an expired one (401)', async () => {
    const cookie = await signIn(app, alice);
    const [name, value] = cookie.split('=') as [string, string];
    const [payload, mac] = value.split('.') as [string, string];
    const asAdmin = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), login: 'admin' })).toString('base64url');
    const otherKey = signValue(Buffer.alloc(32, 1), 'session', { login: 'alice', am: 'token', exp: Math.floor(Date.now() / 1000) + 600 } as never);
    for (const bad of [`${name}=${asAdmin}.${mac}`, `${name}=${payload}.${mac.slice(1)}`, `${name}=${otherKey}`]) {
      const res = await request(app).get('/console/session').set('Cookie', bad);
      expect(res.status, bad).to.equal(401);
      expect((await request(app).get('/api/user').set('Cookie', bad)).status).to.equal(401);
    }
    clock.advance((TTL + 1) * 1000);
    const expired = await request(app).get('/api/user').set('Cookie', cookie);
    expect(expired.status).to.equal(401);
  });

  it('prefers a token to a cookie, and without either costs no body read (401)', async () => {
    const res = await request(app).get('/api/user').set('Authorization', `token ${ADMIN_TOKEN}`).set('Cookie', 'fulmar_session=junk.junk');
    expect(res.body.githubLogin).to.equal('admin');
    const none = await request(app).post('/api/user/tokens').send({ description: 'x' });
    expect(none.status).to.equal(401);
  });

  it('ends a session begun with a token when that token is revoked', async () => {
    const t = await admin.call('post', '/api/admin/users/alice/tokens', { description: 'short-lived' });
    const cookie = await signIn(app, t.body.tokenValue);
    expect((await request(app).get('/console/session').set('Cookie', cookie)).status).to.equal(200);
    const revoked = await request(app).delete(`/api/user/tokens/${t.body.id}`).set('Authorization', `token ${t.body.tokenValue}`);
    expect(revoked.status).to.equal(204);
    const after = await request(app).get('/console/session').set('Cookie', cookie);
    expect(after.status).to.equal(401);
    expect(after.body.message).to.match(/revoked or has expired/);
  });

  it('signs out by clearing the cookie', async () => {
    const res = await request(app).post('/console/logout').set(CSRF);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({});
    expect(String(res.headers['set-cookie'])).to.match(/^fulmar_session=; Path=\/; Max-Age=0/);
    expect((await request(app).post('/console/logout')).status, 'without the header').to.equal(403);
  });

  it('answers 503 for sign-in when the deployment has no session key', async () => {
    const { app: keyless } = makeApi(new MemoryStore());
    const res = await request(keyless).post('/console/login/token').set(CSRF).send({ token: ADMIN_TOKEN });
    expect(res.status).to.equal(503);
    expect(res.body.message).to.match(/FULMAR_SESSION_KEY/);
  });
});

describe('browser login for the CLI (POST /console/cli-login)', () => {
  const { app, admin } = consoleApi();
  const nonce = 'a'.repeat(64);

  it('mints a token named by the description and answers the URL the CLI listens on', async () => {
    const cookie = await signIn(app, await userToken(admin, 'carol'));
    const res = await request(app)
      .post('/console/cli-login')
      .set('Cookie', cookie)
      .set(CSRF)
      .send({ port: 40123, nonce, description: 'Generated by pulumi login on box at 02 Dec 26 12:00 UTC' });
    expect(res.status, res.text).to.equal(200);
    const url = new URL(res.body.redirect);
    expect(`${url.origin}${url.pathname}`).to.equal('http://127.0.0.1:40123/');
    expect(url.searchParams.get('nonce')).to.equal(nonce);
    const token = url.searchParams.get('accessToken') as string;
    const me = await request(app).get('/api/user').set('Authorization', `token ${token}`);
    expect(me.body).to.include({ githubLogin: 'carol' });
    expect(me.body.tokenInfo).to.deep.equal({ name: 'Generated by pulumi login on box at 02 Dec 26 12:00 UTC' });
  });

  it('refuses a bad port or nonce (400), no session (401), and no console header (403)', async () => {
    const cookie = await signIn(app, await userToken(admin, 'dave'));
    for (const body of [{ port: 80, nonce }, { port: 70000, nonce }, { port: 40000, nonce: 'short' }, { port: 40000, nonce: `${nonce}&x=1` }]) {
      const res = await request(app).post('/console/cli-login').set('Cookie', cookie).set(CSRF).send(body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
    }
    expect((await request(app).post('/console/cli-login').set(CSRF).send({ port: 40000, nonce })).status).to.equal(401);
    expect((await request(app).post('/console/cli-login').set('Cookie', cookie).send({ port: 40000, nonce })).status).to.equal(403);
  });
});

describe('console pages beside the API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fulmar-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Fulmar</title><div id="app"></div>');
  writeFileSync(join(dir, 'assets', 'app-1a2b3c.js'), 'console.log(1)');
  const { app } = consoleApi({ consoleDir: dir });

  it('answers every page path of the app with index.html, revalidated each time', async () => {
    for (const path of ['/', '/cli-login?cliSessionPort=1234&cliSessionNonce=x', '/account/tokens', '/acme/web/dev.us/updates/3', '/acme/web/prod/previews/abc-123', '/welcome/cli']) {
      const res = await request(app).get(path).set('Accept', 'text/html');
      expect(res.status, path).to.equal(200);
      expect(res.text, path).to.contain('<div id="app">');
      expect(res.headers['cache-control'], path).to.equal('no-cache');
    }
  });

  it('caches hashed assets for a year, and a missing asset is a 404, not the app', async () => {
    const asset = await request(app).get('/assets/app-1a2b3c.js');
    expect(asset.status).to.equal(200);
    expect(asset.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
    expect((await request(app).get('/assets/gone.js').set('Accept', 'text/html')).status).to.equal(404);
  });

  it('keeps JSON 404s for unknown API and console paths', async () => {
    const res = await request(app).get('/api/nothing-here').set('Accept', 'text/html');
    expect(res.status).to.equal(404);
    expect(res.body.message).to.equal('Not Found: no route for GET /api/nothing-here');
    expect((await request(app).get('/console/nothing').set('Accept', 'text/html')).status).to.equal(404);
  });

  it("sends the CLI's token-page link (user/settings/tokens) to the console's token page", async () => {
    const res = await request(app).get('/user/settings/tokens');
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/account/tokens');
  });

  it('says to run npm run build when the console is not built', async () => {
    const { app: bare } = consoleApi({ consoleDir: join(dir, 'missing') });
    const res = await request(bare).get('/acme').set('Accept', 'text/html');
    expect(res.status).to.equal(503);
    expect(res.text).to.contain('npm run build');
  });
});

describe('console sign-in through OpenID Connect (oidc-provider)', function () {
  this.timeout(60_000);
  let server: Server;
  let base: string;
  let provider: TestProvider;
  let admin: Client;
  let services: ReturnType<typeof consoleApi>['services'];
  const ROLE_MAP = 'acme-admins=acme:admin,acme-devs=acme:member,beta-devs=beta:member';

  before(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    provider = await startProvider([`${base}/console/oidc/callback`], {
      jane: { preferred_username: 'jane.doe@example.com', name: 'Jane Doe', groups: ['acme-admins', 'beta-devs', 'other'] },
      bob: { preferred_username: 'bob', groups: ['acme-devs'] },
      root: { preferred_username: 'admin', groups: ['acme-admins'] },
    });
    const oidc: OidcConfig = {
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      scopes: 'openid profile groups',
      name: 'Test IdP',
      userClaim: 'preferred_username',
      groupsClaim: 'groups',
      roleMap: parseRoleMap(ROLE_MAP).entries,
    };
    const api = consoleApi({ oidc, url: base });
    services = api.services;
    admin = api.admin;
    server.on('request', api.app);
    await createOrgs(admin, 'acme', 'beta');
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await provider.close();
  });

  /** The whole round trip, as a browser makes it; answers the browser and Fulmar's last answer. */
  async function signInAs(sub: string, next = '/acme/web/prod') {
    const browser = new Browser();
    const start = await browser.request(`${base}/console/login/oidc?next=${encodeURIComponent(next)}`);
    expect(start.status).to.equal(302);
    const location = start.headers.get('location') as string;
    const auth = new URL(location);
    expect(auth.origin).to.equal(provider.issuer);
    expect(auth.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(auth.searchParams.get('redirect_uri')).to.equal(`${base}/console/oidc/callback`);
    for (const p of ['state', 'nonce', 'code_challenge']) expect(auth.searchParams.get(p), p).to.be.a('string').and.not.equal('');
    expect(browser.cookies(base).has('fulmar_oidc')).to.equal(true);
    const back = await signInAtProvider(browser, location, sub, `${base}/console/oidc/callback`);
    const done = await browser.request(back);
    return { browser, done, back };
  }

  it('reports the provider on the sign-in page', async () => {
    const res = await fetch(`${base}/console/config`);
    expect(await res.json()).to.deep.include({ signIn: true, oidc: true, oidcName: 'Test IdP' });
  });

  it('signs in: code + PKCE, the ID token verified, the user made from the claim, roles from groups', async () => {
    const { browser, done } = await signInAs('jane');
    expect(done.status, await done.clone().text()).to.equal(302);
    expect(done.headers.get('location')).to.equal('/acme/web/prod');
    expect(browser.cookies(base).has('fulmar_oidc'), 'the round-trip cookie is cleared').to.equal(false);
    const session = await browser.request(`${base}/console/session`);
    expect(session.status).to.equal(200);
    const body = (await session.json()) as { orgs: Record<string, string> } & Record<string, unknown>;
    expect(body).to.include({ login: 'jane-doe', name: 'Jane Doe', authMethod: 'oidc', siteAdmin: false });
    expect(body.orgs).to.deep.include({ 'jane-doe': 'admin', acme: 'admin', beta: 'member' });
    // The cookie works on the API too.
    const user = await browser.request(`${base}/api/user`);
    expect(((await user.json()) as { githubLogin: string }).githubLogin).to.equal('jane-doe');
    const members = await admin.call('get', '/api/orgs/acme/members');
    expect(members.status, members.text).to.equal(200);
  });

  it('writes the role map on every sign-in: a role the groups no longer give is removed', async () => {
    await signInAs('bob');
    expect((await services.auth.readUser('bob'))?.orgs).to.deep.equal({ acme: 'member' });
    // An admin gives bob a role in beta; his groups give him none there, so the next sign-in takes it away.
    await services.auth.applyExternalIdentity('bob', 'bob', new Map([['beta', 'viewer']]));
    expect((await services.auth.readUser('bob'))?.orgs).to.deep.equal({ acme: 'member', beta: 'viewer' });
    await signInAs('bob');
    expect((await services.auth.readUser('bob'))?.orgs).to.deep.equal({ acme: 'member' });
  });

  it('never redirects off the console after sign-in (no open redirect)', async () => {
    for (const next of ['https://evil.example.com/', '//evil.example.com/x', '/\\evil.example.com']) {
      const { done } = await signInAs('bob', next);
      expect(done.status).to.equal(302);
      expect(done.headers.get('location'), next).to.equal('/');
    }
  });

  it('refuses an identity whose claim would be the reserved admin login (403)', async () => {
    const { done } = await signInAs('root');
    expect(done.status).to.equal(403);
    expect(((await done.json()) as { message: string }).message).to.match(/no usable login in claim 'preferred_username'/);
  });

  it('refuses a callback without the round-trip cookie, or with another state (400, 403)', async () => {
    const { back } = await signInAs('bob');
    const stranger = new Browser();
    const res = await stranger.request(back);
    expect(res.status).to.equal(400);
    // A second browser's own round trip cannot be finished with the first one's code and state.
    const other = new Browser();
    await other.request(`${base}/console/login/oidc?next=/`);
    const mixed = await other.request(back);
    expect(mixed.status).to.equal(403);
  });
});
