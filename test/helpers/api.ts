/**
 * Builds Fulmar apps over a given store for supertest, with a bootstrap admin token, and small
 * helpers that speak the protocol the way the CLI does.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import type { Express } from 'express';
import { pino } from 'pino';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { buildServices, type ServiceParts } from '../../src/services/build-services.js';
import { createApp } from '../../src/http/app.js';
import type { Services } from '../../src/http/services.js';
import type { Clock } from '../../src/domain/clock.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const ACCEPT = 'application/vnd.pulumi+9';

export interface TestApi {
  app: Express;
  services: Services;
}

/** One app ("pod") over the store; several over one store behave like pods sharing a bucket. */
export function makeApi(
  store: ObjectStore,
  options: {
    keyring?: { id: string; key: Buffer }[];
    leaseSeconds?: number;
    clock?: Clock;
    journaling?: boolean;
    journalMaxBatchBytes?: number;
    /** How often at most a pod catches up with other pods' journal batches (0: at every batch it stores). */
    replayCatchUpMs?: number;
    /** Serves /metrics from these (src/observability/metrics.ts); the store is metered by the caller. */
    metrics?: Services['metrics'];
    /** The console's sessions and sign-in (docs/console.md). */
    console?: ServiceParts['console'];
    /** The built console's folder (src/http/console-static.ts). */
    consoleDir?: string;
  } = {},
): TestApi {
  const services = buildServices({
    store,
    keyring: options.keyring ?? [{ id: 'k1', key: Buffer.alloc(32, 7) }],
    logger: pino({ level: 'silent' }),
    adminToken: ADMIN_TOKEN,
    cacheBytes: 8 * 1024 * 1024,
    leaseSeconds: options.leaseSeconds ?? 300,
    maxBodyBytes: 8 * 1024 * 1024,
    deltaCutoffBytes: 0,
    clock: options.clock,
    journaling: options.journaling,
    journalMaxBatchBytes: options.journalMaxBatchBytes,
    replayCatchUpMs: options.replayCatchUpMs,
    metrics: options.metrics,
    console: options.console,
  });
  return { app: createApp(services, { consoleDir: options.consoleDir }), services };
}

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete' | 'head';

/** A client that round-robins over apps, as a load balancer would. */
export class Client {
  private next = 0;
  constructor(
    private readonly apps: Express[],
    private readonly auth: string = `token ${ADMIN_TOKEN}`,
  ) {}

  withAuth(auth: string): Client {
    return new Client(this.apps, auth);
  }

  call(method: Method, path: string, body?: unknown, opts: { gzip?: boolean; auth?: string } = {}) {
    const app = this.apps[this.next++ % this.apps.length] as Express;
    let req = request(app)[method](path).set('Accept', ACCEPT).set('Content-Type', 'application/json');
    const auth = opts.auth ?? this.auth;
    if (auth) req = req.set('Authorization', auth);
    if (body === undefined) return req;
    const raw = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    // superagent would JSON-encode a Buffer under a JSON content type; send the bytes as they are.
    req = req.serialize((b: unknown) => b as string);
    return opts.gzip ? req.set('Content-Encoding', 'gzip').send(gzipSync(raw)) : req.send(raw);
  }
}

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export const stackPath = (org: string, project: string, stack: string) => `/api/stacks/${org}/${project}/${stack}`;

/**
 * Creates orgs as the site admin (`POST /api/orgs`), as an operator does before anyone uses them;
 * one that already exists is fine (several suites share a store).
 */
export async function createOrgs(client: Client, ...names: string[]): Promise<void> {
  for (const name of names) {
    const res = await client.call('post', '/api/orgs', { name });
    if (res.status !== 201 && !(res.status === 409 && /already exists/.test(res.body?.message ?? ''))) {
      throw new Error(`could not create org '${name}': ${res.status} ${res.text}`);
    }
  }
}

export const programRequest = (dryRun: boolean) => ({
  name: 'proj',
  runtime: 'nodejs',
  main: '',
  description: '',
  options: { color: 'raw', dryRun, parallel: 2147483647 },
  config: { 'proj:greeting': { string: 'hi', secret: false, object: false } },
  metadata: { message: 'test update', environment: { 'git.head': 'abc' } },
});

/** A deployment with `n` resources whose URNs name the stack, like the CLI's. */
export function deployment(project: string, stack: string, n: number, marker = 'x') {
  const stackUrn = `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
  const resources: unknown[] = [{ urn: stackUrn, custom: false, type: 'pulumi:pulumi:Stack', outputs: { marker } }];
  for (let i = 1; i < n; i++) {
    resources.push({
      urn: `urn:pulumi:${stack}::${project}::my:index:Thing::t${i}`,
      custom: false,
      type: 'my:index:Thing',
      parent: stackUrn,
      inputs: { i, note: 'héllo ✓' },
    });
  }
  return {
    version: 3,
    deployment: { manifest: { time: '2026-01-01T00:00:00Z', magic: '', version: 'v3.259.0' }, resources },
  };
}
