/**
 * The route table decides credentials and body limits, nothing else: every valid name works on
 * every route, and a request without valid credentials costs no body read and no inflation.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib, { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { pino } from 'pino';
import { MemoryStore } from '../../src/storage/memory-store.js';
import express from 'express';
import { routeTable } from '../../src/http/app.js';
import { mountRoutes } from '../../src/http/mount-routes.js';
import type { Route } from '../../src/http/route.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { ADMIN_TOKEN, Client, createOrgs, deployment, makeApi, programRequest, stackPath } from '../helpers/api.js';

/**
 * Counts the chunks every decompressor is fed while `fn` runs. body-parser inflates through
 * these classes (body-parser/lib/read.js: contentstream); the module's factory functions are
 * read-only, so the spy sits on the classes' prototypes and is removed afterwards.
 */
async function countingInflation<T>(fn: () => Promise<T>): Promise<{ result: T; inflated: number }> {
  type Transform = (this: unknown, ...args: unknown[]) => unknown;
  const classes = [zlib.Gunzip, zlib.Inflate, zlib.Unzip, zlib.BrotliDecompress];
  let inflated = 0;
  for (const C of classes) {
    const proto = C.prototype as unknown as { _transform: Transform };
    const inherited = proto._transform;
    proto._transform = function (this: unknown, ...args: unknown[]) {
      inflated++;
      return inherited.apply(this, args);
    };
  }
  try {
    return { result: await fn(), inflated };
  } finally {
    for (const C of classes) delete (C.prototype as unknown as { _transform?: Transform })._transform;
  }
}

/** ~200 MB of zeros as ~200 KB of gzip: 200 concatenated members of 1 MiB each (gunzip reads them all). */
const BOMB = Buffer.concat(Array.from({ length: 200 }, () => gzipSync(Buffer.alloc(1024 * 1024), { level: 9 })));

