/**
 * One Fulmar pod for the benchmarks: the real services and Express app over a given store,
 * listening on 127.0.0.1, with a keep-alive client that speaks the protocol as the CLI does
 * (gzip request bodies, `Accept-Encoding: gzip`). The server records how long it spent on each
 * request, from its arrival to the last byte handed to the socket, so "server time" excludes
 * the client.
 */
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import type { ObjectStore } from '../src/storage/object-store.js';
import type { CacheStats } from '../src/storage/immutable-cache.js';
import { buildServices } from '../src/services/build-services.js';
import { createApp } from '../src/http/app.js';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const KEYRING = [{ id: 'bench', key: Buffer.alloc(32, 3) }];

export interface Reply {
  status: number;
  /** The body as received (still gzipped when `encoding` is gzip). */
  wire: Buffer;
  encoding: string | undefined;
  /** The decoded body. */
  body(): Buffer;
  json<T = unknown>(): T;
}

export interface CallOptions {
  body?: Buffer;
  /** Already gzip-compressed: sent with `Content-Encoding: gzip`. */
  gzipped?: boolean;
  auth?: string;
  acceptGzip?: boolean;
}

export interface ServerTiming {
  method: string;
  path: string;
  ms: number;
}

export interface Pod {
  base: string;
  call(method: string, path: string, o?: CallOptions): Promise<Reply>;
  /** Server-side durations of the requests finished since the last `takeTimings`. */
  takeTimings(): ServerTiming[];
  cacheStats(): CacheStats;
  close(): Promise<void>;
}

export async function startPod(store: ObjectStore, cacheBytes: number): Promise<Pod> {
  let stats: () => CacheStats = () => ({ hits: 0, misses: 0, entries: 0, bytes: 0, maxBytes: 0 });
  const services = buildServices({
    store,
    keyring: KEYRING,
    logger: pino({ level: 'silent' }),
    adminToken: ADMIN_TOKEN,
    cacheBytes,
    deltaCutoffBytes: 0,
    // Only to read the LRU's counters, as the /metrics scrape does.
    metrics: { contentType: 'text/plain', render: async () => '', watchCache: (s) => (stats = s) },
  });
  const app = createApp(services);
  let timings: ServerTiming[] = [];
  const server: Server = createServer((req, res) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      timings.push({ method: req.method ?? '', path: req.url ?? '', ms: Number(process.hrtime.bigint() - start) / 1e6 });
    });
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });

  const call = (method: string, path: string, o: CallOptions = {}) =>
    new Promise<Reply>((resolve, reject) => {
      const headers: Record<string, string> = {
        Authorization: o.auth ?? `token ${ADMIN_TOKEN}`,
        Accept: 'application/vnd.pulumi+9',
      };
      if (o.acceptGzip !== false) headers['Accept-Encoding'] = 'gzip';
      if (o.body) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(o.body.length);
        if (o.gzipped) headers['Content-Encoding'] = 'gzip';
      }
      const req = httpRequest(base + path, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const wire = Buffer.concat(chunks);
          const encoding = res.headers['content-encoding'];
          const body = () => (encoding === 'gzip' ? gunzipSync(wire) : wire);
          const reply: Reply = { status: res.statusCode ?? 0, wire, encoding, body, json: <T>() => JSON.parse(body().toString('utf8')) as T };
          if (reply.status >= 400) {
            reject(new Error(`${method} ${path}: ${reply.status} ${body().toString('utf8').slice(0, 300)}`));
          } else {
            resolve(reply);
          }
        });
      });
      req.on('error', reject);
      req.end(o.body);
    });

  return {
    base,
    call,
    takeTimings: () => {
      const t = timings;
      timings = [];
      return t;
    },
    cacheStats: () => stats(),
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
