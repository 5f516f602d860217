/**
 * The web console in a real browser: Debian's Chromium driven by playwright-core, against the
 * built SPA (dist/console) served by Fulmar's own app (test/helpers/console-server.ts: signed
 * session cookies, the real /console/* endpoints) as two pods over one MinIO bucket (a memory
 * store where MinIO is not built, outside CI), with sign-in through a real OpenID Connect provider
 * (oidc-provider, test/helpers/oidc-provider.ts).
 *
 * FULMAR_CONSOLE_SCREENSHOTS=docs/console saves the main pages as PNGs there (the README's).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { MemoryStore } from '../../src/storage/memory-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { prepareBucket } from '../../src/storage/probe.js';
import { S3Store } from '../../src/storage/s3-store.js';
import { ensureMinioBinary, MINIO_BINARY, startMinio, type MinioServer } from '../helpers/minio.js';
import { parseRoleMap } from '../../src/domain/oidc-claims.js';
import { ADMIN_TOKEN, Client, createOrgs, deployment, stackPath } from '../helpers/api.js';
import { buildDist, repoRoot } from '../helpers/pods.js';
import { launchChromium, requireChromium, type Browser } from '../helpers/chromium.js';
import { startConsole, type ConsoleServer } from '../helpers/console-server.js';
import { startProvider, type TestProvider } from '../helpers/oidc-provider.js';
import { newStack, ORG, PROJECT, runUpdate, SECRET_PLAINTEXT, seedWorld, type World } from './fixtures.js';

const SHOTS = process.env.FULMAR_CONSOLE_SCREENSHOTS;
/** What the sign-in button names (FULMAR_OIDC_NAME), and the provider's one person. */
const OIDC_NAME = 'Acme SSO';
const OIDC_ACCOUNTS = { olivia: { preferred_username: 'olivia', name: 'Olivia Okafor', groups: ['acme-devs'] } };

