/**
 * The console beside the real pulumi CLI, on the production topology: two `node dist/cli.js serve`
 * pods over one MinIO bucket, sharing FULMAR_SESSION_KEY and serving the console on PORT
 * (FULMAR_CONSOLE_PORT=0), behind the round-robin proxy that stands in for the load balancer.
 * The CLI runs `up` through the proxy (with PULUMI_CONSOLE_DOMAIN naming the proxy, so the links
 * it prints point there: pkg/backend/httpstate/client/console.go `CloudConsoleURL`), and Chromium
 * browses to what it did: the stack's history and resources, a slow update followed live, and the
 * exact "View Live" link the CLI printed.
 *
 * The programs need Node >= 22 (test/e2e/programs.ts), so `npm run test:console` runs on
 * scripts/node24.sh, as `npm run test:e2e` does; the pods run on the machine's own Node.
 *
 * FULMAR_CONSOLE_SCREENSHOTS=docs/console saves the CLI's stack and its update followed live there.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { launchChromium, requireChromium, type Browser } from '../helpers/chromium.js';
import { ensureMinioBinary, fulmarS3Env, startMinio, type MinioServer } from '../helpers/minio.js';
import { buildDist, repoRoot, startPod, type Pod } from '../helpers/pods.js';
import { startProxy, type Proxy } from '../helpers/proxy.js';
import { ensurePulumiBinary, PulumiSession } from '../helpers/pulumi.js';
import { components } from '../e2e/programs.js';

const ADMIN = `console-pods-admin-${randomBytes(12).toString('hex')}`;
const USER = 'carol';
const STACK = `${USER}/webapp/dev`;

/** The link `pulumi up` prints to its update ("View Live: …" / "View in Browser: …"). */
function printedLink(stdout: string): string {
  const m = /View (?:Live|in Browser)(?: \([^)]*\))?: (\S+)/.exec(stdout);
  if (!m) throw new Error(`no console link in the CLI's output:\n${stdout}`);
  return m[1] as string;
}

const SHOTS = process.env.FULMAR_CONSOLE_SCREENSHOTS;

