/**
 * Stack CRUD, tags, rename/transfer and read-only views (docs/protocol.md#stacks,
 * docs/protocol.md#stack-views).
 */
import type { Services } from '../services.js';
import type { Route } from '../route.js';
import { body, rawBody } from '../parse.js';
import { createStackRequest, renameRequest, tagsRequest, transferRequest } from '../../wire/requests.js';
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
      handler: async (req, res, { principal }) => {
        const org = validateOrgName(req.params.org as string);
        const exists = await s.stacks.projectExists(principal, org, validateProjectName(req.params.project as string));
        res.status(exists ? 200 : 404).end();
      },
    },
    {
      method: 'post',
      path: '/api/stacks/:org/:project',
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        // The initial state (client.go: CreateStack, sent for non-service secrets providers) is
        // checked on its bytes before anything parses it: depth and shape.
        const state = rawTopLevelValue(rawBody(req), 'state');
        if (state) checkDeployment(state, 'initial state');
        const input = body(req, createStackRequest);
        const org = validateOrgName(req.params.org as string);
        await s.stacks.create(principal, org, req.params.project as string, input);
        // The CLI prints `messages` and builds the stack object itself (client.go: CreateStack).
        res.json({});
      },
    },
    {
      method: 'get',
      path: S(),
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        res.json(await s.stacks.view(principal, stackRefOf(req)));
      },
    },
    {
      method: 'delete',
      path: S(),
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        await s.stacks.delete(principal, stackRefOf(req), req.query.force === 'true');
        res.status(204).end();
      },
    },
    {
      method: 'patch',
      path: S('/tags'),
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        await s.stacks.setTags(principal, stackRefOf(req), body(req, tagsRequest));
        res.status(204).end();
      },
    },
    {
      method: 'post',
      path: S('/rename'),
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        const { newName, newProject } = body(req, renameRequest);
        await s.mover.rename(principal, stackRefOf(req), newProject || undefined, newName || undefined);
        res.status(204).end();
      },
    },
    {
      method: 'post',
      path: S('/transfer'),
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        const { toOrg } = body(req, transferRequest);
        await s.mover.transfer(principal, stackRefOf(req), toOrg);
        res.status(204).end();
      },
    },
    {
      method: 'get',
      path: S('/metadata'),
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        res.json(await s.state.metadata(principal, stackRefOf(req)));
      },
    },
    {
      method: 'get',
      path: S('/downstreamreferences'),
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        res.json(await s.state.downstreamReferences(principal, stackRefOf(req)));
      },
    },
    {
      method: 'get',
      path: S('/resources/count'),
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        res.json(await s.state.resourceCount(principal, stackRefOf(req)));
      },
    },
    {
      method: 'get',
      path: S('/resources/:version'),
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        const raw = req.params.version as string;
        const version = raw === 'latest' ? 'latest' : /^\d+$/.test(raw) ? Number(raw) : NaN;
        if (Number.isNaN(version)) throw notFound(`version '${raw}' not found`);
        res.json(await s.state.resources(principal, stackRefOf(req), version));
      },
    },
  ];
}
