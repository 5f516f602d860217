/**
 * The S3 store against a scripted HTTP server on 127.0.0.1: error mapping, no client retries,
 * error bodies always consumed (keep-alive sockets reused, never leaked), per-call timeouts, the
 * request it signs and sends, and the responses it parses. MinIO itself is in test/storage/s3.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { S3Store, type S3StoreOptions } from '../../src/storage/s3-store.js';
import type { StorageErrorCode } from '../../src/storage/storage-error.js';
import { expectStorageError } from '../storage/contract.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

const errorXml = (code: string, message = 'scripted') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>/x</Resource></Error>`;

describe('S3Store over HTTP (scripted server)', function () {
  let server: http.Server;
  let handler: Handler;
  let connections: number;
  let requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }[];
  const stores: S3Store[] = [];
  let endpoint: string;

  before(async function () {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        handler(req, res, body);
      });
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async function () {
    await Promise.all(stores.map((s) => s.close()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(function () {
    connections = 0;
    requests = [];
    handler = (_req, res) => res.end();
  });

  const makeStore = (extra: Partial<S3StoreOptions> = {}) => {
    const store = new S3Store({
      endpoint,
      bucket: 'bkt',
      accessKey: 'AKID',
      secretKey: 'SECRET',
      region: 'eu-central-1',
      prefix: 'tenant/',
      timeoutMs: 2_000,
      ...extra,
    });
    stores.push(store);
    return store;
  };
  const answer = (status: number, code?: string, headers: Record<string, string> = {}): Handler => (req, res) => {
    res.writeHead(status, { 'content-type': 'application/xml', ...headers });
    res.end(code && req.method !== 'HEAD' ? errorXml(code) : undefined);
  };

  describe('maps S3 answers to storage errors', function () {
    const cases: [string, number, string | undefined, (s: S3Store) => Promise<unknown>, StorageErrorCode][] = [
      ['GET 404 NoSuchKey', 404, 'NoSuchKey', (s) => s.get('k'), 'not-found'],
      ['HEAD 404 without body', 404, undefined, (s) => s.head('k'), 'not-found'],
      ['GET 404 NoSuchBucket', 404, 'NoSuchBucket', (s) => s.get('k'), 'internal'],
      ['PUT 412 PreconditionFailed', 412, 'PreconditionFailed', (s) => s.put('k', Buffer.from('x'), { ifNoneMatch: '*' }), 'precondition-failed'],
      ['PUT 409 ConditionalRequestConflict', 409, 'ConditionalRequestConflict', (s) => s.put('k', Buffer.from('x'), { ifNoneMatch: '*' }), 'precondition-failed'],
      ['PUT If-Match 404 NoSuchKey (AWS)', 404, 'NoSuchKey', (s) => s.put('k', Buffer.from('x'), { ifMatch: '"e"' }), 'precondition-failed'],
      ['GET 403 AccessDenied', 403, 'AccessDenied', (s) => s.get('k'), 'internal'],
      ['GET 301 PermanentRedirect', 301, 'PermanentRedirect', (s) => s.get('k'), 'internal'],
      ['GET 500 InternalError', 500, 'InternalError', (s) => s.get('k'), 'unavailable'],
      ['GET 503 SlowDown', 503, 'SlowDown', (s) => s.get('k'), 'unavailable'],
      ['PUT 429', 429, undefined, (s) => s.put('k', Buffer.from('x')), 'unavailable'],
      ['DELETE 504', 504, undefined, (s) => s.delete('k'), 'unavailable'],
      ['LIST 400 with a bad token', 400, 'InvalidArgument', (s) => s.list({ continuationToken: 'junk' }), 'invalid-key'],
      ['LIST 400 without a token', 400, 'InvalidArgument', (s) => s.list(), 'internal'],
    ];
    for (const [title, status, code, call, expected] of cases) {
      it(`${title} → ${expected}`, async function () {
        handler = answer(status, code);
        await expectStorageError(call(makeStore()), expected);
        expect(requests, 'exactly one request: no client-side retry').to.have.length(1);
      });
    }

    it('reads the code MinIO puts in a header on body-less HEAD answers', async function () {
      handler = answer(404, undefined, { 'x-minio-error-code': 'NoSuchBucket' });
      const err = await expectStorageError(makeStore().head('k'), 'internal');
      expect(err.message).to.contain('bkt');
    });
  });

  it('reads every error body, so one keep-alive socket serves a run of 5xx answers', async function () {
    handler = (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end(errorXml('SlowDown', 'x'.repeat(20_000)));
    };
    const store = makeStore({ maxSockets: 1 });
    for (let i = 0; i < 30; i++) await expectStorageError(store.get(`k${i}`), 'unavailable');
    await Promise.all(Array.from({ length: 10 }, (_, i) => expectStorageError(store.put(`p${i}`, Buffer.from('x')), 'unavailable')));
    expect(requests).to.have.length(40);
    expect(connections, 'sockets were reused, none leaked or reopened').to.equal(1);
  });

  it('drops the connection instead of reading a huge error body, and still answers', async function () {
    handler = (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/xml' });
      res.end(errorXml('InternalError', 'y'.repeat(200_000)));
    };
    const store = makeStore({ maxSockets: 1 });
    for (let i = 0; i < 3; i++) await expectStorageError(store.get('k'), 'unavailable');
    handler = (_req, res) => res.end('ok');
    expect((await store.get('k')).body.toString()).to.equal('ok');
  });

  it('gives up on a silent server after the call timeout', async function () {
    handler = () => {
      /* never answers */
    };
    const store = makeStore({ timeoutMs: 200 });
    const started = Date.now();
    const err = await expectStorageError(store.get('k'), 'unavailable');
    expect(Date.now() - started).to.be.within(150, 2_000);
    expect(err.message).to.contain('within 200 ms');
  });

  it('counts the body in the timeout: a stalled download fails as unavailable', async function () {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100', etag: '"e"' });
      res.write(Buffer.alloc(10));
    };
    const err = await expectStorageError(makeStore({ timeoutMs: 300 }).get('k'), 'unavailable');
    expect(err.message).to.contain('within 300 ms');
  });

  it('reports a connection cut mid-body as unavailable, never a short body', async function () {
    handler = (req, res) => {
      res.writeHead(200, { 'content-length': '100', etag: '"e"' });
      res.write(Buffer.alloc(10), () => req.socket.destroy());
    };
    await expectStorageError(makeStore().get('k'), 'unavailable');
  });

  it('sends one signed PUT with the conditional headers, the prefix and the configured region', async function () {
    handler = (_req, res) => {
      res.writeHead(200, { etag: '"abc"' });
      res.end();
    };
    const store = makeStore();
    const created = await store.put('org/a b+c.json', Buffer.from('{}'), { ifNoneMatch: '*', contentType: 'application/json' });
    await store.put('org/meta.json', Buffer.from('{}'), { ifMatch: '"abc"' });
    expect(created.etag).to.equal('"abc"');
    const [create, swap] = requests;
    expect(create!.method).to.equal('PUT');
    expect(create!.url).to.equal('/bkt/tenant/org/a%20b%2Bc.json');
    expect(create!.headers).to.include({ 'if-none-match': '*', 'content-type': 'application/json', 'content-md5': 'mZFLkyvTelC5g8XnyQrpOw==' });
    expect(create!.headers['if-match']).to.equal(undefined);
    expect(create!.headers.authorization).to.match(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-central-1\/s3\/aws4_request/);
    expect(create!.headers.authorization).to.match(/SignedHeaders=[^,]*if-none-match/);
    expect(create!.body.toString()).to.equal('{}');
    expect(swap!.headers['if-match']).to.equal('"abc"');
    expect(swap!.headers['if-none-match']).to.equal(undefined);
    expect(requests.some((r) => r.url.includes('location'))).to.equal(false);
  });

  it('reads ETag, Last-Modified and the store clock from the GET answer', async function () {
    handler = (_req, res) => {
      res.setHeader('date', 'Wed, 01 Jan 2020 00:00:00 GMT');
      res.writeHead(200, { etag: '"d41d8cd98f00b204e9800998ecf8427e"', 'last-modified': 'Tue, 31 Dec 2019 23:59:00 GMT' });
      res.end('hello');
    };
    const got = await makeStore().get('k');
    expect(got.body.toString()).to.equal('hello');
    expect(got.etag).to.equal('"d41d8cd98f00b204e9800998ecf8427e"');
    expect(got.storeTime.toISOString()).to.equal('2020-01-01T00:00:00.000Z');
    expect(got.lastModified.toISOString()).to.equal('2019-12-31T23:59:00.000Z');
    expect(requests[0]!.url).to.equal('/bkt/tenant/k');
  });

  it('lists one page with ListObjectsV2, keeps key text exact, and strips the prefix', async function () {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bkt</Name><Prefix>tenant%2F</Prefix><KeyCount>4</KeyCount><MaxKeys>3</MaxKeys><Delimiter>%2F</Delimiter><IsTruncated>true</IsTruncated><EncodingType>url</EncodingType><NextContinuationToken>1a2b/3c+4=</NextContinuationToken>
<Contents><Key>tenant/0007</Key><LastModified>2024-05-06T07:08:09.000Z</LastModified><ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>tenant/a+b%2Bc%26d</Key><LastModified>2024-05-06T07:08:10.000Z</LastModified><ETag>"92eb5ffee6ae2fec3ad71c777531578f"</ETag><Size>12</Size></Contents>
<CommonPrefixes><Prefix>tenant/dir%2F</Prefix></CommonPrefixes></ListBucketResult>`);
    };
    const page = await makeStore().list({ prefix: '', delimiter: '/', maxKeys: 3, startAfter: 'a', continuationToken: 'tok/en+=' });
    expect(page.objects).to.deep.equal([
      { key: '0007', etag: '"0cc175b9c0f1b6a831c399e269772661"', size: 1, lastModified: new Date('2024-05-06T07:08:09.000Z') },
      { key: 'a b+c&d', etag: '"92eb5ffee6ae2fec3ad71c777531578f"', size: 12, lastModified: new Date('2024-05-06T07:08:10.000Z') },
    ]);
    expect(page.commonPrefixes).to.deep.equal(['dir/']);
    expect(page.nextContinuationToken).to.equal('1a2b/3c+4=');
    const query = new URL(requests[0]!.url, 'http://x').searchParams;
    expect(Object.fromEntries(query)).to.deep.equal({
      'list-type': '2',
      'encoding-type': 'url',
      prefix: 'tenant/',
      delimiter: '/',
      'max-keys': '3',
      'start-after': 'tenant/a',
      'continuation-token': 'tok/en+=',
    });
  });

  it('refuses an endpoint with a path or a prefix without a trailing slash', function () {
    expect(() => makeStore({ endpoint: `${endpoint}/s3` })).to.throw(/must not have a path/);
    expect(() => makeStore({ prefix: 'tenant' })).to.throw(/must end with "\/"/);
  });
});
