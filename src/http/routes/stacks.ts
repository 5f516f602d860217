/** Stack CRUD, tags, rename/transfer and read-only views (protocol §2.2, seed 004). */
import { Router } from 'express';
import type { Services } from '../services.js';
import { principalOf } from '../middleware/authenticate.js';
import { body } from '../parse.js';
import { createStackRequest, renameRequest, tagsRequest, transferRequest } from '../../wire/requests.js';
import { validateOrgName, validateProjectName } from '../../domain/names.js';
import { stackView } from '../../services/stack-service.js';
import { notFound } from '../../domain/errors.js';
import { S, stackRefOf } from './stack-ref.js';

export function stackRoutes(s: Services): Router {
  const r = Router();

  // `pulumi new` asks whether a project exists (client.go: DoesProjectExist): 2xx or 404.
  r.head('/api/stacks/:org/:project', async (req, res) => {
    const org = validateOrgName(req.params.org as string);
    const exists = await s.stacks.projectExists(principalOf(res), org, validateProjectName(req.params.project as string));
    res.status(exists ? 200 : 404).end();
  });

  r.post('/api/stacks/:org/:project', async (req, res) => {
    const input = body(req, createStackRequest);
    const org = validateOrgName(req.params.org as string);
    await s.stacks.create(principalOf(res), org, req.params.project as string, input);
    // The CLI prints `messages` and builds the stack object itself (protocol §2.2.2).
    res.json({});
  });

  r.get(S(), async (req, res) => {
    res.json(stackView(await s.stacks.get(principalOf(res), stackRefOf(req))));
  });

  r.delete(S(), async (req, res) => {
    const force = req.query.force === 'true';
    await s.stacks.delete(principalOf(res), stackRefOf(req), force);
    res.status(204).end();
  });

  r.patch(S('/tags'), async (req, res) => {
    await s.stacks.setTags(principalOf(res), stackRefOf(req), body(req, tagsRequest));
    res.status(204).end();
  });

  r.post(S('/rename'), async (req, res) => {
    const { newName, newProject } = body(req, renameRequest);
    await s.mover.rename(principalOf(res), stackRefOf(req), newProject || undefined, newName || undefined);
    res.status(204).end();
  });

  r.post(S('/transfer'), async (req, res) => {
    const { toOrg } = body(req, transferRequest);
    await s.mover.transfer(principalOf(res), stackRefOf(req), toOrg);
    res.status(204).end();
  });

  r.get(S('/metadata'), async (req, res) => {
    res.json(await s.state.metadata(principalOf(res), stackRefOf(req)));
  });

  r.get(S('/downstreamreferences'), async (req, res) => {
    res.json(await s.state.downstreamReferences(principalOf(res), stackRefOf(req)));
  });

  r.get(S('/resources/count'), async (req, res) => {
    res.json(await s.state.resourceCount(principalOf(res), stackRefOf(req)));
  });

  r.get(S('/resources/:version'), async (req, res) => {
    const raw = req.params.version as string;
    const version = raw === 'latest' ? 'latest' : /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (Number.isNaN(version)) throw notFound(`version '${raw}' not found`);
    res.json(await s.state.resources(principalOf(res), stackRefOf(req), version));
  });

  return r;
}
