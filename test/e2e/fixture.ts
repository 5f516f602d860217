/**
 * The topology the e2e scenarios run against: Fulmar pods (three on one real MinIO bucket
 * behind a round-robin proxy, or one on the embedded filesystem store) and a pulumi CLI
 * session pointed at them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { ensureMinioBinary, fulmarS3Env, startMinio, type MinioServer } from '../helpers/minio.js';
import { buildDist, startPod, type Pod } from '../helpers/pods.js';
import { startProxy, type Proxy } from '../helpers/proxy.js';
import { ensurePulumiBinary, PulumiSession, pulumiVersion } from '../helpers/pulumi.js';

export const ADMIN_TOKEN = `e2e-admin-${randomBytes(12).toString('hex')}`;

export interface Topology {
  url: string;
  pods: Pod[];
  proxy?: Proxy;
  minio?: MinioServer;
  session: PulumiSession;
  logDir: string;
  /** The environment the pods run with (the same configures an admin command on their store). */
  env: Record<string, string>;
  /** GET an API path with the admin token (to look at state the way an operator would). */
  api(path: string): Promise<{ status: number; body: unknown }>;
  /** Stops the embedded pod and starts it again on the same port and data folder. */
  restartEmbedded(): Promise<void>;
  /** Starts cluster pod `i` again (after a kill) on the same port with the same settings. */
  restartPod(i: number): Promise<void>;
  /** The tail of every pod's log, for a failing test's message. */
  logs(): Promise<string>;
  /** Every line every pod logged so far, restarted ones' earlier lives too (its access log: one JSON object a line). */
  logLines(): Promise<string[]>;
  stop(): Promise<void>;
}

let announced = false;

/**
 * `options.node`: the Node binary the pods run on (test/e2e/node-versions.test.ts); the machine's
 * own `node` when not given, as an operator's `npm start` would.
 */
export async function startTopology(ctx: Mocha.Context, kind: 'cluster' | 'embedded', options: { node?: string } = {}): Promise<Topology> {
  const { node } = options;
  ensurePulumiBinary(ctx);
  if (kind === 'cluster') ensureMinioBinary(ctx);
  if (!announced) {
    console.log(`      driving the real pulumi CLI ${pulumiVersion()} (programs on Node ${process.version})`);
    announced = true;
  }
  buildDist();
  const logDir = await mkdtemp(join(tmpdir(), `fulmar-e2e-${kind}-`));
  let minio: MinioServer | undefined;
  let pods: Pod[] = [];
  /** Pods that `restartPod` replaced: their logs still count. */
  const replaced: Pod[] = [];
  let proxy: Proxy | undefined;
  let url: string;
  let podEnv: Record<string, string> = {};
  if (kind === 'cluster') {
    minio = await startMinio();
    const env = {
      ...fulmarS3Env(minio),
      FULMAR_MASTER_KEYS: `e2e:${randomBytes(32).toString('base64')}`,
      FULMAR_ADMIN_TOKEN: ADMIN_TOKEN,
      // Small enough that the larger scenarios send byte-offset deltas, not only whole texts.
      FULMAR_DELTA_CUTOFF_BYTES: '4096',
    };
    podEnv = env;
    pods = await Promise.all([1, 2, 3].map((i) => startPod(`pod${i}`, env, logDir, node)));
    proxy = await startProxy(pods.map((p) => p.url));
    url = proxy.url;
  } else {
    pods = [await startPod('embedded', embeddedEnv(logDir, await freePort()), logDir, node)];
    url = (pods[0] as Pod).url;
  }
  const session = await PulumiSession.create(url, ADMIN_TOKEN);
  return {
    url,
    pods,
    proxy,
    minio,
    session,
    logDir,
    env: kind === 'cluster' ? podEnv : embeddedEnv(logDir, Number(new URL(url).port)),
    async api(path) {
      const res = await fetch(url + path, { headers: { Authorization: `token ${ADMIN_TOKEN}` } });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async restartEmbedded() {
      const old = pods[0] as Pod;
      await old.stop();
      pods[0] = await startPod('embedded-restarted', embeddedEnv(logDir, Number(new URL(old.url).port)), logDir, node);
    },
    async restartPod(i) {
      const old = pods[i] as Pod;
      await old.stop();
      pods[i] = await startPod(`${old.name}-restarted`, { ...podEnv, PORT: new URL(old.url).port }, logDir, node);
      replaced.push(old);
    },
    async logs() {
      const tails = await Promise.all(
        pods.map(async (p) => `--- ${p.name}\n${(await readFile(p.logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n')}`),
      );
      return tails.join('\n');
    },
    async logLines() {
      return (await Promise.all([...replaced, ...pods].map((p) => readFile(p.logFile, 'utf8')))).join('\n').split('\n');
    },
    async stop() {
      await Promise.all(pods.map((p) => p.stop()));
      await proxy?.close();
      await minio?.stop();
      await rm(session.home, { recursive: true, force: true });
      if (!process.env.FULMAR_E2E_KEEP_LOGS) await rm(logDir, { recursive: true, force: true });
    },
  };
}

const embeddedEnv = (logDir: string, port: number) => ({
  PORT: String(port),
  FULMAR_DATA_DIR: join(logDir, 'data'),
  FULMAR_ADMIN_TOKEN: ADMIN_TOKEN,
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `admin/<project>/<name>-<random>`: the bootstrap admin's own org, a name no other test uses. */
export const stackName = (project: string, name: string) => `admin/${project}/${name}-${randomBytes(3).toString('hex')}`;

export const stackPath = (full: string) => `/api/stacks/${full}`;

export interface Deployment {
  version: number;
  deployment: { resources?: { urn: string; type: string; outputs?: Record<string, unknown> }[] | null };
}
