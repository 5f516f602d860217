/**
 * The CLI benchmark's journaling bound (bench/cli/ack-first-proxy.ts): journal batches are
 * answered before they are stored, stored in arrival order, and `complete` reaches the pods only
 * after every batch before it was stored — or not at all when one failed to store.
 */
import { expect } from 'chai';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { startAckFirstProxy, type AckFirstProxy } from '../../bench/cli/ack-first-proxy.js';

const U = '/api/stacks/o/p/s/update/u1';

interface Seen {
  method: string;
  url: string;
  body: string;
}

/** An upstream that records what reached it and holds journal batches until `release()`. */
async function startUpstream(refuse: (body: string) => boolean = () => false) {
  const seen: Seen[] = [];
  let open!: () => void;
  const released = new Promise<void>((r) => (open = r));
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = (await buffer(req)).toString();
      if (req.url?.endsWith('/journalentries')) await released;
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      const status = refuse(body) ? 409 : 200;
      res.writeHead(status, { 'Content-Type': 'application/json', 'X-Upstream': 'yes' }).end(JSON.stringify({ echo: body }));
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, release: () => open(), close: () => new Promise<void>((r) => server.close(() => r())) };
}

function send(base: string, method: string, path: string, body = ''): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, headers: { 'Content-Type': 'application/json' } }, (res) => {
      buffer(res).then((b) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b.toString() }), reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('bench: the ack-first proxy of the journaling bound', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let proxy: AckFirstProxy;
  afterEach(async () => {
    upstream.release();
    await proxy.close();
    await upstream.close();
  });

  it('answers journal batches before they are stored, stores them in order, and holds complete until they are', async () => {
    upstream = await startUpstream();
    proxy = await startAckFirstProxy(upstream.url);
    for (const n of [1, 2, 3]) {
      const r = await send(proxy.url, 'PATCH', `${U}/journalentries`, `{"batch":${n}}`);
      expect(r.status).to.equal(200);
    }
    // Every batch was acknowledged while the upstream still held the first one.
    expect(upstream.seen).to.deep.equal([]);
    const completing = send(proxy.url, 'POST', `${U}/complete`, '{"status":"succeeded"}');
    await new Promise((r) => setTimeout(r, 50));
    expect(upstream.seen).to.deep.equal([]);
    upstream.release();
    const done = await completing;
    expect(done.status).to.equal(200);
    expect(upstream.seen.map((s) => s.body)).to.deep.equal(['{"batch":1}', '{"batch":2}', '{"batch":3}', '{"status":"succeeded"}']);
    expect(proxy.stats).to.deep.equal({ batches: 3, failed: 0 });
  });

  it('refuses complete, without forwarding it, when a batch failed to store', async () => {
    upstream = await startUpstream((body) => body.includes('"batch":2'));
    proxy = await startAckFirstProxy(upstream.url);
    upstream.release();
    for (const n of [1, 2]) expect((await send(proxy.url, 'PATCH', `${U}/journalentries`, `{"batch":${n}}`)).status).to.equal(200);
    const done = await send(proxy.url, 'POST', `${U}/complete`, '{}');
    expect(done.status).to.equal(500);
    expect(JSON.parse(done.body)).to.deep.include({ code: 500 });
    expect(JSON.parse(done.body).message).to.match(/1 journal batch/);
    expect(upstream.seen.map((s) => s.url)).to.deep.equal([`${U}/journalentries`, `${U}/journalentries`]);
  });

  it('passes every other request straight through, with the upstream status, headers and body', async () => {
    upstream = await startUpstream((body) => body === 'no');
    proxy = await startAckFirstProxy(upstream.url);
    const ok = await send(proxy.url, 'GET', '/api/stacks/o/p/s/export');
    expect(ok.status).to.equal(200);
    expect(ok.headers['x-upstream']).to.equal('yes');
    expect(JSON.parse(ok.body)).to.deep.equal({ echo: '' });
    const refused = await send(proxy.url, 'POST', `${U}/events/batch`, 'no');
    expect(refused.status).to.equal(409);
    expect(upstream.seen.map((s) => `${s.method} ${s.url}`)).to.deep.equal(['GET /api/stacks/o/p/s/export', `POST ${U}/events/batch`]);
  });
});
