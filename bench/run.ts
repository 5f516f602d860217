/**
 * `npm run bench`: Fulmar's speed and memory claims, each measured as a ratio against a
 * baseline taken in the same run on the same machine (never an absolute threshold).
 * Every loop is bounded in count; servers bind 127.0.0.1 only.
 */
import { createHash } from 'node:crypto';
import { Agent, createServer, get as httpGet, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { FilesystemStore } from '../src/storage/filesystem-store.js';
import { MemoryStore } from '../src/storage/memory-store.js';
import type { ObjectStore } from '../src/storage/object-store.js';
import { buildServices } from '../src/services/build-services.js';
import { createApp } from '../src/http/app.js';
import { rawTopLevelValue } from '../src/domain/raw-json.js';

const TOKEN = 'bench-admin-token-0123456789';
const KEY = [{ id: 'bench', key: Buffer.alloc(32, 3) }];

interface Row {
  name: string;
  baseline: string;
  candidate: string;
  ratio: number;
  meaning: string;
}
const rows: Row[] = [];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (ns: bigint) => Number(ns) / 1e6;

async function timeIt(fn: () => unknown | Promise<unknown>, runs: number): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(ms(process.hrtime.bigint() - start));
  }
  return median(times);
}

async function serve(store: ObjectStore, cacheBytes: number) {
  const services = buildServices({ store, keyring: KEY, logger: pino({ level: 'silent' }), adminToken: TOKEN, cacheBytes, deltaCutoffBytes: 0 });
  const server: Server = createServer(createApp(services));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, body?: Buffer, gzip = false, auth = `token ${TOKEN}`) => {
    const headers: Record<string, string> = { Authorization: auth, 'Content-Type': 'application/json' };
    if (gzip) headers['Content-Encoding'] = 'gzip';
    const res = await fetch(base + path, { method, headers, body: body && (gzip ? gzipSync(body) : body) });
    const bytes = Buffer.from(await res.arrayBuffer());
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${bytes.toString().slice(0, 200)}`);
    return bytes;
  };
  // Like the CLI: asks for gzip and reads the bytes (the client's own decompression is not
  // what is being measured here).
  const agent = new Agent({ keepAlive: true });
  const getRaw = (path: string) =>
    new Promise<number>((resolve, reject) => {
      httpGet(base + path, { agent, headers: { Authorization: `token ${TOKEN}`, 'Accept-Encoding': 'gzip' } }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
      }).on('error', reject);
    });
  return { call, getRaw, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

function deployment(resources: number, marker = 'x') {
  const list = [];
  for (let i = 0; i < resources; i++) {
    list.push({
      urn: `urn:pulumi:dev::bench::aws:s3/bucket:Bucket::b${i}`,
      custom: true,
      id: `bucket-${i}`,
      type: 'aws:s3/bucket:Bucket',
      inputs: { acl: 'private', tags: { Name: `bücket ${i}`, owner: 'bench' } },
      outputs: { arn: `arn:aws:s3:::bucket-${i}`, marker: i === 0 ? marker : 'same', padding: 'p'.repeat(200) },
    });
  }
  return { version: 3, deployment: { manifest: { time: '2026-01-01T00:00:00Z', magic: '', version: 'v3.259.0' }, resources: list } };
}

async function hotExports() {
  const dir = await mkdtemp(join(tmpdir(), 'fulmar-bench-'));
  const body = Buffer.from(JSON.stringify(deployment(8_000)));
  const result: number[] = [];
  for (const cacheBytes of [0, 256 * 1024 * 1024]) {
    const pod = await serve(new FilesystemStore(join(dir, String(cacheBytes))), cacheBytes);
    await pod.call('POST', '/api/stacks/acme/bench', Buffer.from('{"stackName":"dev"}'));
    await pod.call('POST', '/api/stacks/acme/bench/dev/import', body, true);
    const per = await timeIt(async () => {
      for (let i = 0; i < 20; i++) await pod.getRaw('/api/stacks/acme/bench/dev/export/1');
    }, 5);
    result.push(20_000 / per);
    await pod.close();
  }
  await rm(dir, { recursive: true, force: true });
  const [cold, hot] = result as [number, number];
  rows.push({
    name: `export of a committed ${(body.length / 1e6).toFixed(1)} MB version (filesystem store)`,
    baseline: `${cold.toFixed(0)} req/s without cache`,
    candidate: `${hot.toFixed(0)} req/s from the LRU`,
    ratio: hot / cold,
    meaning: 'throughput gain from serving immutable versions from memory',
  });
}

async function verbatimExtraction() {
  const doc = JSON.stringify(deployment(60_000));
  const body = Buffer.from(`{"version":3,"untypedDeployment":${doc},"sequenceNumber":7}`);
  const naive = await timeIt(() => Buffer.from(JSON.stringify((JSON.parse(body.toString('utf8')) as { untypedDeployment: unknown }).untypedDeployment)), 5);
  const scan = await timeIt(() => rawTopLevelValue(body, 'untypedDeployment'), 5);
  rows.push({
    name: `verbatim checkpoint of ${(body.length / 1e6).toFixed(0)} MB: finding untypedDeployment`,
    baseline: `${naive.toFixed(0)} ms JSON.parse+stringify`,
    candidate: `${scan.toFixed(0)} ms byte scan`,
    ratio: naive / scan,
    meaning: 'speed-up (and the stored bytes stay exactly as sent)',
  });
  const heap = (fn: () => unknown) => {
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const kept = fn();
    const after = process.memoryUsage().heapUsed;
    return { grew: Math.max(1, after - before), kept };
  };
  const a = heap(() => JSON.parse(body.toString('utf8')));
  const b = heap(() => rawTopLevelValue(body, 'untypedDeployment'));
  rows.push({
    name: 'same body: JS heap held by the result',
    baseline: `${(a.grew / 1e6).toFixed(1)} MB parsed objects`,
    candidate: `${(b.grew / 1e6).toFixed(2)} MB (a view into the body)`,
    ratio: a.grew / b.grew,
    meaning: 'heap saved per verbatim checkpoint in flight',
  });
}

async function deltaUploads() {
  const store = new MemoryStore();
  const pod = await serve(store, 64 * 1024 * 1024);
  await pod.call('POST', '/api/stacks/acme/bench', Buffer.from('{"stackName":"delta"}'));
  const S = '/api/stacks/acme/bench/delta';
  const program = Buffer.from(JSON.stringify({ name: 'bench', runtime: 'nodejs', main: '', description: '', options: { dryRun: false }, config: {}, metadata: { message: '', environment: {} } }));
  const steps = 40;
  const texts = Array.from({ length: steps + 1 }, (_, i) => Buffer.from(JSON.stringify(deployment(200, `m${String(i).padStart(4, '0')}`))));
  const run = async (mode: 'verbatim' | 'delta') => {
    const id = JSON.parse((await pod.call('POST', `${S}/update`, program)).toString()).updateID;
    const token = JSON.parse((await pod.call('POST', `${S}/update/${id}`, Buffer.from('{}'))).toString()).token;
    const auth = `update-token ${token}`;
    let sent = 0;
    const start = process.hrtime.bigint();
    for (let seq = 1; seq <= steps; seq++) {
      const text = texts[seq] as Buffer;
      let body: Buffer;
      if (mode === 'verbatim' || seq === 1) {
        body = Buffer.concat([Buffer.from('{"version":3,"untypedDeployment":'), text, Buffer.from(`,"sequenceNumber":${seq}}`)]);
        await pod.call('PATCH', `${S}/update/${id}/checkpointverbatim`, body, true, auth);
      } else {
        const prev = texts[seq - 1] as Buffer;
        // The only difference between steps: the 5-byte marker value of the first resource.
        const at = prev.indexOf('"marker":"') + '"marker":"'.length;
        const edit = { Span: { uri: '', start: { line: 1, column: 1, offset: at }, end: { line: 1, column: 1, offset: at + 5 } }, NewText: text.subarray(at, at + 5).toString() };
        body = Buffer.from(JSON.stringify({ version: 3, checkpointHash: createHash('sha256').update(text).digest('hex'), sequenceNumber: seq, deploymentDelta: [edit] }));
        await pod.call('PATCH', `${S}/update/${id}/checkpointdelta`, body, true, auth);
      }
      sent += gzipSync(body).length;
    }
    const elapsed = ms(process.hrtime.bigint() - start);
    await pod.call('POST', `${S}/update/${id}/complete`, Buffer.from('{"status":"succeeded"}'), false, auth);
    return { sent, perPatch: elapsed / steps };
  };
  await run('verbatim'); // warm-up
  const v = await run('verbatim');
  const d = await run('delta');
  await pod.close();
  rows.push({
    name: `checkpoints of a 200-resource state (${(texts[0]!.length / 1e3).toFixed(0)} kB), ${steps} steps`,
    baseline: `${(v.sent / 1e3).toFixed(0)} kB gzipped verbatim`,
    candidate: `${(d.sent / 1e3).toFixed(0)} kB gzipped deltas`,
    ratio: v.sent / d.sent,
    meaning: 'upload bytes saved by advertising delta-checkpoint-uploads-v2',
  });
  rows.push({
    name: 'same sequence: server time per PATCH',
    baseline: `${v.perPatch.toFixed(2)} ms verbatim`,
    candidate: `${d.perPatch.toFixed(2)} ms delta (rebuild + SHA-256)`,
    ratio: v.perPatch / d.perPatch,
    meaning: '>1: deltas are cheaper for the server too; <1: the price of reconstruction',
  });
}

async function listing() {
  const times: number[] = [];
  for (const count of [100, 1000]) {
    const pod = await serve(new MemoryStore(), 0);
    for (let i = 0; i < count; i++) await pod.call('POST', '/api/stacks/acme/many', Buffer.from(`{"stackName":"s${String(i).padStart(5, '0')}"}`));
    times.push(await timeIt(() => pod.call('GET', '/api/user/stacks?organization=acme'), 9));
    await pod.close();
  }
  const [small, large] = times as [number, number];
  rows.push({
    name: 'first page of GET /api/user/stacks (100 per page)',
    baseline: `${small.toFixed(1)} ms with 100 stacks`,
    candidate: `${large.toFixed(1)} ms with 1,000 stacks`,
    ratio: small / large,
    meaning: '≈1: a page costs the same however many stacks exist',
  });
}

const started = Date.now();
console.log(`Fulmar benchmark — node ${process.version}, each ratio against a baseline measured in this run\n`);
for (const [name, fn] of [
  ['hot exports', hotExports],
  ['verbatim extraction', verbatimExtraction],
  ['delta uploads', deltaUploads],
  ['stack listing', listing],
] as const) {
  process.stdout.write(`running ${name}…\n`);
  await fn();
}
console.log('');
for (const r of rows) {
  console.log(`${r.name}\n  baseline:  ${r.baseline}\n  candidate: ${r.candidate}\n  ratio:     ${r.ratio.toFixed(2)}×  (${r.meaning})\n`);
}
console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
