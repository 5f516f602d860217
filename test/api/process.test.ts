/**
 * The pod as a process: it boots with no configuration, refuses a bad configuration naming the
 * problem, and on SIGTERM finishes the request in flight before exiting. And `fulmar org create`,
 * which works on the configured store without a pod.
 */
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { expect } from 'chai';
import { runFulmar, serveFulmar } from '../helpers/fulmar-process.js';

const startPod = (env: Record<string, string>) => serveFulmar({ PATH: process.env.PATH ?? '', ...env });
const runCli = (args: string[], env: Record<string, string>) => runFulmar(args, { PATH: process.env.PATH ?? '', ...env });

const exitOf = async (child: ChildProcess) => {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number];
  return code;
};

describe('the pod process', function () {
  this.timeout(40_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fulmar-proc-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('drains the request in flight on SIGTERM, then exits 0', async () => {
    const pod = startPod({ FULMAR_DATA_DIR: dir });
    const base = await pod.url;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).to.equal(200);
    expect((await fetch(`${base}/readyz`)).status).to.equal(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).to.contain('fulmar_http_request_duration_seconds');
    expect(metrics).to.contain('fulmar_cache_hits_total');
    // The pod's store is metered: its boot already wrote and read the bucket.
    expect(metrics).to.match(/^fulmar_storage_requests_total\{operation="put",condition="if-none-match",outcome="ok"\} [1-9]/m);

    // A request whose body is still arriving when SIGTERM lands.
    const body = JSON.stringify({ stackName: 'dev' });
    const req = request(`${base}/api/stacks/acme/p`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: 'token nope' },
    });
    const response = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 5));
    await new Promise((r) => setTimeout(r, 300));
    pod.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    req.end(body.slice(5));
    expect(await response, pod.output()).to.equal(401);
    expect(await exitOf(pod.child), pod.output()).to.equal(0);
    expect(pod.output()).to.contain('"msg":"stopped"');
  });

  it('creates an org with `fulmar org create` in the filesystem store, which a pod then serves', async () => {
    const env = { FULMAR_DATA_DIR: dir };
    const created = await runCli(['org', 'create', 'acme'], env);
    expect(created, created.stderr).to.include({ code: 0, stdout: "created organization 'acme'\n" });
    // The first command on a fresh folder makes its master key, as the first pod would, and says so.
    expect(created.stderr).to.contain('generated a master key for stack secrets in the data folder');
    const again = await runCli(['org', 'create', 'acme'], env);
    expect(again).to.deep.equal({ code: 1, stdout: '', stderr: "fulmar org create: organization 'acme' already exists\n" });

    const token = 'process-test-admin-token';
    const pod = startPod({ ...env, FULMAR_ADMIN_TOKEN: token });
    const base = await pod.url;
    const res = await fetch(`${base}/api/stacks/acme/p`, {
      method: 'POST',
      headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ stackName: 'dev' }),
    });
    expect(res.status, await res.text()).to.equal(200);
    // The filesystem store serves one process: while the pod runs, the org goes through it.
    const locked = await runCli(['org', 'create', 'beta'], env);
    expect(locked.code).to.equal(1);
    expect(locked.stderr).to.match(/^fulmar org create: the data folder .* is in use by process \d+, .*stop it to run this command on that folder, or do the same over HTTP/);
    pod.child.kill('SIGTERM');
    expect(await exitOf(pod.child), pod.output()).to.equal(0);
  });

  it('refuses to start on an invalid configuration, listing every problem', async () => {
    const pod = startPod({ FULMAR_STORAGE: 's3', PORT: 'x' });
    pod.url.catch(() => undefined);
    expect(await exitOf(pod.child)).to.equal(2);
    expect(pod.output()).to.contain('PORT');
    expect(pod.output()).to.contain('FULMAR_S3_BUCKET');
  });
});
