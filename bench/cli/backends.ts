/**
 * The backends the CLI benchmark compares, each started fresh for a round:
 *
 *  - Fulmar journaling (the CLI's default) and Fulmar checkpoints (`PULUMI_DISABLE_JOURNALING`),
 *    each on the filesystem store (1 pod), on MinIO with 1 pod, and on MinIO with 3 pods. The CLI
 *    always reaches the pods through the balancer (with one pod it only counts), and pods reach
 *    MinIO through the counting S3 proxy;
 *  - the CLI's own DIY backends, `file://` (on disk) and `s3://` (the same MinIO, through the
 *    counting S3 proxy);
 *  - the floor: DIY `file://` on tmpfs with `PULUMI_SKIP_CHECKPOINTS=true` — the engine with
 *    nearly nothing behind it, what no backend can beat;
 *  - the journaling bound: Fulmar on the fs store behind a proxy that acknowledges each journal
 *    batch as soon as it arrives and stores it afterwards (ack-first-proxy.ts) — the CLI's own
 *    journaling with a service that costs nothing, what no journaling backend can beat.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MinioServer } from '../../test/helpers/minio.js';
import { startPod, type Pod } from '../../test/helpers/pods.js';
import { PulumiSession } from '../../test/helpers/pulumi.js';
import type { Traffic } from '../../test/helpers/traffic.js';
import { classify } from './kinds.js';
import type { CountingProxy, Meter } from './meter.js';

export const BACKEND_IDS = [
  'journal-fs',
  'journal-1pod',
  'journal-3pods',
  'journal-bound',
  'ckpt-fs',
  'ckpt-1pod',
  'ckpt-3pods',
  'diy-file',
  'diy-s3',
  'floor',
] as const;
export type BackendId = (typeof BACKEND_IDS)[number];

export const BACKEND_LABELS: Record<BackendId, string> = {
  'journal-fs': 'Fulmar journal, fs store',
  'journal-1pod': 'Fulmar journal, 1 pod MinIO',
  'journal-3pods': 'Fulmar journal, 3 pods MinIO',
  'journal-bound': 'journaling bound (batches acked on arrival)',
  'ckpt-fs': 'Fulmar checkpoints, fs store',
  'ckpt-1pod': 'Fulmar checkpoints, 1 pod MinIO',
  'ckpt-3pods': 'Fulmar checkpoints, 3 pods MinIO',
  'diy-file': 'DIY file://',
  'diy-s3': 'DIY s3://',
  floor: 'floor (file:// tmpfs, no checkpoints)',
};

export const needsMinio = (id: BackendId) => id.endsWith('pod') || id.endsWith('pods') || id === 'diy-s3';

/** Counters read right before and right after a measured command. */
export interface Sample {
  /** What the CLI sent to the backend (the balancer, or the S3 proxy for DIY s3://). */
  cli?: Traffic;
  /** What reached the bucket (the S3 proxy). */
  bucket?: Traffic;
  /** Bytes the filesystem-store pod handed to the disk (/proc/<pid>/io `write_bytes`). */
  podDiskBytes?: number;
  /** CPU time (user + system) of all the pods so far (/proc/<pid>/stat). */
  podCpuMs?: number;
}

export interface Backend {
  id: BackendId;
  session: PulumiSession;
  /** Extra CLI environment (beyond the session's). */
  env: Record<string, string>;
  /** The CLI's fully qualified name of stack `name` in project `project`. */
  stackName(project: string, name: string): string;
  sample(): Promise<Sample>;
  /** Fulmar's server time by request kind between two epoch ms, from the pods' access logs. */
  serverTime(from: number, to: number): Promise<Record<string, ServerTally> | undefined>;
  /** Fulmar's pods (none for DIY); their logs are in the round's folder. */
  pods: Pod[];
  stop(): Promise<void>;
}

export interface ServerTally {
  requests: number;
  /** Sum of the pods' `responseTime` (requests can overlap, so this can exceed the wall time). */
  totalMs: number;
  maxMs: number;
}

export interface RoundContext {
  /** The round's temp folder (on disk; pods' logs and data, DIY file:// state). */
  dir: string;
  meter: Meter;
  minio?: MinioServer;
}

const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const PASSPHRASE = 'fulmar-bench';

export async function startBackend(id: BackendId, ctx: RoundContext): Promise<Backend> {
  if (id === 'diy-file' || id === 'floor' || id === 'diy-s3') return startDiy(id, ctx);
  return startFulmar(id, ctx);
}

