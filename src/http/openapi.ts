/**
 * The OpenAPI 3.1 document of the route table, generated from the routes' own declarations
 * (src/http/route.ts): the zod schemas their handlers parse with and answer by, turned into JSON
 * Schema by zod. Served at `GET /api/openapi/pulumi-spec.json` and kept as docs/openapi.json
 * (`npm run openapi` rewrites it; a unit test fails when it is stale).
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import type { Auth, Reply, Route } from './route.js';
import * as requests from '../wire/requests.js';
import * as responses from '../wire/responses.js';
import { journalEntriesRequest } from '../wire/journal-entry.js';
import { pathParams } from '../wire/params.js';

/** The pulumi CLI whose side of the protocol the routes follow (docs/protocol.md). */
const PROTOCOL_VERSION = 'v3.259.0';

type Json = Record<string, unknown>;

/** Every named schema of src/wire/, by the name it gets under components/schemas. */
function namedSchemas(): Map<z.ZodType, string> {
  const named = new Map<z.ZodType, string>();
  const modules: Record<string, unknown>[] = [requests, responses, { journalEntriesRequest }];
  for (const mod of modules) {
    for (const [name, value] of Object.entries(mod)) {
      if (value instanceof z.ZodType && !named.has(value)) named.set(value, name[0]?.toUpperCase() + name.slice(1));
    }
  }
  return named;
}

/**
 * `{code, message}` with the code of its status and the message's `Status Text: ` prefix, as the
 * one error handler renders it (src/http/middleware/error-handler.ts).
 */
export const errorSchema = (status: number) =>
  z.strictObject({ code: z.literal(status), message: z.string().startsWith(`${STATUS_CODES[status]}: `) });

const SECURITY: Record<Auth, Json[]> = {
  'api-token': [{ token: [] }, { session: [] }],
  'update-token': [{ 'update-token': [] }],
  session: [{ session: [] }],
  console: [],
  none: [],
};

/**
 * Errors a route answers because of what it declares: 400 for a bad parameter or body, 401 (and
 * 503: the lookup reads the bucket) for a credential, 403 and 404 for an update token that is not
 * this update's (checked before the handler), 413 and 415 for a body too large or in an unknown
 * encoding (docs/protocol.md#body-limits).
 */
export function impliedErrors(route: Route): number[] {
  const out = new Set<number>(route.errors ?? []);
  const hasParams = route.path.includes('/:');
  if (hasParams || route.query || route.request || route.body !== 'none') out.add(400);
  if (route.auth !== 'none' && route.auth !== 'console') [401, 503].forEach((s) => out.add(s));
  // A console call that changes something without X-Fulmar-Console (docs/console.md#csrf).
  if ((route.auth === 'session' || route.auth === 'console') && route.method !== 'get' && route.method !== 'head') out.add(403);
  if (route.auth === 'update-token') [403, 404].forEach((s) => out.add(s));
  if (route.body !== 'none') [413, 415].forEach((s) => out.add(s));
  return [...out].sort((a, b) => a - b);
}

