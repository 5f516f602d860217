/** The body reader keeps a gzip client's bytes only for routes that store them (src/http/middleware/body.ts). */
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { bodyReader, sentGzip } from '../../src/http/middleware/body.js';
import { rawBody } from '../../src/http/parse.js';

function app(keepGzip: boolean, maxBodyBytes = 1024 * 1024) {
  const read = bodyReader(maxBodyBytes);
  const a = express();
  a.post('/', async (req, res) => {
    await read(req, res, 'large', { keepGzip });
    const kept = sentGzip(req);
    res.json({ raw: rawBody(req).toString('utf8'), kept: kept ? kept.toString('base64') : null });
  });
  return a;
}

// superagent would JSON-encode a Buffer under a JSON content type; send the bytes as they are.
const asIs = (b: unknown) => b as string;

const json = JSON.stringify({ entries: [{ sequenceID: 1, text: 'x'.repeat(2000) }] });

describe('body reader: the bytes a gzip client sent', () => {
  it('keeps them, byte for byte, for a route that asks, beside the inflated body', async () => {
    const sent = gzipSync(json, { level: 9 });
    const res = await request(app(true)).post('/').set('Content-Encoding', 'gzip').set('Content-Type', 'application/json').serialize(asIs).send(sent);
    expect(res.status).to.equal(200);
    expect(res.body.raw).to.equal(json);
    expect(Buffer.from(res.body.kept, 'base64').equals(sent)).to.equal(true);
  });

  it('keeps nothing for a route that does not ask, nor for a body sent uncompressed', async () => {
    const notAsked = await request(app(false)).post('/').set('Content-Encoding', 'gzip').set('Content-Type', 'application/json').serialize(asIs).send(gzipSync(json));
    expect(notAsked.body).to.deep.equal({ raw: json, kept: null });
    const plain = await request(app(true)).post('/').set('Content-Type', 'application/json').serialize(asIs).send(json);
    expect(plain.body).to.deep.equal({ raw: json, kept: null });
  });

  it('keeps nothing when the compressed bytes alone pass the limit, and still reads the body', async () => {
    const empty = gzipSync(Buffer.alloc(0));
    const padding = Buffer.concat(Array.from({ length: Math.ceil(4096 / empty.length) + 1 }, () => empty));
    const res = await request(app(true, 4096)).post('/').set('Content-Encoding', 'gzip').set('Content-Type', 'application/json').serialize(asIs).send(Buffer.concat([padding, gzipSync('{}')]));
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ raw: '{}', kept: null });
  });
});
