/**
 * The pod as a process: it boots with no configuration, refuses a bad configuration naming the
 * problem, and on SIGTERM finishes the request in flight before exiting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { expect } from 'chai';

const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');

function startPod(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', FULMAR_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pod did not start:\n${out}`)), 20_000);
    child.stdout!.on('data', () => {
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.on('exit', () => reject(new Error(`pod exited:\n${out}`)));
  });
  return { child, url, output: () => out };
}

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

  it('refuses to start on an invalid configuration, listing every problem', async () => {
    const pod = startPod({ FULMAR_STORAGE: 's3', PORT: 'x' });
    pod.url.catch(() => undefined);
    expect(await exitOf(pod.child)).to.equal(2);
    expect(pod.output()).to.contain('PORT');
    expect(pod.output()).to.contain('FULMAR_S3_BUCKET');
  });
});
