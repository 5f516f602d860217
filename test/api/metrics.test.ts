/**
 * /metrics on an app built as a pod builds it with metrics on: the store from createObjectStore
 * with the metrics' storage sink, so the bucket requests the API makes show up as
 * `fulmar_storage_…` series next to the HTTP ones.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createObjectStore } from '../../src/storage/create-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { Client, createOrgs, makeApi, type TestApi } from '../helpers/api.js';

/** The sum of the samples of `name` whose labels include `labels`, from Prometheus text. */
function total(scraped: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of scraped.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

describe('GET /metrics with a metered store', function () {
  let dir: string;
  let store: ObjectStore;
  let api: TestApi;
  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), 'fulmar-metrics-'));
    const metrics = createMetrics();
    store = createObjectStore(loadConfig({ FULMAR_DATA_DIR: dir }), createLogger('silent'), metrics.storage);
    api = makeApi(store, { metrics });
  });
  afterEach(async function () {
    await store.close?.();
    await rm(dir, { recursive: true, force: true });
  });

  const scrape = async () => {
    const res = await request(api.app).get('/metrics');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/plain/);
    return res.text;
  };

  it('shows the bucket requests, latencies and bytes that creating a stack made', async function () {
    const before = await scrape();
    expect(before).to.contain('# HELP fulmar_storage_requests_total');
    expect(total(before, 'fulmar_storage_requests_total')).to.equal(0);

    const admin = new Client([api.app]);
    await createOrgs(admin, 'acme');
    const created = await admin.call('post', '/api/stacks/acme/proj', { stackName: 'dev' });
    expect(created.status, created.text).to.equal(200);

    const after = await scrape();
    expect(total(after, 'fulmar_storage_requests_total', { operation: 'put', outcome: 'ok' }), 'puts').to.be.greaterThan(0);
    expect(total(after, 'fulmar_storage_requests_total', { operation: 'get' }), 'gets').to.be.greaterThan(0);
    // One latency sample per request, whatever its outcome.
    const puts = total(after, 'fulmar_storage_requests_total', { operation: 'put' });
    expect(total(after, 'fulmar_storage_request_duration_seconds_count', { operation: 'put' })).to.equal(puts);
    expect(total(after, 'fulmar_storage_written_bytes_total')).to.be.greaterThan(0);
    // Nothing failed: only answers, no errors.
    for (const outcome of ['unavailable', 'invalid-key', 'internal']) {
      expect(total(after, 'fulmar_storage_requests_total', { outcome }), outcome).to.equal(0);
    }
  });
});
