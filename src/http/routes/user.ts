/**
 * Login, discovery and the caller's own tokens (docs/protocol.md#login-and-discovery,
 * docs/protocol.md#tokens-and-org-members).
 */
import type { Services } from '../services.js';
import { defineRoute, type Route } from '../route.js';
import { createTokenRequest, listStacksQuery } from '../../wire/requests.js';
import {
  capabilitiesResponse,
  createTokenResponse,
  defaultOrgResponse,
  listStacksResponse,
  listTokensResponse,
  userResponse,
} from '../../wire/responses.js';
import { validateUserLogin } from '../../domain/names.js';

export function userRoutes(s: Services): Route[] {
  return [
    {
      // client.go: serviceUser — `githubLogin` must be non-empty, and so must each org's.
      method: 'get',
      path: '/api/user',
      auth: 'api-token',
      body: 'none',
      summary: 'Who the token belongs to, and every org they belong to (what `pulumi login` and `whoami -v` ask)',
      responses: { 200: userResponse },
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
      summary: "The caller's default organization: their personal one",
      responses: { 200: defaultOrgResponse },
      handler: (_req, res, { principal }) => {
        res.json({ GitHubLogin: principal.login, Messages: [] });
      },
    },
    {
      method: 'get',
      path: '/api/capabilities',
      auth: 'api-token',
      body: 'none',
      summary: 'What the CLI may use: delta checkpoints, batch encryption, deployment schema 4',
      responses: { 200: capabilitiesResponse },
      handler: (_req, res) => {
        res.json({ capabilities: s.capabilities });
      },
    },
    defineRoute({
      method: 'get',
      path: '/api/user/stacks',
      auth: 'api-token',
      body: 'none',
      summary: 'The stacks the caller can see, filtered, one page at a time',
      query: listStacksQuery,
      responses: { 200: listStacksResponse },
      handler: async (_req, res, { principal }, input) => {
        res.json(await s.stacks.list(principal, input.query()));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/user/tokens',
      auth: 'api-token',
      body: 'small',
      summary: 'Mint an API token for the caller (its value is shown only here)',
      request: createTokenRequest,
      responses: { 200: createTokenResponse },
      handler: async (_req, res, { principal }, input) => {
        const { description, expires } = input.body();
        res.json(await s.auth.createToken(principal, description, expires));
      },
    }),
    {
      method: 'get',
      path: '/api/user/tokens',
      auth: 'api-token',
      body: 'none',
      summary: "The caller's tokens, without their values",
      responses: { 200: listTokensResponse },
      handler: async (_req, res, { principal }) => {
        res.json({ tokens: await s.auth.listTokens(principal) });
      },
    },
    {
      method: 'delete',
      path: '/api/user/tokens/:id',
      auth: 'api-token',
      body: 'none',
      summary: "Revoke one of the caller's tokens",
      responses: { 204: null },
      errors: [404],
      handler: async (req, res, { principal }) => {
        await s.auth.deleteToken(principal, req.params.id as string);
        res.status(204).end();
      },
    },
    defineRoute({
      method: 'post',
      path: '/api/admin/users/:login/tokens',
      auth: 'api-token',
      body: 'small',
      summary: 'Site admins: create a user if needed and mint a token for them',
      request: createTokenRequest,
      responses: { 200: createTokenResponse },
      errors: [403, 409],
      handler: async (req, res, { principal }, input) => {
        const { description } = input.body();
        res.json(await s.auth.adminCreateToken(principal, validateUserLogin(req.params.login as string), description));
      },
    }),
  ];
}
