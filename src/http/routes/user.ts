/**
 * Login, discovery and the caller's own tokens (docs/protocol.md#login-and-discovery,
 * docs/protocol.md#tokens-and-org-members).
 */
import type { Services } from '../services.js';
import type { Route } from '../route.js';
import { body, query } from '../parse.js';
import { createTokenRequest, listStacksQuery } from '../../wire/requests.js';
import { validateUserLogin } from '../../domain/names.js';

export function userRoutes(s: Services): Route[] {
  return [
    {
      // client.go: serviceUser — `githubLogin` must be non-empty, and so must each org's.
      method: 'get',
      path: '/api/user',
      auth: 'api-token',
      body: 'none',
      handler: async (_req, res, { principal: p }) => {
        // Every org the caller belongs to, personal org first: `whoami -v` prints them, and the
        // `org` commands check membership against them (pkg/cmd/pulumi/org/org_search.go).
        const orgs = await s.orgs.membershipsOf(p);
        res.json({
          id: p.login,
          githubLogin: p.login,
          name: p.name,
          email: '',
          avatarUrl: '',
          siteAdmin: p.siteAdmin,
          organizations: orgs.map((o) => ({ githubLogin: o.name, name: o.name, avatarUrl: '', role: o.role })),
          identities: [],
          ...(p.token && { tokenInfo: { name: p.token.description } }),
        });
      },
    },
    {
      // apitype/organizations.go has no JSON tags, so the keys are PascalCase.
      method: 'get',
      path: '/api/user/organizations/default',
      auth: 'api-token',
      body: 'none',
      handler: (_req, res, { principal }) => {
        res.json({ GitHubLogin: principal.login, Messages: [] });
      },
    },
    {
      method: 'get',
      path: '/api/capabilities',
      auth: 'api-token',
      body: 'none',
      handler: (_req, res) => {
        res.json({ capabilities: s.capabilities });
      },
    },
    {
      method: 'get',
      path: '/api/user/stacks',
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        res.json(await s.stacks.list(principal, query(req, listStacksQuery)));
      },
    },
    {
      method: 'post',
      path: '/api/user/tokens',
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        const { description, expires } = body(req, createTokenRequest);
        res.json(await s.auth.createToken(principal, description, expires));
      },
    },
    {
      method: 'get',
      path: '/api/user/tokens',
      auth: 'api-token',
      body: 'none',
      handler: async (_req, res, { principal }) => {
        res.json({ tokens: await s.auth.listTokens(principal) });
      },
    },
    {
      method: 'delete',
      path: '/api/user/tokens/:id',
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        await s.auth.deleteToken(principal, req.params.id as string);
        res.status(204).end();
      },
    },
    {
      method: 'post',
      path: '/api/admin/users/:login/tokens',
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        const { description } = body(req, createTokenRequest);
        res.json(await s.auth.adminCreateToken(principal, validateUserLogin(req.params.login as string), description));
      },
    },
  ];
}
