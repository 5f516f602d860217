/**
 * Stack CRUD, tags, rename/transfer and read-only views (docs/protocol.md#stacks,
 * docs/protocol.md#stack-views).
 */
import type { Services } from '../services.js';
import { defineRoute, type Route } from '../route.js';
import { rawBody } from '../parse.js';
import { createStackRequest, deleteStackQuery, renameRequest, resourcesQuery, tagsRequest, transferRequest } from '../../wire/requests.js';
import {
  downstreamReferencesResponse,
  emptyResponse,
  resourceCountResponse,
  resourcesResponse,
  stackMetadataResponse,
  stackResponse,
} from '../../wire/responses.js';
import { validateOrgName, validateProjectName } from '../../domain/names.js';
import { checkDeployment } from '../../domain/deployment-check.js';
import { rawTopLevelValue } from '../../domain/raw-json.js';
import { notFound } from '../../domain/errors.js';
import { S, stackRefOf } from './stack-ref.js';

export function stackRoutes(s: Services): Route[] {
  return [
    {
      // `pulumi new` asks whether a project exists (client.go: DoesProjectExist): 2xx or 404.
      method: 'head',
      path: '/api/stacks/:org/:project',
      auth: 'api-token',
      body: 'none',
      summary: 'Does the project have a stack? 200 or 404',
      responses: { 200: null },
      errors: [404],
      handler: async (req, res, { principal }) => {
        const org = validateOrgName(req.params.org as string);
        const exists = await s.stacks.projectExists(principal, org, validateProjectName(req.params.project as string));
        res.status(exists ? 200 : 404).end();
      },
    },
    defineRoute({
      method: 'post',
      path: '/api/stacks/:org/:project',
      auth: 'api-token',
      body: 'small',
      summary: 'Create a stack',
      request: createStackRequest,
      responses: { 200: emptyResponse },
      errors: [403, 404, 409],
      handler: async (req, res, { principal }, input) => {
        // The initial state (client.go: CreateStack, sent for non-service secrets providers) is
        // checked on its bytes before anything parses it: depth and shape.
        const state = rawTopLevelValue(rawBody(req), 'state');
        if (state) checkDeployment(state, 'initial state');
        const request = input.body();
        const org = validateOrgName(req.params.org as string);
        await s.stacks.create(principal, org, req.params.project as string, request);
        // The CLI prints `messages` and builds the stack object itself (client.go: CreateStack).
        res.json({});
      },
    }),
    {
      method: 'get',
      path: S(),
      auth: 'api-token',
      body: 'none',
      summary: 'A stack: name, tags, version and the update holding its lease',
      responses: { 200: stackResponse },
      errors: [404],
      handler: async (req, res, { principal }) => {
        res.json(await s.stacks.view(principal, stackRefOf(req)));
      },
    },
    defineRoute({
      method: 'delete',
      path: S(),
      auth: 'api-token',
      body: 'none',
      summary: 'Delete a stack (one with resources only with force=true)',
      query: deleteStackQuery,
      responses: { 204: null },
      errors: [403, 404, 409],
      handler: async (req, res, { principal }, input) => {
        await s.stacks.delete(principal, stackRefOf(req), input.query().force === 'true');
        res.status(204).end();
      },
    }),
    defineRoute({
      method: 'patch',
      path: S('/tags'),
      auth: 'api-token',
      body: 'small',
      summary: "Replace the stack's tags",
      request: tagsRequest,
      responses: { 204: null },
      errors: [403, 404],
      handler: async (req, res, { principal }, input) => {
        await s.stacks.setTags(principal, stackRefOf(req), input.body());
        res.status(204).end();
      },
    }),
    defineRoute({
      method: 'post',
      path: S('/rename'),
      auth: 'api-token',
      body: 'small',
      summary: 'Rename a stack, or move it to another project',
      request: renameRequest,
      responses: { 204: null },
      errors: [403, 404, 409],
      handler: async (req, res, { principal }, input) => {
        const { newName, newProject } = input.body();
        await s.mover.rename(principal, stackRefOf(req), newProject || undefined, newName || undefined);
        res.status(204).end();
      },
    }),
    defineRoute({
      method: 'post',
      path: S('/transfer'),
      auth: 'api-token',
      body: 'small',
      summary: 'Move a stack to another organization',
      request: transferRequest,
      responses: { 204: null },
      errors: [403, 404, 409],
      handler: async (req, res, { principal }, input) => {
        const { toOrg } = input.body();
        await s.mover.transfer(principal, stackRefOf(req), toOrg);
        res.status(204).end();
      },
    }),
    {
      method: 'get',
      path: S('/metadata'),
      auth: 'api-token',
      body: 'none',
      summary: "The stack's names and the caller's permission on it",
      responses: { 200: stackMetadataResponse },
      errors: [404],
      handler: async (req, res, { principal }) => {
        res.json(await s.state.metadata(principal, stackRefOf(req)));
      },
    },
    {
      method: 'get',
      path: S('/downstreamreferences'),
      auth: 'api-token',
      body: 'none',
      summary: 'The stacks whose latest version reads this one',
      responses: { 200: downstreamReferencesResponse },
      errors: [404],
      handler: async (req, res, { principal }) => {
        res.json(await s.state.downstreamReferences(principal, stackRefOf(req)));
      },
    },
    {
      method: 'get',
      path: S('/resources/count'),
      auth: 'api-token',
      body: 'none',
      summary: 'How many resources the latest version has',
      responses: { 200: resourceCountResponse },
      errors: [404],
      handler: async (req, res, { principal }) => {
        res.json(await s.state.resourceCount(principal, stackRefOf(req)));
      },
    },
    defineRoute({
      method: 'get',
      path: S('/resources/:version'),
      auth: 'api-token',
      body: 'none',
      summary: 'The resources of a version (or `latest`), all at once or a page at a time (`pageSize`)',
      query: resourcesQuery,
      responses: { 200: resourcesResponse },
      // 410: removed by retention (docs/operating.md, "Retention (gc)").
      errors: [404, 410],
      handler: async (req, res, { principal }, input) => {
        const raw = req.params.version as string;
        const version = raw === 'latest' ? 'latest' : /^\d+$/.test(raw) ? Number(raw) : NaN;
        if (Number.isNaN(version)) throw notFound(`version '${raw}' not found`);
        const { pageSize, continuationToken } = input.query();
        const page = pageSize === undefined ? undefined : { size: pageSize, from: Number(continuationToken ?? 0) };
        res.json(await s.state.resources(principal, stackRefOf(req), version, page));
      },
    }),
  ];
}
