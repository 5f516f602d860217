/**
 * Orgs and their members (docs/design.md#roles, docs/design.md#organizations): site admins create
 * orgs; site admins and org admins manage members.
 */
import type { Request } from 'express';
import type { Services } from '../services.js';
import type { Route } from '../route.js';
import { body } from '../parse.js';
import { createOrgRequest, setMemberRequest } from '../../wire/requests.js';
import { validateUserLogin, validateOrgName } from '../../domain/names.js';

const org = (p: Request['params']) => validateOrgName(p.org);
const login = (p: Request['params']) => validateUserLogin(p.login);

export function orgRoutes(s: Services): Route[] {
  return [
    {
      method: 'post',
      path: '/api/orgs',
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        const { name } = body(req, createOrgRequest);
        res.status(201).json(await s.orgs.create(principal, name));
      },
    },
    {
      method: 'get',
      path: '/api/orgs/:org/members',
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        res.json({ members: await s.auth.listMembers(principal, org(req.params)) });
      },
    },
    {
      method: 'put',
      path: '/api/orgs/:org/members/:login',
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        const { role } = body(req, setMemberRequest);
        res.json(await s.auth.setMember(principal, org(req.params), login(req.params), role));
      },
    },
    {
      method: 'get',
      path: '/api/orgs/:org/members/:login',
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        res.json(await s.auth.getMember(principal, org(req.params), login(req.params)));
      },
    },
    {
      method: 'delete',
      path: '/api/orgs/:org/members/:login',
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        await s.auth.removeMember(principal, org(req.params), login(req.params));
        res.status(204).end();
      },
    },
  ];
}