describe('route table', () => {
  const { app, services } = makeApi(new MemoryStore());
  const admin = new Client([app]);
  const org = 'acme';
  before(() => createOrgs(admin, org, 'renew_lease'));

  describe('declarations', () => {
    const routes = routeTable(services);

    it('leaves only the probes, metrics, the API document, the console sign-in and the answers about features Fulmar lacks unauthenticated', () => {
      const open = routes.filter((r) => r.auth === 'none');
      // The console's sign-in page must work before anyone is signed in (docs/console.md).
      expect(open.filter((r) => r.method !== 'all').map((r) => r.path).sort()).to.deep.equal([
        '/api/openapi/pulumi-spec.json',
        '/console/config',
        '/console/login/oidc',
        '/console/oidc/callback',
        '/healthz',
        '/readyz',
      ]);
      // The rest answer every caller the same 404 (src/http/routes/not-provided.ts).
      for (const r of open.filter((x) => x.method === 'all')) expect(r.path, r.path).to.match(/^\/api\/.*\{\/\*rest\}$/);
    });

    it('gives the update token to exactly the calls the CLI makes with it (client.go: updateAccessToken)', () => {
      const suffixes = [...new Set(routes.filter((r) => r.auth === 'update-token').map((r) => r.path.split(':updateId')[1]))].sort();
      expect(suffixes).to.deep.equal(['/checkpoint', '/checkpointdelta', '/checkpointverbatim', '/complete', '/events/batch', '/journalentries', '/renew_lease']);
    });

    it('reads no body on GET, HEAD and DELETE, and large bodies only where state or batches travel', () => {
      for (const r of routes.filter((x) => ['get', 'head', 'delete'].includes(x.method))) {
        expect(r.body, `${r.method} ${r.path}`).to.equal('none');
      }
      const large = [...new Set(routes.filter((r) => r.body === 'large').map((r) => r.path.split('/').pop()))].sort();
      expect(large).to.deep.equal(['batch', 'batch-decrypt', 'batch-encrypt', 'checkpoint', 'checkpointdelta', 'checkpointverbatim', 'import', 'journalentries']);
    });

    it('declares each method and path once, and refuses a table that does not', () => {
      const ids = routes.map((r) => `${r.method} ${r.path}`);
      expect(new Set(ids).size).to.equal(ids.length);
      const twice = [routes[0], routes[0]].filter((r): r is Route => !!r);
      expect(() => mountRoutes(express(), twice, { auth: services.auth, readBody: async () => {}, verifyUpdateToken: async () => {} })).to.throw(/route declared twice: GET \/healthz/);
    });
  });

  describe('names that look like route suffixes', () => {
    const suffixLike = ['complete', 'checkpoint', 'checkpointverbatim', 'checkpointdelta', 'renew_lease', 'journalentries', 'events', 'import', 'export', 'update', 'cancel', 'tags', 'batch-encrypt'];

    for (const name of suffixLike) {
      it(`creates, reads, updates, exports and deletes a stack named '${name}'`, async () => {
        expect((await admin.call('post', `/api/stacks/${org}/p`, { stackName: name })).status).to.equal(200);
        const S = stackPath(org, 'p', name);
        const got = await admin.call('get', S);
        expect(got.status, got.text).to.equal(200);
        expect(got.body.stackName).to.equal(name);
        expect((await admin.call('patch', `${S}/tags`, { owner: name })).status).to.equal(204);
        const imp = await admin.call('post', `${S}/import`, deployment('p', name, 1), { gzip: true });
        expect(imp.status, imp.text).to.equal(200);
        expect((await admin.call('get', `${S}/export`)).status).to.equal(200);
        expect((await admin.call('delete', `${S}?force=true`, undefined, { auth: '' })).status, 'no token').to.equal(401);
        expect((await admin.call('delete', `${S}?force=true`)).status).to.equal(204);
        expect((await admin.call('get', S)).status).to.equal(404);
      });
    }

    it("runs a whole update on a stack named 'complete' in a project named 'checkpoint'", async () => {
      const S = stackPath(org, 'checkpoint', 'complete');
      expect((await admin.call('post', `/api/stacks/${org}/checkpoint`, { stackName: 'complete' })).status).to.equal(200);
      expect((await admin.call('head', `/api/stacks/${org}/checkpoint`)).status).to.equal(200);
      const id = (await admin.call('post', `${S}/update`, programRequest(false))).body.updateID as string;
      const token = (await admin.call('post', `${S}/update/${id}`, {})).body.token as string;
      const ut = { auth: `update-token ${token}` };
      const cp = await admin.call('patch', `${S}/update/${id}/checkpoint`, deployment('checkpoint', 'complete', 2), ut);
      expect(cp.status, cp.text).to.equal(200);
      expect((await admin.call('post', `${S}/update/${id}/renew_lease`, { duration: 60 }, ut)).status).to.equal(200);
      expect((await admin.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut)).status).to.equal(200);
      expect((await admin.call('get', S)).body.version).to.equal(1);
      expect((await admin.call('delete', `${S}?force=true`)).status).to.equal(204);
    });

    it("manages an org member whose login is 'checkpoint', in an org named 'renew_lease'", async () => {
      for (const o of [org, 'renew_lease']) {
        const M = `/api/orgs/${o}/members/checkpoint`;
        expect((await admin.call('put', M, { role: 'member' })).status).to.equal(200);
        expect((await admin.call('get', M)).body.role).to.equal('member');
        expect((await admin.call('put', M, { role: 'admin' }, { auth: '' })).status, 'no token').to.equal(401);
        expect((await admin.call('delete', M)).status).to.equal(204);
        expect((await admin.call('get', M)).status).to.equal(404);
      }
    });

    it('answers 401, not 500, to an update-token call without a token', async () => {
      const S = stackPath(org, 'p', 'dev');
      for (const suffix of ['checkpoint', 'complete', 'renew_lease', 'events/batch']) {
        const res = await admin.call(suffix === 'checkpoint' ? 'patch' : 'post', `${S}/update/0123abcd-0000/${suffix}`, {}, { auth: '' });
        expect(res.status, suffix).to.equal(401);
        expect(res.body.code).to.equal(401);
      }
    });
  });

  describe('unauthenticated bodies', () => {
    const S = stackPath(org, 'p', 'bombed');
    before(async () => {
      expect((await admin.call('post', `/api/stacks/${org}/p`, { stackName: 'bombed' })).status).to.equal(200);
    });

    const send = (method: 'post' | 'patch', path: string, auth: string) =>
      admin
        .call(method, path, undefined, { auth })
        .set('Content-Encoding', 'gzip')
        .serialize((b: unknown) => b as string)
        .send(BOMB);

    it('refuses a 200 MB gzip bomb without a valid credential (401) and never inflates it', async () => {
      expect(BOMB.length).to.be.below(400 * 1024);
      const cases: [('post' | 'patch'), string, string][] = [
        ['post', `${S}/import`, ''],
        ['post', `${S}/import`, 'token wrong-token-wrong-token'],
        ['post', `${S}/import`, 'update-token abc'],
        ['patch', `${S}/update/0123abcd-0000/checkpoint`, ''],
        ['patch', `${S}/update/0123abcd-0000/checkpoint`, `token ${ADMIN_TOKEN}`],
        ['post', `${S}/batch-decrypt`, ''],
      ];
      for (const [method, path, auth] of cases) {
        const { result, inflated } = await countingInflation(() => send(method, path, auth));
        expect(result.status, `${method} ${path} with '${auth}'`).to.equal(401);
        expect(result.body.code).to.equal(401);
        expect(inflated, `${method} ${path} with '${auth}' inflated the body`).to.equal(0);
      }
    });

    it('refuses a bomb carrying a wrong update token (403) before reading it, for a real update and an unknown one', async () => {
      const id = (await admin.call('post', `${S}/update`, programRequest(false))).body.updateID as string;
      expect((await admin.call('post', `${S}/update/${id}`, {})).status).to.equal(200);
      const cases: [string, number][] = [
        [`${S}/update/${id}/checkpoint`, 403],
        [`${S}/update/${id}/checkpoint`, 403], // the second time from the pod's memory of the token
        [`${S}/update/0123abcd-0000-4000-8000-000000000000/checkpoint`, 404],
      ];
      for (const [path, status] of cases) {
        const { result, inflated } = await countingInflation(() => send('patch', path, 'update-token not-the-token'));
        expect(result.status, path).to.equal(status);
        expect(inflated, `${path} inflated the body`).to.equal(0);
      }
      await admin.call('post', `${S}/update/${id}/cancel`);
    });

    it('does inflate the same bomb once the credential is valid — so the spy above is live — and stops at the limit (413)', async () => {
      const { result, inflated } = await countingInflation(() => send('post', `${S}/import`, `token ${ADMIN_TOKEN}`));
      expect(result.status).to.equal(413);
      expect(inflated).to.be.above(0);
    });
  });

  describe('over a real socket', () => {
    let server: RunningServer;
    before(async () => {
      server = await listen(app, '127.0.0.1', 0, pino({ level: 'silent' }));
    });
    after(async () => {
      await server.drain(100);
    });
    const port = () => (server.server.address() as AddressInfo).port;

    it('answers 401 while a large unauthenticated upload is still being sent, then cuts the connection', async () => {
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      const total = 64 * 1024 * 1024;
      const outcome = await new Promise<{ status: number; body: string; sent: number; closed: boolean }>((resolve, reject) => {
        let sent = 0;
        let status = 0;
        let body = '';
        const req = httpRequest({
          port: port(),
          host: '127.0.0.1',
          method: 'POST',
          path: `/api/stacks/${org}/p/x/import`,
          headers: { 'Content-Type': 'application/json', 'Content-Length': String(total) },
        });
        const pump = () => {
          while (sent < total && !req.destroyed) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
        };
        req.on('response', (res) => {
          status = res.statusCode ?? 0;
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => setTimeout(() => resolve({ status, body, sent, closed: req.socket?.destroyed ?? true }), 200));
        });
        req.on('error', (err) => (status ? resolve({ status, body, sent, closed: true }) : reject(err)));
        pump();
      });
      expect(outcome.status).to.equal(401);
      expect(JSON.parse(outcome.body).code).to.equal(401);
      expect(outcome.sent, 'the server stopped taking the body').to.be.below(total);
      expect(outcome.closed).to.equal(true);
    });

    it('sends no 100 Continue before the credential is accepted', async () => {
      const attempt = (auth: string) =>
        new Promise<{ status: number; continued: boolean; connection?: string }>((resolve, reject) => {
          let continued = false;
          const body = Buffer.from(JSON.stringify({ stackName: `c${auth.length}` }));
          const req = httpRequest({
            port: port(),
            host: '127.0.0.1',
            method: 'POST',
            path: `/api/stacks/${org}/p`,
            headers: { Expect: '100-continue', 'Content-Type': 'application/json', 'Content-Length': String(body.length), Authorization: auth },
          });
          req.on('continue', () => {
            continued = true;
            req.end(body);
          });
          req.on('response', (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, continued, connection: res.headers.connection }));
          });
          req.on('error', reject);
          req.flushHeaders();
        });
      const refused = await attempt('token not-a-token');
      expect(refused).to.deep.include({ status: 401, continued: false, connection: 'close' });
      const accepted = await attempt(`token ${ADMIN_TOKEN}`);
      expect(accepted).to.deep.include({ status: 200, continued: true });
    });
  });
});
