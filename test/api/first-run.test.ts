/**
 * A newcomer's first run, as processes: `serve` on the embedded default with no configuration
 * mints a site-admin token into the data folder (owner-only) and prints the two lines that use it,
 * every start; `token create/list/revoke` work on the same folder; a store with no token at all
 * says how to make the first one (README.md#quick-start, README.md#first-token-on-a-bucket).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { FilesystemStore } from '../../src/storage/filesystem-store.js';
import { lockDataDir } from '../../src/storage/data-dir-lock.js';
import { ADMIN_TOKEN_FILE, ADMIN_TOKEN_NAME } from '../../src/services/admin-access.js';
import { FIRST_TOKEN_COMMAND } from '../../src/services/auth-service.js';
import { makeApi } from '../helpers/api.js';
import { runFulmar, serveFulmar } from '../helpers/fulmar-process.js';

const baseEnv = () => ({ PATH: process.env.PATH ?? '', FULMAR_LOG_LEVEL: 'info' });

interface Served {
  child: ChildProcess;
  /** Where it listens, from its "listening" log line. */
  url: string;
  port: number;
  output: () => string;
  stop(): Promise<number>;
}

/** `fulmar serve`, resolved once it listens and has printed the lines to paste after that. */
async function serve(env: Record<string, string>): Promise<Served> {
  // The plain line on stderr, at the start of a line — not the JSON log line on stdout that says
  // the same inside its "msg" and may arrive first.
  const pod = serveFulmar({ ...baseEnv(), ...env }, (out) => /^ *pulumi login \S+\n/m.test(out));
  const exited = once(pod.child, 'exit');
  const url = await pod.url;
  return {
    child: pod.child,
    url,
    port: Number(new URL(url).port),
    output: pod.output,
    async stop() {
      pod.child.kill('SIGTERM');
      const [code] = (await exited) as [number];
      return code;
    },
  };
}

/** One `fulmar …` command to its end. */
const fulmar = (args: string[], env: Record<string, string>) => runFulmar(args, { ...baseEnv(), ...env });

/** The token in the printed `export PULUMI_ACCESS_TOKEN=…` line (a whole line, ready to paste). */
function printedToken(output: string): string {
  const m = /^ *export PULUMI_ACCESS_TOKEN=(pul-[0-9a-f]{64})$/m.exec(output);
  expect(m, output).to.not.equal(null);
  return m![1] as string;
}

const me = (url: string, token?: string) => fetch(`${url}/api/user`, token ? { headers: { Authorization: `token ${token}` } } : {});

const tableRows = (stdout: string) => stdout.trim().split('\n').slice(1);

