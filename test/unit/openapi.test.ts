/**
 * The API document is generated from the route table, and the committed docs/openapi.json is
 * what the code generates; routes parse with the schemas the document shows.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { routeTable } from '../../src/http/app.js';
import { mountRoutes } from '../../src/http/mount-routes.js';
import { errorSchema, impliedErrors, openApiDocument, operationId } from '../../src/http/openapi.js';
import { defineRoute, type Route } from '../../src/http/route.js';
import { OPENAPI_PATH } from '../../src/http/routes/openapi.js';
import { errorBody, errorHandler } from '../../src/http/middleware/error-handler.js';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { committedDocument, DOCUMENT_FILE } from '../../scripts/openapi.js';
import { makeApi } from '../helpers/api.js';

type Json = Record<string, any>;

describe('API document', () => {
  const { app, services } = makeApi(new MemoryStore());
  const routes = routeTable(services);
  const doc = openApiDocument(routes) as Json;
  const operations = Object.entries(doc.paths as Json).flatMap(([path, methods]) =>
    Object.entries(methods as Json).map(([method, op]) => ({ path, method, op: op as Json })),
  );

  it('is committed as docs/openapi.json exactly as the code generates it (npm run openapi rewrites it)', () => {
    const committed = readFileSync(DOCUMENT_FILE, 'utf8');
    expect(committed === committedDocument(), 'docs/openapi.json is stale: run npm run openapi').to.equal(true);
  });

  it('has one operation per route, with the credential the route declares', () => {
    expect(doc.openapi).to.equal('3.1.0');
    // The answers about features Fulmar does not provide are not operations (docs/protocol.md#not-provided).
    const api = routes.filter((r) => r.method !== 'all');
    expect(routes.length - api.length, 'not-provided answers').to.be.greaterThan(0);
    expect(operations).to.have.length(api.length);
    expect(Object.keys(doc.paths as Json).filter((p) => /\/api\/(esc|ai)\b/.test(p))).to.deep.equal([]);
    const expected = {
      'api-token': [{ token: [] }, { session: [] }],
      'update-token': [{ 'update-token': [] }],
      session: [{ session: [] }],
      console: [],
      none: [],
    };
    for (const route of api) {
      const op = doc.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method];
      expect(op, `${route.method} ${route.path}`).to.be.an('object');
      expect(op.operationId).to.equal(operationId(route));
      expect(op.summary, op.operationId).to.be.a('string').and.not.equal('');
      expect(op.security, op.operationId).to.deep.equal(expected[route.auth]);
    }
    expect(Object.keys(doc.components.securitySchemes).sort()).to.deep.equal(['session', 'token', 'update-token']);
  });

  it('describes every parameter of every path, and every answer with a schema', () => {
    for (const { path, method, op } of operations) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const refs = (op.parameters ?? []).filter((p: Json) => p.$ref).map((p: Json) => p.$ref.split('/').pop());
      expect(refs, `${method} ${path}`).to.deep.equal(names);
      for (const name of refs) expect(doc.components.parameters[name].schema.pattern, name).to.be.a('string');
      for (const [status, answer] of Object.entries(op.responses as Json)) {
        const body = answer.$ref ? doc.components.responses[answer.$ref.split('/').pop()] : answer;
        const bodiless = method === 'head' || status === '204' || status === '302';
        expect(body.content === undefined, `${method} ${path} ${status}`).to.equal(bodiless);
      }
    }
  });

  it('gives the CLI’s calls real response schemas: strict objects with their required keys', () => {
    const schema = (name: string) => doc.components.schemas[name] as Json;
    const stack = schema('StackResponse');
    expect(stack.additionalProperties).to.equal(false);
    expect(stack.required).to.include.members(['id', 'orgName', 'projectName', 'stackName', 'activeUpdate', 'tags', 'version']);
    expect(schema('StartUpdateResponse').required).to.include.members(['version', 'token', 'tokenExpiration', 'journalVersion']);
    expect(schema('ExportResponse').required).to.deep.equal(['version', 'deployment']);
    const ok = (id: string) => doc.paths[Object.keys(doc.paths).find((p) => Object.values(doc.paths[p]).some((o: any) => o.operationId === id)) as string];
    expect(ok('getStacksExport').get.responses['200'].content['application/json'].schema.$ref).to.equal('#/components/schemas/ExportResponse');
  });

  it('lists the error statuses a route implies, each in the shape the error handler renders', () => {
    const byId = new Map(routes.map((r) => [operationId(r), r]));
    const checkpoint = byId.get('patchStacksUpdateCheckpoint') as Route;
    expect(impliedErrors(checkpoint)).to.deep.equal([400, 401, 403, 404, 409, 413, 415, 503]);
    expect(impliedErrors(byId.get('getHealthz') as Route)).to.deep.equal([]);
    expect(errorSchema(404).safeParse(errorBody(404, "stack 'a/b/c' not found")).success).to.equal(true);
    expect(errorSchema(404).safeParse(errorBody(409, 'taken')).success, 'a 409 body is not a 404').to.equal(false);
    expect(errorSchema(400).safeParse({ code: 400, message: 'no status text' }).success).to.equal(false);
    expect(doc.components.schemas.Error409.properties.code.const).to.equal(409);
  });

  it('is served without a credential, as generated from the pod’s own route table', async () => {
    const res = await request(app).get(OPENAPI_PATH);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    expect(res.body).to.deep.equal(doc);
  });
});

describe('declared schemas', () => {
  const schema = z.looseObject({ name: z.string().min(2) });
  const appWith = (route: Route) => {
    const app = express();
    mountRoutes(app, [route], { auth: {} as never, readBody: async (req) => void (req.body = Buffer.from(JSON.stringify(req.headers['x-body'] ? JSON.parse(req.headers['x-body'] as string) : {}))), verifyUpdateToken: async () => {} });
    app.use(errorHandler);
    return app;
  };

  it('are what the handler parses with: a body the declared schema refuses is a 400 naming the field', async () => {
    const app = appWith(
      defineRoute({
        method: 'post',
        path: '/t',
        auth: 'none',
        body: 'small',
        summary: 'test',
        request: schema,
        responses: { 200: z.strictObject({ name: z.string() }) },
        handler: (_req, res, _c, input) => void res.json({ name: input.body().name }),
      }),
    );
    const good = await request(app).post('/t').set('x-body', JSON.stringify({ name: 'ok' }));
    expect(good.status).to.equal(200);
    expect(good.body).to.deep.equal({ name: 'ok' });
    const bad = await request(app).post('/t').set('x-body', JSON.stringify({ name: 'x' }));
    expect(bad.status).to.equal(400);
    expect(bad.body.message).to.match(/^Bad Request: invalid request body: name: /);
  });

  it('cannot be bypassed: asking for a body or query the route does not declare fails the request', async () => {
    const app = appWith({
      method: 'get',
      path: '/u',
      auth: 'none',
      body: 'none',
      summary: 'test',
      responses: { 200: null },
      handler: (_req, res, _c, input) => void res.json(input.query()),
    });
    const res = await request(app).get('/u?x=1');
    expect(res.status).to.equal(500);
    expect(res.body).to.deep.equal({ code: 500, message: 'Internal Server Error: internal error' });
  });
});
