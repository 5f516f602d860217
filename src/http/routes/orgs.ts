/**
 * Orgs and their members (docs/design.md#roles, docs/design.md#organizations): site admins create
 * orgs; site admins and org admins manage members.
 */
import type { Request } from 'express';
import type { Services } from '../services.js';
import { defineRoute, type Route } from '../route.js';
import { createOrgRequest, setMemberRequest } from '../../wire/requests.js';
import { listMembersResponse, memberResponse, orgResponse } from '../../wire/responses.js';
import { validateUserLogin, validateOrgName } from '../../domain/names.js';

const org = (p: Request['params']) => validateOrgName(p.org);
const login = (p: Request['params']) => validateUserLogin(p.login);

export function orgRoutes(s: Services): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/orgs',
      auth: 'api-token',
      body: 'small',
      summary: 'Create an organization (site admins only)',
      request: createOrgRequest,
      responses: { 201: orgResponse },
      errors: [403, 409],
      handler: async (req, res, { principal }, input) => {
        const { name } = input.body();
        res.status(201).json(await s.orgs.create(principal, name));
      },
    }),
    {
      method: 'get',
      path: '/api/orgs/:org/members',
      auth: 'api-token',
      body: 'none',
      summary: "An organization's members and their roles",
      responses: { 200: listMembersResponse },
      errors: [403],
      handler: async (req, res, { principal }) => {
        res.json({ members: await s.auth.listMembers(principal, org(req.params)) });
      },
    },
    defineRoute({
      method: 'put',
      path: '/api/orgs/:org/members/:login',
      auth: 'api-token',
      body: 'small',
      summary: "Add a member or change a member's role",
      request: setMemberRequest,
      responses: { 200: memberResponse },
      errors: [403],
      handler: async (req, res, { principal }, input) => {
        const { role } = input.body();
        res.json(await s.auth.setMember(principal, org(req.params), login(req.params), role));
      },
    }),
    {
      method: 'get',
      path: '/api/orgs/:org/members/:login',
      auth: 'api-token',
      body: 'none',
      summary: "One member's role",
      responses: { 200: memberResponse },
      errors: [403, 404],
      handler: async (req, res, { principal }) => {
        res.json(await s.auth.getMember(principal, org(req.params), login(req.params)));
      },
    },
    {
      method: 'delete',
      path: '/api/orgs/:org/members/:login',
      auth: 'api-token',
      body: 'none',
      summary: 'Remove a member from the organization',
      responses: { 204: null },
      errors: [403, 404],
      handler: async (req, res, { principal }) => {
        await s.auth.removeMember(principal, org(req.params), login(req.params));
        res.status(204).end();
      },
    },
  ];
}
