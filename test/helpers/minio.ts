/**
 * Starts a real MinIO server (built by `npm run tools` into .tools/bin/minio) for the tests that
 * must prove Fulmar against an actual S3 implementation. Each server gets free 127.0.0.1 ports
 * and its own temp folder, both gone after stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'minio';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MINIO_BINARY = join(repoRoot, '.tools', 'bin', 'minio');
const REGION = 'us-east-1';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface MinioServer {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /** A bucket created at start. */
  bucket: string;
  /** Creates another empty bucket (for isolation between tests) and returns its name. */
  createBucket(name?: string): Promise<string>;
  stop(): Promise<void>;
}

/** The settings that point a Fulmar pod at `bucket` (default: the one made at start) of this MinIO. */
export function fulmarS3Env(minio: MinioServer, bucket = minio.bucket): { FULMAR_S3_URL: string; FULMAR_S3_REGION: string } {
  const s3 = new URL(minio.endpoint);
  s3.username = encodeURIComponent(minio.accessKey);
  s3.password = encodeURIComponent(minio.secretKey);
  s3.pathname = `/${bucket}`;
  return { FULMAR_S3_URL: s3.toString(), FULMAR_S3_REGION: minio.region };
}

/**
 * For a `before` hook: returns normally when the MinIO binary exists. Otherwise it fails when
 * CI=true (a CI run must really exercise S3), and elsewhere prints why and skips the suite.
 */
export function ensureMinioBinary(
  ctx: Pick<Mocha.Context, 'skip'>,
  binary: string = MINIO_BINARY,
  env: Record<string, string | undefined> = process.env,
): void {
  if (existsSync(binary)) return;
  const reason = `${binary} not found; build it with \`npm run tools\``;
  if (env.CI === 'true') throw new Error(`the MinIO suite must run on CI, but ${reason}`);
  console.log(`skipping S3 suite: ${reason}`);
  ctx.skip();
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const uniqueBucketName = () => `fulmar-test-${randomBytes(5).toString('hex')}`;

export async function startMinio(): Promise<MinioServer> {
  if (!existsSync(MINIO_BINARY)) throw new Error(`${MINIO_BINARY} not found; build it with \`npm run tools\``);
  const dataDir = await mkdtemp(join(tmpdir(), 'fulmar-minio-'));
  const accessKey = 'fulmar-test';
  const secretKey = randomBytes(16).toString('hex');
  const [port, consolePort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${port}`;

  const child = spawn(
    MINIO_BINARY,
    ['server', '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, dataDir],
    {
      env: {
        ...process.env,
        MINIO_ROOT_USER: accessKey,
        MINIO_ROOT_PASSWORD: secretKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopProcess(child);
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await waitUntilLive(endpoint, child, () => output);
    const client = new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey, secretKey, region: REGION });
    const createBucket = async (name = uniqueBucketName()) => {
      await client.makeBucket(name, REGION);
      return name;
    };
    const bucket = await createBucket();
    return { endpoint, accessKey, secretKey, region: REGION, bucket, createBucket, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitUntilLive(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`minio exited (${child.exitCode ?? child.signalCode}) before it was live:\n${output()}`);
    }
    try {
      const res = await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`minio was not live within ${START_TIMEOUT_MS} ms:\n${output()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
