/**
 * A small round-robin reverse proxy standing in for the load balancer in front of the pods.
 * Bodies and headers pass through untouched. An upstream that refuses connections is marked
 * down for a while; a GET/HEAD that hit it is retried on the next one, anything else answers
 * 502 so that the CLI's own retry rules apply (as with nginx's defaults).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countRequest, newTraffic, type Classify, type Traffic } from './traffic.js';

export interface Proxy {
  url: string;
  /** Requests forwarded to each upstream, by upstream URL. */
  counts: Map<string, number>;
  /** Client requests and their body bytes (each counted once, however many upstreams it tried). */
  traffic: Traffic;
  close(): Promise<void>;
}

const DOWN_FOR_MS = 5_000;

export async function startProxy(upstreams: string[], options: { classify?: Classify } = {}): Promise<Proxy> {
  const counts = new Map(upstreams.map((u) => [u, 0]));
  const downUntil = new Map<string, number>();
  const traffic = newTraffic();
  let next = 0;

  const pick = (): string | undefined => {
    for (let i = 0; i < upstreams.length; i++) {
      const u = upstreams[next++ % upstreams.length] as string;
      if ((downUntil.get(u) ?? 0) <= Date.now()) return u;
    }
    return undefined;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, attempt: number) => {
    const upstream = pick();
    if (!upstream) {
      res.writeHead(502, { 'Content-Type': 'application/json' }).end('{"code":502,"message":"Bad Gateway: no upstream"}');
      return;
    }
    counts.set(upstream, (counts.get(upstream) ?? 0) + 1);
    const out = request(upstream + req.url, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => {
      downUntil.set(upstream, Date.now() + DOWN_FOR_MS);
      const idempotent = req.method === 'GET' || req.method === 'HEAD';
      if (idempotent && attempt < upstreams.length && !res.headersSent) return forward(req, res, body, attempt + 1);
      if (!res.headersSent) {
        res.writeHead(502, { 'Content-Type': 'application/json' }).end('{"code":502,"message":"Bad Gateway: upstream failed"}');
      } else {
        res.destroy();
      }
    });
    out.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      countRequest(traffic, req.method ?? 'GET', req.url ?? '/', options.classify)(body.length);
      forward(req, res, body, 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    traffic,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