describe('web console (Chromium)', function () {
  let browser: Browser;
  let server: ConsoleServer;
  /** A second pod over the same bucket, with the same session key. */
  let other: ConsoleServer;
  let minio: MinioServer | undefined;
  let provider: TestProvider | undefined;
  let world: World;
  let api: ConsoleServer;
  let page: Page;

  before(async function () {
    this.timeout(5 * 60_000);
    const executable = requireChromium(this);
    buildDist(); // dist/ and dist/console/, when older than their sources
    let store: () => ObjectStore;
    if (existsSync(MINIO_BINARY) || process.env.CI === 'true') {
      ensureMinioBinary(this);
      const m = (minio = await startMinio());
      store = () => new S3Store({ endpoint: m.endpoint, bucket: m.bucket, accessKey: m.accessKey, secretKey: m.secretKey, region: m.region, timeoutMs: 15_000 });
      await prepareBucket(store());
    } else {
      console.log(`      (${MINIO_BINARY} not built: the two pods share a memory store)`);
      const shared = new MemoryStore();
      store = () => shared;
    }
    const sessionKey = randomBytes(32);
    server = await startConsole({
      store: store(),
      sessionKey,
      leaseSeconds: 300,
      oidc: async (consoleUrl) => {
        provider = await startProvider([`${consoleUrl}/console/oidc/callback`], OIDC_ACCOUNTS);
        return {
          issuer: provider.issuer,
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          scopes: 'openid profile groups',
          name: OIDC_NAME,
          userClaim: 'preferred_username',
          groupsClaim: 'groups',
          roleMap: parseRoleMap(`acme-devs=${ORG}:member`).entries,
        };
      },
    });
    api = server;
    other = await startConsole({ store: store(), sessionKey, leaseSeconds: 300 });
    world = await seedWorld(api.app, ADMIN_TOKEN);
    browser = await launchChromium(executable);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await other?.close();
    await provider?.close();
    await minio?.stop();
  });
  beforeEach(async () => {
    await browser.context.clearCookies();
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
  });
  afterEach(async function () {
    // A failing test leaves its page as a picture for whoever reads the log.
    if (this.currentTest?.state === 'failed' && page) {
      const file = path.join(tmpdir(), `fulmar-console-failure-${Date.now()}.png`);
      await page.screenshot({ path: file }).then(() => console.log(`      screenshot of the failure: ${file}`), () => undefined);
    }
    await page?.close();
  });

  const url = (p: string) => `${server.url}${p}`;
  async function signIn(token: string, at = '/') {
    await page.goto(url(at));
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('header .user').waitFor();
  }
  async function shot(name: string) {
    if (!SHOTS) return;
    const dir = path.resolve(repoRoot, SHOTS);
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
  }

  it('signs in with a token, refuses a wrong one, and offers the OIDC sign-in /console/config names', async () => {
    await page.goto(url(`/${ORG}/${PROJECT}/prod`));
    // Signed out: the deep link goes to the sign-in page and remembers where it was going.
    await page.waitForURL(/\/login\?next=/);
    const sso = page.getByRole('link', { name: `Sign in with ${OIDC_NAME}` });
    expect(await sso.getAttribute('href')).to.equal(`/console/login/oidc?next=${encodeURIComponent(`/${ORG}/${PROJECT}/prod`)}`);
    await shot('sign-in');
    await page.getByLabel('Access token').fill('pul-not-a-real-token');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'not accepted' }).waitFor();
    await page.getByLabel('Access token').fill(world.tokens.alice);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(url(`/${ORG}/${PROJECT}/prod`));
    expect(await page.locator('header .user').textContent()).to.contain('alice');
    // Signing out ends the session: the next page asks again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.goto(url('/account/tokens'));
    await page.waitForURL(/\/login\?next=%2Faccount%2Ftokens/);
  });

  it('signs in through the OIDC provider and lands on the stacks as the mapped user', async () => {
    // The provider's own pages (oidc-provider's development login and consent) pull a web font
    // from Google; this network has none, and the test must not wait for it.
    await page.route((u) => !u.hostname.startsWith('127.0.0.1') && u.hostname !== 'localhost', (r) => r.abort());
    await page.goto(url('/'));
    await page.waitForURL(/\/login/);
    await page.getByRole('link', { name: `Sign in with ${OIDC_NAME}` }).click();
    // At the identity provider: its login form, then its consent page.
    await page.waitForURL(`${provider?.issuer}/**`);
    await page.locator('input[name="login"]').fill('olivia');
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    // Back at the console (callback → `next`), signed in as the user the claim names.
    await page.waitForURL(url('/'));
    await page.locator('header .user', { hasText: 'olivia' }).waitFor();
    await page.locator('table.grid tbody th').first().waitFor();
    const names = await page.locator('table.grid tbody th').allTextContents();
    // acme-devs → acme:member, so the org's stacks are hers to see.
    expect(names).to.include.members([`${ORG}/${PROJECT}/prod`, `${ORG}/${PROJECT}/staging`, `${ORG}/big/huge`]);
    const session = (await page.evaluate(async () => (await fetch('/console/session')).json())) as { orgs: Record<string, string> };
    expect(session).to.deep.include({ login: 'olivia', name: 'Olivia Okafor', authMethod: 'oidc', siteAdmin: false });
    expect(session.orgs).to.deep.include({ [ORG]: 'member' });
  });

  it('keeps a session begun on one pod good on another pod that shares the key (no session store)', async () => {
    await signIn(world.tokens.alice);
    // Cookies belong to a host, not a port: the browser sends the same one to the second pod.
    await page.goto(`${other.url}/${ORG}/${PROJECT}/prod`);
    await page.locator('header .user', { hasText: 'alice' }).waitFor();
    await page.locator('table.history tbody tr').first().waitFor();
    expect(await page.locator('table.history tbody tr').count()).to.equal(3);
  });

  it('browses stacks → a stack with its history → an update and its engine events', async () => {
    await signIn(world.tokens.alice);
    const rows = page.locator('table.grid tbody tr');
    await rows.first().waitFor();
    const names = await page.locator('table.grid tbody th').allTextContents();
    expect(names).to.include.members([`${ORG}/${PROJECT}/prod`, `${ORG}/${PROJECT}/staging`, `${ORG}/big/huge`]);
    // The stack whose update holds the lease is marked live.
    expect(await page.locator('tr', { hasText: `${PROJECT}/staging` }).locator('.live').textContent()).to.contain('updating now');
    // Filters: by tag, and by search text.
    await page.getByLabel('Tag', { exact: true }).fill('env=production');
    await page.getByText('1 of 3 stacks').waitFor();
    await page.getByLabel('Tag', { exact: true }).fill('');
    await page.getByLabel('Search').fill('huge');
    await page.getByText('1 of 3 stacks').waitFor();
    await page.getByLabel('Search').fill('');
    await shot('stacks');

    await page.getByRole('link', { name: `${ORG}/${PROJECT}/prod` }).click();
    await page.waitForURL(url(`/${ORG}/${PROJECT}/prod`));
    const history = page.locator('table.history tbody tr');
    await history.first().waitFor();
    expect(await history.count()).to.equal(3);
    const newest = await history.first().innerText();
    expect(newest).to.contain('#3').and.contain('update').and.contain('succeeded').and.contain('deploy v3');
    expect(await page.locator('.tags').first().innerText()).to.contain('env: production');
    await shot('stack');

    await page.getByRole('link', { name: '#3', exact: true }).click();
    await page.waitForURL(url(`/${ORG}/${PROJECT}/prod/updates/3`));
    const log = page.getByRole('log');
    await log.getByText('building release 3').waitFor();
    const text = await log.innerText();
    expect(text).to.contain('updating acme:db:Database db');
    expect(text).to.contain('warning: disk nearly full');
    expect(text).to.contain('Resources: 1 update, 2 same. Duration: 4s');
    expect(text, 'colour markup is stripped').not.to.contain('<{%');
    expect(await log.getAttribute('aria-live')).to.equal('polite');
    await shot('update');
  });

  it('follows a running update live: new events appear, then its end, from the URL the CLI prints', async () => {
    await signIn(world.tokens.alice);
    const S = stackPath(ORG, PROJECT, 'staging');
    const client = new Client([api.app]);
    const view = (await client.call('get', S)).body as { activeUpdate: string; version: number };
    expect(view.activeUpdate).to.be.a('string').and.not.empty;
    // While it runs, the CLI prints …/updates/<the version it will commit as>.
    await page.goto(url(`/${ORG}/${PROJECT}/staging/updates/${view.version + 1}`));
    await page.getByRole('log').getByText('still going').waitFor();
    await page.locator('.facts .live', { hasText: 'running' }).waitFor();
    // The CLI sends more events while the page is open: they appear without a reload.
    expect(view.activeUpdate).to.equal(world.running.id);
    const more = [{ sequence: 1, timestamp: 1_767_225_700, stdoutEvent: { message: 'now on step two\n', color: 'raw' } }];
    const sent = await client.call('post', `${S}/update/${world.running.id}/events/batch`, { events: more }, { auth: world.running.auth });
    expect(sent.status, sent.text).to.be.below(300);
    await page.getByRole('log').getByText('now on step two').waitFor({ timeout: 10_000 });
    // The update finishes behind the page's back (as the CLI would): the page sees it by polling.
    const status = await client.call('get', `${S}/update/${view.activeUpdate}`);
    expect(status.body.status).to.equal('running');
    await client.call('post', `${S}/update/${view.activeUpdate}/cancel`);
    await page.locator('.facts .result', { hasText: 'failed' }).waitFor({ timeout: 10_000 });
  });

  it('pages the stacks list: one service page up front, the next as the list scrolls or on "More stacks"', async () => {
    // An org of 210 stacks (the service's pages hold 100: src/services/stack-service.ts), seen by one user.
    const admin = new Client([api.app]);
    await createOrgs(admin, 'fleet');
    const made = await admin.call('post', '/api/admin/users/fiona/tokens', { description: 'console paging' });
    await admin.call('put', '/api/orgs/fleet/members/fiona', { role: 'member' });
    const names = Array.from({ length: 210 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 16) {
      await Promise.all(
        names.slice(i, i + 16).map(async (n) => {
          const r = await admin.call('post', '/api/stacks/fleet/svc', { stackName: n, tags: { 'pulumi:project': 'svc' } });
          expect(r.status, r.text).to.equal(200);
        }),
      );
    }
    const pages: string[] = [];
    page.on('request', (r) => r.url().includes('/api/user/stacks') && pages.push(new URL(r.url()).searchParams.get('continuationToken') ?? 'first'));
    await signIn(made.body.tokenValue as string);
    await page.getByText('100 of 100 stacks loaded so far').waitFor();
    expect(pages, 'one page up front').to.deep.equal(['first']);
    // Scrolling to the end of the list fetches the next page, and only that one.
    await page.locator('.list-end').scrollIntoViewIfNeeded();
    await page.getByText('200 of 200 stacks loaded so far').waitFor();
    expect(pages).to.have.length(2);
    await page.getByRole('button', { name: 'More stacks' }).click();
    await page.getByText('210 of 210 stacks', { exact: true }).waitFor();
    expect(pages).to.have.length(3);
    expect(await page.getByRole('button', { name: 'More stacks' }).count(), 'no more pages').to.equal(0);
    expect(await page.locator('table.grid tbody th').last().innerText()).to.equal('fleet/svc/s209');
  });

  it('renders a stack of 5,000 resources as a virtualised tree, quickly', async () => {
    await signIn(world.tokens.alice);
    // The state comes a page at a time (S/resources/latest?pageSize=), never as one export.
    const fetched: string[] = [];
    page.on('request', (r) => r.url().includes('/api/stacks/') && fetched.push(new URL(r.url()).pathname + new URL(r.url()).search));
    const started = Date.now();
    await page.goto(url(`/${ORG}/big/huge/resources`));
    const list = page.getByRole('listbox', { name: 'Resources by parent' });
    await list.getByRole('option').first().waitFor();
    const interactiveMs = Date.now() - started;
    // A sanity bound, not a benchmark: an unvirtualised 5,000-row tree takes far longer on 2 cores.
    expect(interactiveMs, `interactive after ${interactiveMs} ms`).to.be.below(15_000);
    expect(await page.getByRole('heading', { name: '5000 resources' }).count()).to.equal(1);
    await page.getByText('5000 shown', { exact: true }).waitFor();
    const resourcePages = fetched.filter((f) => f.includes('/resources/latest?pageSize=1000'));
    expect(resourcePages, fetched.join('\n')).to.have.length(5);
    expect(fetched.filter((f) => f.includes('/export')), 'no whole-state export').to.deep.equal([]);
    const rendered = await list.getByRole('option').count();
    expect(rendered, 'rows in the DOM').to.be.above(5).and.below(200);
    expect(await list.getByRole('option').first().getAttribute('aria-setsize')).to.equal('5000');
    console.log(`      (interactive after ${interactiveMs} ms with ${rendered} of 5000 rows in the DOM)`);
    await shot('resources');

    // Keyboard: End jumps to the last resource, which then exists in the DOM; Enter selects it.
    await list.focus();
    await page.keyboard.press('End');
    await list.getByRole('option', { name: /t4999/ }).waitFor();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 't4999' }).waitFor();
    expect(await page.locator('.detail').innerText()).to.contain('my:index:Thing').and.contain('"i": 4999');
    expect(await list.getByRole('option').count(), 'still virtualised at the bottom').to.be.below(200);

    // Filtering narrows the rows; folding the root hides its 4,999 children.
    await page.getByLabel('Filter by name or type').fill('t4998');
    await page.getByText('1 shown').waitFor();
    await page.getByLabel('Filter by name or type').fill('');
    await page.getByText('5000 shown').waitFor();
    await list.focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowLeft');
    await page.getByText('1 shown').waitFor();
  });

  it('masks secret outputs; a member reveals them, a viewer gets no reveal and the server refuses one', async () => {
    await signIn(world.tokens.alice, `/${ORG}/${PROJECT}/prod`);
    const outputs = page.locator('table.outputs');
    await outputs.waitFor();
    expect(await outputs.locator('tr', { hasText: 'dbPassword' }).innerText()).to.contain('[secret]');
    expect(await outputs.innerText()).not.to.contain(SECRET_PLAINTEXT);
    await page.getByRole('button', { name: 'Reveal secrets' }).click();
    await outputs.getByText(SECRET_PLAINTEXT).waitFor();
    await page.getByRole('button', { name: 'Hide secrets' }).click();
    await outputs.locator('tr', { hasText: 'dbPassword' }).getByText('[secret]').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(world.tokens.victor, `/${ORG}/${PROJECT}/prod`);
    await page.waitForURL(url(`/${ORG}/${PROJECT}/prod`));
    await outputs.waitFor();
    expect(await outputs.locator('tr', { hasText: 'dbPassword' }).innerText()).to.contain('[secret]');
    expect(await page.getByRole('button', { name: /Reveal/ }).count()).to.equal(0);
    // …and the server refuses the viewer's session the call the button would make.
    const refused = await page.evaluate(async (path) => {
      const stack = (await (await fetch(path)).json()) as { deployment: { resources: { outputs?: Record<string, unknown> }[] } };
      const secret = JSON.stringify(stack.deployment.resources[0]?.outputs?.dbPassword);
      const ciphertext = (JSON.parse(secret) as { ciphertext: string }).ciphertext;
      const res = await fetch(`${path.replace(/\/export$/, '')}/batch-decrypt`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Fulmar-Console': '1' },
        body: JSON.stringify({ ciphertexts: [ciphertext] }),
      });
      return { status: res.status, body: await res.text() };
    }, `/api/stacks/${ORG}/${PROJECT}/prod/export`);
    expect(refused.status, refused.body).to.equal(403);
    expect(refused.body).not.to.contain(Buffer.from(JSON.stringify(SECRET_PLAINTEXT)).toString('base64'));
    // …and no cancel button either: only admins see one.
    expect(await page.getByRole('button', { name: 'Cancel update' }).count()).to.equal(0);
  });

  it('diffs any two versions: added, removed and changed resources and properties', async () => {
    await signIn(world.tokens.alice, `/${ORG}/${PROJECT}/prod/diff?from=1&to=3`);
    const summary = page.locator('.diff-summary');
    await summary.waitFor();
    expect(await summary.innerText()).to.contain('1 added').and.contain('1 removed').and.contain('2 changed');
    expect(await page.locator('li.diff-added').innerText()).to.contain('queue');
    expect(await page.locator('li.diff-removed').innerText()).to.contain('cache');
    const db = page.locator('li.diff-changed', { hasText: 'acme:db:Database' });
    expect(await db.innerText()).to.contain('inputs.size').and.contain('"small"').and.contain('"large"');
    const stack = page.locator('li.diff-changed', { hasText: 'pulumi:pulumi:Stack' });
    expect(await stack.innerText()).to.contain('outputs.url').and.contain('outputs.dbPassword');
    expect(await stack.innerText(), 'a secret stays masked in a diff').not.to.contain(SECRET_PLAINTEXT);
    await shot('diff');
    // The picker moves to another pair.
    await page.getByLabel('From version').fill('2');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.waitForURL(/from=2&to=3/);
    await page.locator('.diff-summary', { hasText: '0 added' }).waitFor();
    expect(await page.locator('.diff-summary').innerText()).to.contain('1 removed').and.contain('0 changed');
  });

  it('creates a token (shown once) and revokes it', async () => {
    await signIn(world.tokens.alice, '/account/tokens');
    await page.getByLabel('Description').fill('laptop');
    await page.getByRole('button', { name: 'Create token' }).click();
    const value = await page.getByLabel('Your new token').inputValue();
    expect(value).to.match(/^pul-[a-f0-9]{64}$/);
    const client = new Client([api.app]);
    expect((await client.call('get', '/api/user', undefined, { auth: `token ${value}` })).body.githubLogin).to.equal('alice');
    const row = page.locator('table.tokens tbody tr', { hasText: 'laptop' });
    await row.waitFor();
    await shot('tokens');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByLabel('Your new token').count(), 'shown once').to.equal(0);

    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: /Revoke/ }).click();
    await page.getByRole('status').filter({ hasText: 'revoked' }).waitFor();
    await row.waitFor({ state: 'detached' });
    expect((await client.call('get', '/api/user', undefined, { auth: `token ${value}` })).status).to.equal(401);
  });

  it('lets an org admin change roles, and a site admin cancel a running update', async () => {
    await signIn(world.tokens.admin, `/${ORG}/members`);
    const role = page.getByLabel('Role of victor');
    await role.selectOption('member');
    await page.getByRole('status').filter({ hasText: 'victor is now a member' }).waitFor();
    const client = new Client([api.app]);
    expect((await client.call('get', `/api/orgs/${ORG}/members/victor`)).body.role).to.equal('member');
    await role.selectOption('viewer');
    await page.getByRole('status').filter({ hasText: 'victor is now a viewer' }).waitFor();

    // A stack of its own whose update runs, cancelled from its stack page.
    const S = await newStack(client, PROJECT, 'canary', {});
    await runUpdate(client, S, deployment(PROJECT, 'canary', 2), 'to cancel', [], { complete: false });
    await page.goto(url(`/${ORG}/${PROJECT}/canary`));
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel update' }).click();
    await page.locator('dd', { hasText: /^free$/ }).waitFor();
    expect((await client.call('get', S)).body.currentOperation, 'the lease is released').to.equal(undefined);
  });

  it('/cli-login signs in first, then hands the CLI a token through its local port', async () => {
    let received: URLSearchParams | undefined;
    const cli: Server = createServer((req, res) => {
      // The browser asks for /favicon.ico too; only the redirect carries the token.
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      if (q.has('accessToken')) received = q;
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('CLI got it');
    });
    await new Promise<void>((r) => cli.listen(0, '127.0.0.1', r));
    try {
      const port = (cli.address() as AddressInfo).port;
      // The CLI sends 32 random bytes in hex (pkg/backend/httpstate/backend.go: loginWithBrowser).
      const nonce = 'c0ffee42'.repeat(8);
      const q = new URLSearchParams({ cliSessionPort: String(port), cliSessionNonce: nonce, cliSessionDescription: 'Generated by pulumi login on box' });
      await page.goto(url(`/cli-login?${q}`));
      // Not signed in: sign in, and come back to the same page.
      await page.waitForURL(/\/login\?next=%2Fcli-login/);
      await page.getByLabel('Access token').fill(world.tokens.alice);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(/\/cli-login\?/);
      expect(await page.locator('.cli-description').innerText()).to.equal('Generated by pulumi login on box');
      await shot('cli-login');
      await page.getByRole('button', { name: 'Log in the pulumi CLI as alice' }).click();
      await page.waitForURL(`http://127.0.0.1:${port}/**`);
      expect(await page.locator('body').innerText()).to.contain('CLI got it');
      expect(received?.get('nonce')).to.equal(nonce);
      const token = received?.get('accessToken') ?? '';
      const client = new Client([api.app]);
      expect((await client.call('get', '/api/user', undefined, { auth: `token ${token}` })).body.githubLogin).to.equal('alice');
    } finally {
      cli.closeAllConnections();
      await new Promise((r) => cli.close(r));
    }
  });
});