describe('the console on real pods, beside the real pulumi CLI (MinIO, two pods, proxy)', function () {
  this.timeout(5 * 60_000);
  let minio: MinioServer;
  let pods: Pod[] = [];
  let proxy: Proxy;
  let logDir: string;
  let session: PulumiSession;
  let browser: Browser;
  let page: Page;
  let firstLink: string;

  before(async function () {
    const executable = requireChromium(this);
    ensurePulumiBinary(this);
    ensureMinioBinary(this);
    buildDist(); // dist/cli.js and dist/console/
    logDir = await mkdtemp(join(tmpdir(), 'fulmar-console-pods-'));
    minio = await startMinio();
    const env = {
      ...fulmarS3Env(minio),
      FULMAR_MASTER_KEYS: `console:${randomBytes(32).toString('base64')}`,
      FULMAR_ADMIN_TOKEN: ADMIN,
      // One key for every pod: a session cookie made by one is good on the other.
      FULMAR_SESSION_KEY: randomBytes(32).toString('base64'),
      FULMAR_CONSOLE_PORT: '0',
    };
    pods = await Promise.all(['pod1', 'pod2'].map((n) => startPod(n, env, logDir)));
    proxy = await startProxy(pods.map((p) => p.url));

    const made = await fetch(`${proxy.url}/api/admin/users/${USER}/tokens`, {
      method: 'POST',
      headers: { authorization: `token ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'carol runs the CLI and the console with this' }),
    });
    expect(made.status, await made.clone().text()).to.equal(200);
    const token = ((await made.json()) as { tokenValue: string }).tokenValue;
    session = await PulumiSession.create(proxy.url, token);
    // The CLI's links go to the proxy, where the pods serve the console beside the API.
    session.env.PULUMI_CONSOLE_DOMAIN = new URL(proxy.url).host;

    browser = await launchChromium(executable);
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${proxy.url}/`);
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('header .user').waitFor();
  });

  async function shot(name: string) {
    if (!SHOTS) return;
    const dir = join(repoRoot, SHOTS);
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
  }

  after(async function () {
    if (this.currentTest?.state === 'failed' || process.env.FULMAR_E2E_KEEP_LOGS) console.log(`      pod logs kept in ${logDir}`);
    await browser?.close();
    await Promise.all(pods.map((p) => p.stop()));
    await proxy?.close();
    await minio?.stop();
    if (session) await rm(session.home, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    const tails = await Promise.all(pods.map(async (p) => `--- ${p.name}\n${(await readFile(p.logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n')}`));
    console.log(tails.join('\n'));
  });

  it('(a) shows the history and resources of the stack the CLI updated', async () => {
    const stack = await session.stack(STACK, 'webapp', components(3, { prefix: 'c' }));
    const up = await stack.up({ message: 'first from the CLI' });
    expect(up.summary.result).to.equal('succeeded');
    firstLink = printedLink(up.stdout);

    await page.goto(`${proxy.url}/`);
    await page.getByRole('link', { name: STACK }).click();
    await page.waitForURL(`${proxy.url}/${STACK}`);
    const history = page.locator('table.history tbody tr');
    await history.first().waitFor();
    expect(await history.count()).to.equal(1);
    expect(await history.first().innerText()).to.contain('#1').and.contain('update').and.contain('succeeded').and.contain('first from the CLI');
    // Who ran it: the login the CLI's token belongs to, as Fulmar recorded it.
    expect(await history.first().innerText()).to.contain('carol');
    await shot('cli-stack');

    await page.goto(`${proxy.url}/${STACK}/resources`);
    const list = page.getByRole('listbox', { name: 'Resources by parent' });
    await list.getByRole('option', { name: /c2/ }).waitFor();
    const names = (await list.getByRole('option').allInnerTexts()).join('\n');
    expect(names).to.contain('c0').and.contain('c1').and.contain('fulmar:test:Thing');
  });

  it('(b) follows a slow `up` live while the CLI runs, then shows it finished', async () => {
    const stack = await session.stack(STACK, 'webapp', components(40, { prefix: 'c', delayMs: 150 }));
    let out = '';
    let cliDone = false;
    let resolveLink: (link: string) => void;
    const link = new Promise<string>((r) => (resolveLink = r));
    const running = stack
      .up({
        message: 'slow from the CLI',
        onOutput: (chunk) => {
          out += chunk;
          const m = /View (?:Live|in Browser)(?: \([^)]*\))?: (\S+)/.exec(out);
          if (m) resolveLink(m[1] as string);
        },
      })
      .finally(() => (cliDone = true));

    const live = await Promise.race([link, running.then(() => Promise.reject(new Error(`the CLI finished before printing a link:\n${out}`)))]);
    expect(live).to.equal(`${proxy.url}/${STACK}/updates/2`);
    await page.goto(live);
    await page.locator('.facts .live', { hasText: 'running' }).waitFor();
    const log = page.getByRole('log');
    await log.getByText('creating fulmar:test:Thing c5', { exact: false }).waitFor({ timeout: 30_000 });
    expect(cliDone, 'the page showed c5 being created while the CLI still ran').to.equal(false);
    expect(await log.innerText(), 'the last resource is not there yet').not.to.contain('c39');
    await shot('cli-update-live');

    const result = await running;
    expect(result.summary.result).to.equal('succeeded');
    await log.getByText('creating fulmar:test:Thing c39', { exact: false }).waitFor({ timeout: 30_000 });
    await page.locator('.facts .result', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    expect(await log.innerText()).to.match(/Resources: .*37 create/);
  });

  it('(c) the link `pulumi up` printed opens that update’s page', async () => {
    expect(firstLink).to.equal(`${proxy.url}/${STACK}/updates/1`);
    await page.goto(firstLink);
    await page.getByRole('heading', { name: 'Summary' }).waitFor();
    await page.locator('.facts .result', { hasText: 'succeeded' }).waitFor();
    expect(await page.locator('.facts').innerText()).to.contain('first from the CLI');
    await page.getByRole('log').getByText('creating fulmar:test:Thing c2', { exact: false }).waitFor();
  });
});
