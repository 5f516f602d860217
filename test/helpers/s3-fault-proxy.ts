/**
 * A fault-injecting HTTP proxy between Fulmar pods and a real S3 server (MinIO), for the
 * concurrent-history checker. It forwards each request byte for byte — method, raw path, every
 * header exactly as received (Host included, so the SigV4 signature still matches) and the body —
 * and, following a seeded plan, sometimes misbehaves the way a real network or bucket does:
 *
 *  - `latency`: waits before forwarding;
 *  - `slowdown`: answers `503 SlowDown` in S3's XML error shape without forwarding;
 *  - `cut-before`: drops the connection without forwarding (the request never happened);
 *  - `cut-after`: forwards, lets the upstream answer in full, then drops the connection instead of
 *    relaying the answer — the write landed, but the pod sees a socket error.
 *
 * The fault draws come from a seeded PRNG, one draw sequence per request in arrival order; which
 * request arrives n-th depends on timing, so a seed fixes the plan, not the exact victims.
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { prng } from './assertions.js';
import { countRequest, newTraffic, type Classify, type Traffic } from './traffic.js';

export type FaultKind = 'latency' | 'slowdown' | 'cut-before' | 'cut-after';
export const FAULT_KINDS: readonly FaultKind[] = ['latency', 'slowdown', 'cut-before', 'cut-after'];

export interface FaultRule {
  /** Chance per eligible request, 0..1. */
  probability: number;
  /** Only requests with one of these methods (upper case); all methods when absent. */
  methods?: readonly string[];
  /** Only requests whose path (after the bucket) matches. */
  path?: RegExp;
}

export interface LatencyRule extends FaultRule {
  minMs: number;
  maxMs: number;
}

export interface FaultPlan {
  seed: number;
  latency?: LatencyRule;
  slowdown?: FaultRule;
  cutBefore?: FaultRule;
  cutAfter?: FaultRule;
  /** Requests whose path matches are never faulted (e.g. a pod's startup probe). */
  exempt?: RegExp;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT` — use it as the S3 endpoint in place of the upstream. */
  url: string;
  /** Faults injected so far, by kind, and requests relayed in full. */
  readonly counts: Record<FaultKind | 'forwarded', number>;
  /**
   * Requests sent upstream and their body bytes, by method: the PUT bytes are what reached the
   * bucket. A request cut before forwarding or answered `SlowDown` by the proxy is not counted.
   */
  readonly traffic: Traffic;
  /** Replaces the plan (and reseeds); `undefined` forwards everything untouched. */
  setPlan(plan: FaultPlan | undefined): void;
  close(): Promise<void>;
}

const UPSTREAM_TIMEOUT_MS = 60_000;

/** The proxy in front of `upstream` (`http://host:port`), listening on 127.0.0.1. */
export async function startFaultProxy(upstream: string, plan?: FaultPlan, options: { classify?: Classify } = {}): Promise<FaultProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const counts: Record<FaultKind | 'forwarded', number> = { latency: 0, slowdown: 0, 'cut-before': 0, 'cut-after': 0, forwarded: 0 };
  const traffic = newTraffic();
  let current = plan;
  let rand = prng(plan?.seed ?? 0);
  const sockets = new Set<Socket>();

  /** Always four draws per request, so the plan's sequence does not depend on which rules apply. */
  const decide = (method: string, path: string): { delayMs: number; fault?: Exclude<FaultKind, 'latency'> } => {
    const draws = [rand(), rand(), rand(), rand()];
    if (!current || current.exempt?.test(path)) return { delayMs: 0 };
    const applies = (rule: FaultRule | undefined, draw: number): rule is FaultRule =>
      !!rule && draw < rule.probability && (!rule.methods || rule.methods.includes(method)) && (!rule.path || rule.path.test(path));
    const l = current.latency;
    const delayMs = applies(l, draws[0] as number) ? Math.round(l.minMs + (draws[3] as number) * (l.maxMs - l.minMs)) : 0;
    if (applies(current.slowdown, draws[1] as number)) return { delayMs, fault: 'slowdown' };
    const cut = draws[2] as number;
    if (applies(current.cutBefore, cut)) return { delayMs, fault: 'cut-before' };
    // Reuse the draw on its upper part so both cut rules can be on at once without correlation.
    if (applies(current.cutAfter, 1 - cut)) return { delayMs, fault: 'cut-after' };
    return { delayMs };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const { delayMs, fault } = decide(method, path);
    if (delayMs > 0) {
      counts.latency++;
      await sleep(delayMs);
    }
    if (fault === 'cut-before') {
      counts['cut-before']++;
      req.socket.destroy();
      return;
    }
    if (fault === 'slowdown') {
      counts.slowdown++;
      req.resume();
      await new Promise((r) => req.once('end', r));
      const body = slowDownXml(path);
      res.writeHead(503, {
        'Content-Type': 'application/xml',
        'Content-Length': Buffer.byteLength(body),
        'Retry-After': '1',
        'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
        'x-minio-error-code': 'SlowDown',
      });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    const out = http.request({
      host: target.hostname,
      port: target.port,
      method,
      path,
      // The raw header list, order and case kept; it already holds the Host the client signed.
      headers: req.rawHeaders,
      setHost: false,
      agent,
      timeout: UPSTREAM_TIMEOUT_MS,
    });
    out.on('timeout', () => out.destroy(new Error('upstream timeout')));
    out.on('error', () => {
      if (!res.headersSent) req.socket.destroy();
      else res.destroy();
    });
    out.on('response', (up) => {
      if (fault === 'cut-after') {
        // Let the upstream finish (the write has landed), then hang up on the pod.
        up.resume();
        up.once('end', () => {
          counts['cut-after']++;
          req.socket.destroy();
        });
        up.once('error', () => req.socket.destroy());
        return;
      }
      counts.forwarded++;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
      up.pipe(res);
      up.once('error', () => res.destroy());
    });
    const countBody = countRequest(traffic, method, path, options.classify);
    req.on('data', (chunk: Buffer) => countBody(chunk.length));
    req.pipe(out);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    traffic,
    setPlan(next) {
      current = next;
      rand = prng(next?.seed ?? 0);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/** S3's error document for throttling (what AWS sends with 503 SlowDown). */
function slowDownXml(resource: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>' +
    `<Resource>${resource.replace(/[<>&]/g, '')}</Resource>` +
    `<RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`
  );
}
