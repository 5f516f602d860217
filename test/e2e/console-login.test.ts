/**
 * `pulumi login <url>` in the browser, with the real CLI (docs/console.md#cli-browser-login): the
 * CLI runs in a pseudo-terminal (it offers the browser only to an interactive terminal), a stub
 * `xdg-open` records the URL the CLI opens (github.com/pkg/browser runs the first of xdg-open,
 * x-www-browser, www-browser on Linux), and the test does what the console page does in a
 * browser: sign in with the user's token, ask `POST /console/cli-login` for the CLI's redirect, and
 * follow it. Afterwards `pulumi whoami` is that user, `pulumi stack ls` prints console links
 * that the console's own port answers, and `pulumi console` opens the stack's page. The pod runs in-process (src/main.ts) with its console on
 * a second port; PULUMI_CONSOLE_DOMAIN points the CLI at it, as docs/console.md#console-address says.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Running } from '../../src/main.js';
import { Browser } from '../helpers/browser.js';
import { cliHome, freePort, loginInPty, runCli as run, until, type PtyLogin, startFulmarWithConsole } from '../helpers/cli-browser-login.js';
import { ensurePulumiBinary } from '../helpers/pulumi.js';

const ADMIN = 'console-e2e-admin-token-0123456789';

describe('pulumi login in the browser, with the real CLI', function () {
  this.timeout(120_000);
  let fulmar: Running;
  let consolePort: number;
  let home: string;
  let env: Record<string, string>;
  let opened: () => string | undefined;
  let cli: PtyLogin | undefined;

  before(async function () {
    ensurePulumiBinary(this);
    consolePort = await freePort();
    fulmar = await startFulmarWithConsole(ADMIN, consolePort);
    const cliEnv = cliHome(`localhost:${consolePort}`);
    home = cliEnv.home;
    env = cliEnv.env;
    opened = cliEnv.opened;
  });

  after(async () => {
    cli?.kill();
    await fulmar?.stop();
  });

  it('logs in through the console, and the CLI then links to the console', async () => {
    // FULMAR_PUBLIC_URL's default is http://localhost:<port>, so the console's is on localhost too.
    expect(fulmar.consoleUrl).to.equal(`http://localhost:${consolePort}`);
    const api = fulmar.publicUrl;
    const consoleUrl = fulmar.consoleUrl;
    // The user, and a stack of theirs for `stack ls` to list.
    const made = await fetch(`${api}/api/admin/users/erin/tokens`, {
      method: 'POST',
      headers: { authorization: `token ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'erin signs in to the console with this' }),
    });
    const erinToken = ((await made.json()) as { tokenValue: string }).tokenValue;
    const stack = await fetch(`${api}/api/stacks/erin/proj`, {
      method: 'POST',
      headers: { authorization: `token ${erinToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ stackName: 'dev' }),
    });
    expect(stack.status, await stack.text()).to.be.oneOf([200, 201]);

    // `pulumi login` in a pseudo-terminal; ENTER once it offers the browser.
    cli = loginInPty(api, env);
    const { proc, exited } = cli;
    const login = cli;
    // The prompt names the console's token page, derived from PULUMI_CONSOLE_DOMAIN (backend.go: Login).
    await until('the browser prompt', () => (login.output().includes(`paste an access token from ${consoleUrl}/user/settings/tokens`) ? true : undefined));
    expect(login.output()).to.contain('Press <ENTER> to log in with your browser');
    proc.stdin?.write('\r');

    // What the console's /cli-login page does in the browser.
    const url = new URL(await until('the CLI to open the browser', opened));
    expect(`${url.origin}${url.pathname}`).to.equal(`${consoleUrl}/cli-login`);
    const browser = new Browser();
    const page = await browser.request(url.href, { headers: { accept: 'text/html' } });
    expect(page.status, 'the console answers /cli-login (the app, or the not-built page)').to.be.oneOf([200, 503]);
    expect(page.headers.get('content-type')).to.match(/text\/html/);
    const signIn = await browser.request(`${consoleUrl}/console/login/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-fulmar-console': '1' },
      body: JSON.stringify({ token: erinToken }),
    });
    expect(signIn.status, await signIn.clone().text()).to.equal(200);
    const finish = await browser.request(`${consoleUrl}/console/cli-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-fulmar-console': '1' },
      body: JSON.stringify({
        port: Number(url.searchParams.get('cliSessionPort')),
        nonce: url.searchParams.get('cliSessionNonce'),
        description: url.searchParams.get('cliSessionDescription'),
      }),
    });
    expect(finish.status, await finish.clone().text()).to.equal(200);
    const { redirect } = (await finish.json()) as { redirect: string };
    // The CLI's listener takes the token and sends the browser on to the console's welcome page.
    const handoff = await browser.request(redirect);
    expect(handoff.status).to.equal(307);
    expect(handoff.headers.get('location')).to.equal(`${consoleUrl}/welcome/cli`);

    // The CLI has stored the account once it says so; the pty may linger after it (a helper
    // process of the CLI can keep the terminal open), so it is not waited for.
    await until('the CLI to finish logging in', () => (/Logged in to \S+ as erin \(/.test(login.output()) ? true : undefined));
    expect(login.output()).to.contain(`Logged in to ${api} as erin (${consoleUrl}/erin)`);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);

    const whoami = await run(['whoami', '-v'], env);
    expect(whoami.status, whoami.stderr).to.equal(0);
    expect(whoami.stdout).to.match(/User: erin/);
    expect(whoami.stdout).to.contain(`Backend URL: ${consoleUrl}/erin`);

    // The token the browser login minted is named as the CLI described it.
    const tokens = await browser.request(`${consoleUrl}/api/user/tokens`);
    const names = ((await tokens.json()) as { tokens: { description: string }[] }).tokens.map((t) => t.description);
    expect(names.some((n) => /^Generated by pulumi login on /.test(n)), names.join(' | ')).to.equal(true);

    const ls = await run(['stack', 'ls', '--all'], env, home);
    expect(ls.status, ls.stderr).to.equal(0);
    const link = `${consoleUrl}/erin/proj/dev`;
    expect(ls.stdout).to.contain(link);
    const stackPage = await fetch(link, { headers: { accept: 'text/html' } });
    expect(stackPage.status, 'the console answers the stack link').to.be.oneOf([200, 503]);
    expect(stackPage.headers.get('content-type')).to.match(/text\/html/);

    // `pulumi console` opens the same page (pkg/cmd/pulumi/console/console.go: StackConsoleURL).
    const project = join(home, 'proj');
    spawnSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'Pulumi.yaml'), 'name: proj\nruntime: nodejs\n');
    rmSync(join(home, 'opened-url'));
    const opened2 = await run(['console', '--stack', 'erin/proj/dev'], env, project);
    expect(opened2.status, opened2.stderr).to.equal(0);
    expect(readFileSync(join(home, 'opened-url'), 'utf8')).to.equal(link);
  });
});
