/**
 * One canonical URL (README.md#one-url): requests for another host are answered as usual, and each
 * such host is logged once per pod as a warning naming FULMAR_PUBLIC_URL; a pod with no token at
 * all adds the way to make the first one to its refusals.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import request from 'supertest';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { buildServices } from '../../src/services/build-services.js';
import { createApp } from '../../src/http/app.js';
import { HostWatch, resolvePublicUrl } from '../../src/http/host-watch.js';
import { FIRST_TOKEN_COMMAND, OPERATOR } from '../../src/services/auth-service.js';
import { ADMIN_TOKEN } from '../helpers/api.js';

/** A logger whose JSON lines the test reads back. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

function pod(options: { adminToken?: string; publicUrl?: string; store?: MemoryStore } = {}) {
  const { logger, lines } = capturedLogger();
  const services = buildServices({
    store: options.store ?? new MemoryStore(),
    keyring: [{ id: 'k1', key: Buffer.alloc(32, 7) }],
    logger,
    adminToken: options.adminToken,
  });
  const hostWatch = new HostWatch(logger);
  hostWatch.use(resolvePublicUrl(options.publicUrl, 8080));
  return {
    app: createApp(services, { hostWatch }),
    services,
    // Host warnings only: a refused request is also logged at warn level, by the request logger.
    warnings: () => lines.filter((l) => l.level === 40 && 'publicUrl' in l),
  };
}

describe('the public URL', () => {
  it('answers requests for other hosts normally and warns once per host, naming FULMAR_PUBLIC_URL', async () => {
    const { app, warnings } = pod({ adminToken: ADMIN_TOKEN, publicUrl: 'http://fulmar.test:8080' });
    const get = (path: string, headers: Record<string, string>, auth = true) => {
      let r = request(app).get(path);
      for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
      return auth ? r.set('Authorization', `token ${ADMIN_TOKEN}`) : r;
    };
    for (const host of ['fulmar.test:8080', 'FULMAR.test:8080', '127.0.0.1:8080', '127.0.0.1:8080', '127.0.0.1:8080']) {
      const r = await get('/api/user', { Host: host });
      expect(r.status, host).to.equal(200);
      expect(r.body.githubLogin).to.equal('admin');
    }
    // Behind a proxy, the host the client used is X-Forwarded-Host's.
    for (let i = 0; i < 2; i++) expect((await get('/api/user', { Host: 'fulmar.test:8080', 'X-Forwarded-Host': 'lb.example' })).status).to.equal(200);
    expect((await get('/api/user', { Host: 'pod-3:8080', 'X-Forwarded-Host': 'fulmar.test:8080' })).status).to.equal(200);
    // Strangers and probes are not counted: they are not clients that logged in.
    expect((await get('/api/user', { Host: 'stranger.example' }, false)).status).to.equal(401);
    expect((await get('/healthz', { Host: '10.0.0.7:8080' }, false)).status).to.equal(200);

    const seen = warnings();
    expect(seen.map((w) => w.host)).to.deep.equal(['127.0.0.1:8080', 'lb.example']);
    for (const w of seen) {
      expect(w.publicUrl).to.equal('http://fulmar.test:8080');
      expect(w.msg).to.contain('FULMAR_PUBLIC_URL is http://fulmar.test:8080:').and.contain('pulumi login http://fulmar.test:8080');
      expect(w.msg).to.not.contain('unset');
    }
  });

  it('warns against the default, http://localhost:<port>, when FULMAR_PUBLIC_URL is unset, and says it is the default', async () => {
    const { app, warnings } = pod({ adminToken: ADMIN_TOKEN });
    expect((await request(app).get('/api/user').set('Host', 'localhost:8080').set('Authorization', `token ${ADMIN_TOKEN}`)).status).to.equal(200);
    expect(warnings()).to.deep.equal([]);
    expect((await request(app).get('/api/user').set('Host', '127.0.0.1:8080').set('Authorization', `token ${ADMIN_TOKEN}`)).status).to.equal(200);
    expect(warnings().map((w) => [w.host, w.publicUrl])).to.deep.equal([['127.0.0.1:8080', 'http://localhost:8080']]);
    expect(warnings()[0]!.msg).to.contain('(unset, so the default)');
  });
});

describe('refusals while no token exists', () => {
  it('say how to make the first token, until one exists', async () => {
    const { app, services } = pod();
    for (const auth of [undefined, 'token pul-nope', 'update-token x']) {
      let r = request(app).get('/api/user');
      if (auth) r = r.set('Authorization', auth);
      const res = await r;
      expect(res.status, auth).to.equal(401);
      expect(res.body.code).to.equal(401);
      expect(res.body.message).to.contain(`\`${FIRST_TOKEN_COMMAND}\``).and.contain('PULUMI_ACCESS_TOKEN');
    }

    const { tokenValue } = await services.auth.adminCreateToken(OPERATOR, 'alice', 'first');
    const ok = await request(app).get('/api/user').set('Authorization', `token ${tokenValue}`);
    expect(ok.status).to.equal(200);
    expect(ok.body.githubLogin).to.equal('alice');
    const refused = await request(app).get('/api/user').set('Authorization', 'token pul-nope');
    expect(refused.status).to.equal(401);
    expect(refused.body).to.deep.equal({ code: 401, message: 'Unauthorized: No credentials provided or are invalid.' });
  });

  it('never carry the advice when FULMAR_ADMIN_TOKEN is set', async () => {
    const { app } = pod({ adminToken: ADMIN_TOKEN });
    const res = await request(app).get('/api/user');
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal({ code: 401, message: 'Unauthorized: No credentials provided or are invalid.' });
  });
});
