/** Org membership management (DESIGN §8): site admins and org admins. */
import { Router } from 'express';
import type { Services } from '../services.js';
import { principalOf } from '../middleware/authenticate.js';
import { body } from '../parse.js';
import { setMemberRequest } from '../../wire/requests.js';
import { validateUserLogin, validateOrgName } from '../../domain/names.js';

export function orgRoutes(s: Services): Router {
  const r = Router();
  const org = (p: Record<string, string>) => validateOrgName(p.org ?? '');
  const login = (p: Record<string, string>) => validateUserLogin(p.login ?? '');

  r.get('/api/orgs/:org/members', async (req, res) => {
    res.json({ members: await s.auth.listMembers(principalOf(res), org(req.params)) });
  });
  r.put('/api/orgs/:org/members/:login', async (req, res) => {
    const { role } = body(req, setMemberRequest);
    res.json(await s.auth.setMember(principalOf(res), org(req.params), login(req.params), role));
  });
  r.get('/api/orgs/:org/members/:login', async (req, res) => {
    res.json(await s.auth.getMember(principalOf(res), org(req.params), login(req.params)));
  });
  r.delete('/api/orgs/:org/members/:login', async (req, res) => {
    await s.auth.removeMember(principalOf(res), org(req.params), login(req.params));
    res.status(204).end();
  });
  return r;
}
