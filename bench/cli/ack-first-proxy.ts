/**
 * The journaling bound of the CLI benchmark: a proxy that answers every journal batch
 * (`PATCH …/journalentries`) 200 the moment its body has arrived, and stores it behind the CLI's
 * back by forwarding it to Fulmar, one batch after another in arrival order. `complete` and
 * `cancel` wait until every batch before them was stored, so the committed state is the real one
 * and the next workload starts from it. Every other request passes straight through.
 *
 * With the service's answer made free, what is left of an `up` is the pinned CLI's own journaling:
 * each step waits for its entries' batch, batches go out one at a time, the next no sooner than
 * 50 ms after the previous one returned (pkg/backend/httpstate/journal/snapshot.go: sendBatches).
 * No journaling service can answer sooner, so this measures, in the same round as the floor, how
 * close to the floor any journaling backend can get on this machine. It acknowledges what is not
 * yet stored, so it is a measuring device only, never a way to run Fulmar.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer as readBody } from 'node:stream/consumers';

export interface AckFirstProxy {
  url: string;
  /** Batches answered before they were stored; a run whose batches failed to store is invalid. */
  stats: { batches: number; failed: number };
  close(): Promise<void>;
}

const JOURNAL = /\/update\/[^/]+\/journalentries(\?|$)/;
const FINISH = /\/update\/[^/]+\/(complete|cancel)(\?|$)/;

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export async function startAckFirstProxy(upstream: string): Promise<AckFirstProxy> {
  const stats = { batches: 0, failed: 0 };
  // The batches not yet stored, chained in arrival order.
  let stored: Promise<void> = Promise.resolve();

  const forward = (req: IncomingMessage, body: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const out = request(upstream + req.url, { method: req.method, headers: req.headers }, (up) => {
        readBody(up).then((b) => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: b }), reject);
      });
      out.on('error', reject);
      out.end(body);
    });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = req.url ?? '/';
      if (req.method === 'PATCH' && JOURNAL.test(path)) {
        stats.batches++;
        stored = stored.then(async () => {
          const a = await forward(req, body).catch(() => undefined);
          if (!a || a.status !== 200) stats.failed++;
        });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
        return;
      }
      if (req.method === 'POST' && FINISH.test(path)) {
        await stored;
        if (stats.failed > 0) {
          res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 500, message: `ack-first proxy: ${stats.failed} journal batch(es) failed to store` }));
          return;
        }
      }
      const a = await forward(req, body);
      res.writeHead(a.status, a.headers).end(a.body);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: 502, message: `ack-first proxy: ${err instanceof Error ? err.message : String(err)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