/** `getStacksExportByVersion`: the method, the literal segments, and a trailing parameter. */
export function operationId(route: Route): string {
  const segments = route.path.replace(/^\/api\//, '/').split('/').filter(Boolean);
  const words = segments.filter((s) => !s.startsWith(':')).flatMap((s) => s.split(/[^A-Za-z0-9]+/));
  const last = segments[segments.length - 1];
  if (last?.startsWith(':')) words.push('by', last.slice(1));
  return route.method + words.map((w) => (w[0]?.toUpperCase() ?? '') + w.slice(1)).join('');
}

/** `/api/stacks/:org/…` → `/api/stacks/{org}/…`. */
const templated = (path: string) => path.replace(/:(\w+)/g, '{$1}');

export function openApiDocument(routes: readonly Route[]): Json {
  const named = namedSchemas();
  const used = new Map<z.ZodType, string>();
  const registry = z.registry<{ id: string }>();
  const ref = (schema: z.ZodType): Json => {
    const name = named.get(schema);
    if (!name) return jsonSchema(schema);
    if (!used.has(schema)) {
      used.set(schema, name);
      registry.add(schema, { id: name });
    }
    return { $ref: `#/components/schemas/${name}` };
  };
  const errors = new Set<number>();
  const usedParams = new Set<string>();
  const paths: Record<string, Json> = {};
  const ids = new Set<string>();

  for (const route of routes) {
    // The answers about Pulumi Cloud features Fulmar does not provide are not operations of its
    // API (docs/protocol.md#not-provided).
    if (route.method === 'all') continue;
    const id = operationId(route);
    if (ids.has(id)) throw new Error(`two routes would be operation ${id}`);
    ids.add(id);
    const head = route.method === 'head';
    const operation: Json = { operationId: id, summary: route.summary, security: SECURITY[route.auth] };
    const parameters = [...pathParameters(route.path, usedParams), ...queryParameters(route.query)];
    if (parameters.length > 0) operation.parameters = parameters;
    if (route.request) {
      operation.requestBody = {
        // A body the schema accepts as absent (null, or nothing at all) may be left out.
        required: !route.request.safeParse(undefined).success,
        content: { 'application/json': { schema: ref(route.request) } },
      };
    }
    const answers: Record<string, Json> = {};
    for (const [status, reply] of Object.entries(route.responses)) {
      answers[status] = response(Number(status), head ? null : (reply as Reply), ref);
    }
    for (const status of impliedErrors(route)) {
      errors.add(status);
      // A HEAD answer has no body to describe.
      answers[status] = head ? { description: STATUS_CODES[status] } : { $ref: `#/components/responses/Error${status}` };
    }
    operation.responses = answers;
    (paths[templated(route.path)] ??= {})[route.method] = operation;
  }

  const statuses = [...errors].sort((a, b) => a - b);
  for (const status of statuses) registry.add(errorSchema(status), { id: `Error${status}` });
  const converted = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  const schemas = Object.fromEntries(
    Object.entries(converted.schemas)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, schema]) => [name, withoutIds(schema as Json)]),
  );

  return {
    openapi: '3.1.0',
    info: {
      title: 'Fulmar',
      version: PROTOCOL_VERSION,
      summary: 'The Pulumi Cloud HTTP API as Fulmar serves it to the pulumi CLI',
      description:
        `The calls the pulumi CLI (${PROTOCOL_VERSION}) makes to its httpstate backend, and Fulmar's own token and member ` +
        'administration, generated from the route table (src/http/routes/). docs/protocol.md explains each call. ' +
        'Every error body is `{code, message}`. In the per-update paths, `update` may be any of `preview`, `refresh`, ' +
        '`destroy`, `import` and `resource-import`, each listed on its own.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    paths,
    components: {
      securitySchemes: {
        token: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'An API token: `Authorization: token <token>` (docs/protocol.md#authentication).',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'fulmar_session',
          description:
            'The console session (docs/console.md#sessions); also accepted in place of an API token. Requests other than GET and HEAD must add `X-Fulmar-Console: 1`.',
        },
        'update-token': {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'The token `POST S/update/{updateId}` answered: `Authorization: update-token <token>`.',
        },
      },
      parameters: Object.fromEntries([...usedParams].sort().map((name) => [name, pathParameter(name)])),
      responses: Object.fromEntries(
        statuses.map((status) => [
          `Error${status}`,
          { description: STATUS_CODES[status], content: { 'application/json': { schema: { $ref: `#/components/schemas/Error${status}` } } } },
        ]),
      ),
      schemas,
    },
  };
}

function response(status: number, reply: Reply, ref: (schema: z.ZodType) => Json): Json {
  const description = STATUS_CODES[status] ?? String(status);
  if (reply === null) return { description };
  if ('contentType' in reply) return { description, content: { [reply.contentType]: { schema: ref(reply.schema) } } };
  return { description, content: { 'application/json': { schema: ref(reply) } } };
}

/** References to components/parameters, one per `:name` of the path. */
function pathParameters(path: string, used: Set<string>): Json[] {
  return [...path.matchAll(/:(\w+)/g)].map(([, name]) => {
    if (!pathParams[name as string]) throw new Error(`path parameter :${name} of ${path} has no schema in src/wire/params.ts`);
    used.add(name as string);
    return { $ref: `#/components/parameters/${name}` };
  });
}

function pathParameter(name: string): Json {
  const { description, ...schema } = jsonSchema(pathParams[name] as z.ZodType);
  return { name, in: 'path', required: true, description, schema };
}

/** A query schema is an object; each of its properties is one query parameter. */
function queryParameters(query: z.ZodType | undefined): Json[] {
  if (!query) return [];
  const schema = jsonSchema(query) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
}

function jsonSchema(schema: z.ZodType): Json {
  return withoutIds(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json);
}

/** Inside an OpenAPI document a schema takes its dialect and base from the document. */
function withoutIds(schema: Json): Json {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}
