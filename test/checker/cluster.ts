/**
 * The checker's cluster: one real MinIO, the fault proxy in front of it, and N real pods
 * (`node dist/cli.js serve`) whose bucket URL points at the proxy. Pods can be SIGKILLed and
 * started again (on a new port), as a crashed container would be.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Store } from '../../src/storage/s3-store.js';
import { startMinio, type MinioServer } from '../helpers/minio.js';
import { buildDist, startPod, type Pod } from '../helpers/pods.js';
import { startFaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.js';
import type { PodTarget } from './history.js';

export interface ClusterOptions {
  pods?: number;
  leaseSeconds?: number;
  storageRetries?: number;
  storageTimeoutMs?: number;
  /** A MinIO to share between runs (each run gets its own bucket); started and stopped here otherwise. */
  minio?: MinioServer;
  /** Keep the pods' logs after stop (their folder is printed). */
  keepLogs?: boolean;
}

/** Paths a pod's startup probe touches; faulting them only makes the pod refuse to start. */
export const STARTUP_PATHS = /\/(_system\/probe\/|_system\/secrets-canary|fulmar\.json)/;

export interface Cluster {
  adminToken: string;
  leaseSeconds: number;
  faults: FaultProxy;
  /** Direct to MinIO (no faults), for reading the bucket as it is. */
  bucketStore: S3Store;
  logDir: string;
  /** The pods alive now. */
  live(): PodTarget[];
  podCount: number;
  isUp(i: number): boolean;
  kill(i: number): void;
  restart(i: number): Promise<void>;
  /** Restarts every dead pod. */
  reviveAll(): Promise<void>;
  logTails(lines?: number): Promise<string>;
  /** Stops everything; the pods' logs are kept when `keepLogs` (or the cluster's option) says so. */
  stop(keepLogs?: boolean): Promise<void>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  buildDist();
  const ownMinio = !options.minio;
  const minio = options.minio ?? (await startMinio());
  const bucket = ownMinio ? minio.bucket : await minio.createBucket();
  const faults = await startFaultProxy(minio.endpoint);
  const logDir = await mkdtemp(join(tmpdir(), 'fulmar-checker-'));
  const adminToken = `checker-admin-${randomBytes(12).toString('hex')}`;
  const leaseSeconds = options.leaseSeconds ?? 10;
  const s3 = new URL(faults.url);
  s3.username = encodeURIComponent(minio.accessKey);
  s3.password = encodeURIComponent(minio.secretKey);
  s3.pathname = `/${bucket}`;
  const env = {
    FULMAR_S3_URL: s3.toString(),
    FULMAR_S3_REGION: minio.region,
    FULMAR_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    FULMAR_ADMIN_TOKEN: adminToken,
    FULMAR_LEASE_SECONDS: String(leaseSeconds),
    FULMAR_STORAGE_RETRIES: String(options.storageRetries ?? 2),
    FULMAR_STORAGE_TIMEOUT_MS: String(options.storageTimeoutMs ?? 5_000),
    FULMAR_SHUTDOWN_GRACE_MS: '2000',
    // `info`: startPod waits for the "listening" line.
    FULMAR_LOG_LEVEL: 'info',
  };
  const bucketStore = new S3Store({
    endpoint: minio.endpoint,
    bucket,
    accessKey: minio.accessKey,
    secretKey: minio.secretKey,
    region: minio.region,
    timeoutMs: 10_000,
  });

  const count = options.pods ?? 3;
  const slots: { pod?: Pod; generation: number; up: boolean }[] = Array.from({ length: count }, () => ({ generation: 0, up: false }));
  const start = async (i: number) => {
    const slot = slots[i]!;
    for (let attempt = 1; ; attempt++) {
      slot.generation++;
      try {
        slot.pod = await startPod(`pod${i + 1}.${slot.generation}`, env, logDir);
        slot.up = true;
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  };
  const stopAll = async (keepLogs = false) => {
    await Promise.all(slots.map((s) => s.pod?.stop()));
    await bucketStore.close();
    await faults.close();
    if (ownMinio) await minio.stop();
    if (!options.keepLogs && !keepLogs) await rm(logDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(slots.map((_, i) => start(i)));
  } catch (err) {
    await stopAll();
    throw err;
  }

  return {
    adminToken,
    leaseSeconds,
    faults,
    bucketStore,
    logDir,
    podCount: count,
    live: () => slots.flatMap((s) => (s.up && s.pod ? [{ name: s.pod.name, url: s.pod.url }] : [])),
    isUp: (i) => slots[i]?.up ?? false,
    kill(i) {
      const slot = slots[i];
      if (!slot?.up) return;
      slot.up = false;
      slot.pod?.kill();
    },
    restart: (i) => start(i),
    async reviveAll() {
      await Promise.all(slots.map((s, i) => (s.up ? undefined : start(i))));
    },
    async logTails(lines = 20) {
      const out: string[] = [];
      for (const s of slots) {
        if (!s.pod) continue;
        const text = await readFile(s.pod.logFile, 'utf8').catch(() => '');
        out.push(`--- ${s.pod.name}\n${text.split('\n').slice(-lines).join('\n')}`);
      }
      return out.join('\n');
    },
    stop: stopAll,
  };
}