async function startFulmar(id: BackendId, ctx: RoundContext): Promise<Backend> {
  const journaling = id.startsWith('journal');
  const dir = join(ctx.dir, id);
  await mkdir(dir, { recursive: true });
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    let s3: CountingProxy | undefined;
    let pods: Pod[];
    const fs = id.endsWith('-fs') || id === 'journal-bound';
    if (fs) {
      const env = { FULMAR_DATA_DIR: join(dir, 'data'), FULMAR_ADMIN_TOKEN: ADMIN_TOKEN };
      pods = [await startPod(`${id}-pod`, env, dir)];
    } else {
      const minio = ctx.minio;
      if (!minio) throw new Error(`${id} needs MinIO`);
      const bucket = await minio.createBucket();
      s3 = await ctx.meter.s3(minio.endpoint);
      cleanups.push(() => (s3 as CountingProxy).close());
      const url = new URL(s3.url);
      url.username = encodeURIComponent(minio.accessKey);
      url.password = encodeURIComponent(minio.secretKey);
      url.pathname = `/${bucket}`;
      const env = {
        FULMAR_S3_URL: url.toString(),
        FULMAR_S3_REGION: minio.region,
        FULMAR_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
        FULMAR_ADMIN_TOKEN: ADMIN_TOKEN,
      };
      const count = id.endsWith('3pods') ? 3 : 1;
      pods = await Promise.all(Array.from({ length: count }, (_, i) => startPod(`${id}-pod${i + 1}`, env, dir)));
    }
    cleanups.push(async () => void (await Promise.all(pods.map((p) => p.stop()))));
    const balancer = await ctx.meter.balancer(pods.map((p) => p.url));
    cleanups.push(() => balancer.close());
    let url = balancer.url;
    if (id === 'journal-bound') {
      const ackFirst = await ctx.meter.ackFirst(balancer.url);
      cleanups.push(() => ackFirst.close());
      url = ackFirst.url;
    }
    const session = await PulumiSession.create(url, ADMIN_TOKEN);
    cleanups.push(() => rm(session.home, { recursive: true, force: true }));
    return {
      id,
      session,
      env: journaling ? {} : { PULUMI_DISABLE_JOURNALING: 'true' },
      stackName: (project, name) => `admin/${project}/${name}`,
      pods,
      async sample() {
        const [cli, bucket] = await Promise.all([balancer.traffic(), s3?.traffic()]);
        return { cli, bucket, podDiskBytes: fs ? await diskBytesWritten(pods) : undefined, podCpuMs: await cpuMs(pods) };
      },
      serverTime: (from, to) => serverTime(pods, from, to),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function startDiy(id: 'diy-file' | 'diy-s3' | 'floor', ctx: RoundContext): Promise<Backend> {
  let url: string;
  let s3: CountingProxy | undefined;
  let tmpfsDir: string | undefined;
  const env: Record<string, string> = { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE };
  if (id === 'diy-s3') {
    const minio = ctx.minio;
    if (!minio) throw new Error('diy-s3 needs MinIO');
    const bucket = await minio.createBucket();
    s3 = await ctx.meter.s3(minio.endpoint);
    // The v1-era form users have in their scripts; at v3.259.0 the CLI rewrites it for gocloud's
    // v2 S3 driver (pkg/backend/diy/backend.go translateLegacyS3Params: disableSSL → disable_https,
    // the scheme-less endpoint gets http://, and checksums become when_required for non-AWS stores).
    url = `s3://${bucket}?endpoint=${new URL(s3.url).host}&s3ForcePathStyle=true&disableSSL=true&region=${minio.region}`;
    Object.assign(env, { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey, AWS_REGION: minio.region });
  } else if (id === 'floor') {
    tmpfsDir = await mkdtemp('/dev/shm/fulmar-bench-floor-');
    url = `file://${tmpfsDir}`;
    env.PULUMI_SKIP_CHECKPOINTS = 'true';
  } else {
    const dir = join(ctx.dir, id);
    await mkdir(dir, { recursive: true });
    url = `file://${dir}`;
  }
  const session = await PulumiSession.create(url, 'unused-by-diy');
  return {
    id,
    session,
    env,
    stackName: (project, name) => `organization/${project}/${name}`,
    pods: [],
    async sample() {
      if (!s3) return {};
      const traffic = await s3.traffic();
      return { cli: traffic, bucket: traffic };
    },
    serverTime: async () => undefined,
    async stop() {
      await s3?.close().catch(() => undefined);
      await rm(session.home, { recursive: true, force: true });
      if (tmpfsDir) await rm(tmpfsDir, { recursive: true, force: true });
    },
  };
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (`getconf CLK_TCK`; 100 on Linux). */
const CLOCK_TICKS = 100;

/** Sum of the pods' user + system CPU time: fields 14 and 15 of /proc/<pid>/stat, after the name. */
async function cpuMs(pods: Pod[]): Promise<number> {
  let ticks = 0;
  for (const pod of pods) {
    const stat = await readFile(`/proc/${pod.child.pid}/stat`, 'utf8');
    // The name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

/** Sum of the pods' `write_bytes`: bytes whose pages they dirtied in the page cache (see bench/README.md). */
async function diskBytesWritten(pods: Pod[]): Promise<number> {
  let total = 0;
  for (const pod of pods) {
    const io = await readFile(`/proc/${pod.child.pid}/io`, 'utf8');
    const m = /^write_bytes:\s*(\d+)$/m.exec(io);
    if (!m) throw new Error(`no write_bytes in /proc/${pod.child.pid}/io`);
    total += Number(m[1]);
  }
  return total;
}

/** The pods' access-log lines (pino-http, one JSON object a line) between `from` and `to`, by kind. */
async function serverTime(pods: Pod[], from: number, to: number): Promise<Record<string, ServerTally>> {
  // The logs reach their files through a pipe in this process: give the last lines a moment.
  await new Promise((r) => setTimeout(r, 200));
  const out: Record<string, ServerTally> = {};
  for (const pod of pods) {
    for (const line of (await readFile(pod.logFile, 'utf8')).split('\n')) {
      if (!line.includes('"responseTime"')) continue;
      let entry: { time?: string; req?: { method?: string; url?: string }; responseTime?: number };
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      const at = Date.parse(entry.time ?? '');
      if (!(at >= from && at <= to) || typeof entry.responseTime !== 'number') continue;
      const kind = classify(entry.req?.method ?? '?', entry.req?.url ?? '') ?? 'other';
      const t = (out[kind] ??= { requests: 0, totalMs: 0, maxMs: 0 });
      t.requests++;
      t.totalMs += entry.responseTime;
      t.maxMs = Math.max(t.maxMs, entry.responseTime);
    }
  }
  return out;
}