describe('the first run of the embedded default', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fulmar-firstrun-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('mints a site-admin token on first start, keeps it owner-only, prints the lines, and prints the same token on every start', async () => {
    const first = await serve({ FULMAR_DATA_DIR: dir });
    const token = printedToken(first.output());
    expect(first.output()).to.match(new RegExp(`^ *pulumi login http://localhost:${first.port}$`, 'm'));

    const file = join(dir, ADMIN_TOKEN_FILE);
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect((await readFile(file, 'utf8')).trim()).to.equal(token);

    const ok = await me(first.url, token);
    expect(ok.status).to.equal(200);
    expect(await ok.json()).to.deep.include({ githubLogin: 'admin', siteAdmin: true, tokenInfo: { name: ADMIN_TOKEN_NAME } });
    // A token exists, so a refusal is a plain refusal: no first-token advice.
    const refused = await me(first.url);
    expect(refused.status).to.equal(401);
    expect(((await refused.json()) as { message: string }).message).to.not.contain(FIRST_TOKEN_COMMAND);
    // The test reached the pod as 127.0.0.1 and the default public URL says localhost: one warning.
    const warnings = first.output().split('\n').filter((l) => l.includes('"level":40') && l.includes('FULMAR_PUBLIC_URL'));
    expect(warnings, first.output()).to.have.length(1);
    expect(warnings[0]).to.contain(`"host":"127.0.0.1:${first.port}"`).and.contain('(unset, so the default)');
    expect(await first.stop()).to.equal(0);

    const second = await serve({ FULMAR_DATA_DIR: dir, FULMAR_PUBLIC_URL: 'https://fulmar.example.com/' });
    expect(printedToken(second.output())).to.equal(token);
    expect(second.output()).to.match(/^ *pulumi login https:\/\/fulmar\.example\.com$/m);
    expect(second.output()).to.not.contain('minted');
    expect((await me(second.url, token)).status).to.equal(200);
    expect(await second.stop()).to.equal(0);

    const listed = await fulmar(['token', 'list', '--user', 'admin'], { FULMAR_DATA_DIR: dir });
    expect(listed.code, listed.stderr).to.equal(0);
    const rows = tableRows(listed.stdout);
    expect(rows, listed.stdout).to.have.length(1);
    expect(rows[0]).to.contain(ADMIN_TOKEN_NAME).and.match(/^[0-9a-f]{64} /);
  });

  it('after the kept token is revoked, the next start mints a new one in its place and the old one stops working', async () => {
    const first = await serve({ FULMAR_DATA_DIR: dir });
    const old = printedToken(first.output());
    expect(await first.stop()).to.equal(0);
    const id = tableRows((await fulmar(['token', 'list', '--user', 'admin'], { FULMAR_DATA_DIR: dir })).stdout)[0]!.split(' ')[0] as string;
    const revoked = await fulmar(['token', 'revoke', id], { FULMAR_DATA_DIR: dir });
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect(revoked.stderr).to.contain(`revoked token ${id} of user 'admin'`);

    const second = await serve({ FULMAR_DATA_DIR: dir });
    const fresh = printedToken(second.output());
    expect(fresh).to.not.equal(old);
    expect(second.output()).to.contain('no longer accepted');
    expect((await readFile(join(dir, ADMIN_TOKEN_FILE), 'utf8')).trim()).to.equal(fresh);
    expect((await stat(join(dir, ADMIN_TOKEN_FILE))).mode & 0o777).to.equal(0o600);
    expect((await me(second.url, fresh)).status).to.equal(200);
    expect((await me(second.url, old)).status).to.equal(401);
    expect(await second.stop()).to.equal(0);
  });

  it('token create, list and revoke work on the filesystem store', async () => {
    const env = { FULMAR_DATA_DIR: dir };
    const created = await fulmar(['token', 'create', '--user', 'alice', '--name', 'alice laptop'], env);
    expect(created.code, created.stderr).to.equal(0);
    const token = printedToken(created.stdout);
    // PORT is unset, so the default public URL is on the default port.
    expect(created.stdout).to.equal(`export PULUMI_ACCESS_TOKEN=${token}\npulumi login http://localhost:8080\n`);
    const id = /created token ([0-9a-f]{64}) for user 'alice'/.exec(created.stderr)?.[1];
    expect(id, created.stderr).to.be.a('string');

    const listed = await fulmar(['token', 'list', '--user', 'alice'], env);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout.split('\n')[0]).to.match(/^ID +CREATED +EXPIRES +NAME$/);
    expect(tableRows(listed.stdout)).to.have.length(1);
    expect(tableRows(listed.stdout)[0]).to.match(new RegExp(`^${id} +\\S+Z +never +alice laptop$`));

    // The token is an ordinary one: a pod over the same folder accepts it.
    const store = () => new FilesystemStore(join(dir, 'objects'));
    const alice = await request(makeApi(store()).app).get('/api/user').set('Authorization', `token ${token}`);
    expect(alice.status).to.equal(200);
    expect(alice.body).to.deep.include({ githubLogin: 'alice', siteAdmin: false, tokenInfo: { name: 'alice laptop' } });

    // `--user admin` is the site admin.
    const adminToken = printedToken((await fulmar(['token', 'create', '--user', 'admin'], env)).stdout);
    const admin = await request(makeApi(store()).app).get('/api/user').set('Authorization', `token ${adminToken}`);
    expect(admin.status).to.equal(200);
    expect(admin.body).to.deep.include({ githubLogin: 'admin', siteAdmin: true });

    const revoked = await fulmar(['token', 'revoke', id as string], env);
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect(revoked.stderr).to.contain(`revoked token ${id} of user 'alice'`);
    const after = await fulmar(['token', 'list', '--user', 'alice'], env);
    expect(after.code, after.stderr).to.equal(0);
    expect(after.stdout).to.equal('');
    expect(after.stderr).to.contain("user 'alice' holds no tokens");
    const gone = await request(makeApi(store()).app).get('/api/user').set('Authorization', `token ${token}`);
    expect(gone.status).to.equal(401);

    const again = await fulmar(['token', 'revoke', id as string], env);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain(`token '${id}' not found`);
    const nobody = await fulmar(['token', 'list', '--user', 'bob'], env);
    expect(nobody.code).to.equal(1);
    expect(nobody.stderr).to.contain("user 'bob' not found");
    const usage = await fulmar(['token', 'create', '--name', 'x'], env);
    expect(usage.code).to.equal(2);
    expect(usage.stderr).to.contain('create takes --user LOGIN');
  });

  it('refuses token commands while a pod holds the data folder, saying what to do instead', async () => {
    const lock = await lockDataDir(dir);
    try {
      const r = await fulmar(['token', 'list', '--user', 'admin'], { FULMAR_DATA_DIR: dir });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.contain(`in use by process ${process.pid}`).and.contain('stop it to run this command on that folder');
    } finally {
      await lock.release();
    }
  });
});

describe('a store where nobody can log in yet', function () {
  this.timeout(60_000);

  // The memory store takes the same path through src/main.ts as a bucket: everything that is not
  // the filesystem store with no FULMAR_ADMIN_TOKEN is told how to make the first token.
  it('starts, says in its log and on GET /api/user how to make the first token', async () => {
    const pod = await serve({ FULMAR_STORAGE: 'memory', FULMAR_PUBLIC_URL: 'http://fulmar.test:8080' });
    try {
      const warning = pod.output().split('\n').find((l) => l.includes('"level":40') && l.includes(FIRST_TOKEN_COMMAND));
      expect(warning, pod.output()).to.be.a('string');
      expect(pod.output()).to.match(/^ *pulumi login http:\/\/fulmar\.test:8080$/m);
      expect(pod.output()).to.not.contain('export PULUMI_ACCESS_TOKEN=pul-');

      for (const token of [undefined, 'pul-not-a-token']) {
        const r = await me(pod.url, token);
        expect(r.status).to.equal(401);
        const body = (await r.json()) as { code: number; message: string };
        expect(body.code).to.equal(401);
        expect(body.message).to.contain('Unauthorized: ').and.contain(`\`${FIRST_TOKEN_COMMAND}\``);
      }
    } finally {
      expect(await pod.stop()).to.equal(0);
    }
  });
});
