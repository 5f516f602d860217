/** Login, discovery and the caller's own tokens (protocol §2.1). */
import { Router } from 'express';
import type { Services } from '../services.js';
import { principalOf } from '../middleware/authenticate.js';
import { body, query } from '../parse.js';
import { createTokenRequest, listStacksQuery } from '../../wire/requests.js';
import { validateUserLogin } from '../../domain/names.js';

export function userRoutes(s: Services): Router {
  const r = Router();

  // client.go: serviceUser — `githubLogin` must be non-empty, and so must each org's.
  r.get('/api/user', (_req, res) => {
    const p = principalOf(res);
    res.json({
      id: p.login,
      githubLogin: p.login,
      name: p.name,
      email: '',
      avatarUrl: '',
      siteAdmin: p.siteAdmin,
      organizations: Object.keys(p.orgs)
        .sort()
        .map((org) => ({ githubLogin: org, name: org, avatarUrl: '', role: p.orgs[org] })),
      identities: [],
      ...(p.token && { tokenInfo: { name: p.token.description } }),
    });
  });

  // apitype/organizations.go has no JSON tags, so the keys are PascalCase.
  r.get('/api/user/organizations/default', (_req, res) => {
    res.json({ GitHubLogin: principalOf(res).login, Messages: [] });
  });

  r.get('/api/capabilities', (_req, res) => {
    res.json({ capabilities: s.capabilities });
  });

  r.get('/api/user/stacks', async (req, res) => {
    res.json(await s.stacks.list(principalOf(res), query(req, listStacksQuery)));
  });

  r.post('/api/user/tokens', async (req, res) => {
    const { description, expires } = body(req, createTokenRequest);
    res.json(await s.auth.createToken(principalOf(res), description, expires));
  });
  r.get('/api/user/tokens', async (_req, res) => {
    res.json({ tokens: await s.auth.listTokens(principalOf(res)) });
  });
  r.delete('/api/user/tokens/:id', async (req, res) => {
    await s.auth.deleteToken(principalOf(res), req.params.id as string);
    res.status(204).end();
  });
  r.post('/api/admin/users/:login/tokens', async (req, res) => {
    const { description } = body(req, createTokenRequest);
    res.json(await s.auth.adminCreateToken(principalOf(res), validateUserLogin(req.params.login as string), description));
  });
  return r;
}
