/**
 * The update lifecycle (protocol §2.4–2.5). After creation every per-update call uses the
 * literal segment `update` whatever the kind (client.go: getUpdatePath); the other kind names
 * are accepted there too, as the service's own router does (api_endpoints.go).
 */
import { Router, type Request } from 'express';
import type { Services } from '../services.js';
import { principalOf, updateTokenOf } from '../middleware/authenticate.js';
import { body, parseJsonBody, parseWith, query, rawBody } from '../parse.js';
import {
  completeRequest,
  deltaCheckpointRequest,
  eventsBatchRequest,
  historyQuery,
  startUpdateRequest,
  untypedDeployment,
  updateProgramRequest,
} from '../../wire/requests.js';
import { badRequest } from '../../domain/errors.js';
import { rawTopLevelValue } from '../../domain/raw-json.js';
import { S, stackRefOf } from './stack-ref.js';

const CREATE_KINDS = ['update', 'preview', 'refresh', 'destroy'] as const;
const PATH_KINDS = ['update', 'preview', 'refresh', 'destroy', 'import', 'resource-import'];

const updateIdOf = (req: Request) => req.params.updateId as string;

export function updateRoutes(s: Services): Router {
  const r = Router();

  for (const kind of CREATE_KINDS) {
    r.post(S(`/${kind}`), async (req, res) => {
      const p = body(req, updateProgramRequest);
      res.json(
        await s.updates.create(principalOf(res), stackRefOf(req), kind, {
          name: p.name,
          runtime: p.runtime,
          main: p.main,
          description: p.description,
          dryRun: p.options.dryRun,
          config: p.config,
          message: p.metadata.message,
          environment: p.metadata.environment,
        }),
      );
    });
  }

  r.get(S('/updates'), async (req, res) => {
    const { pageSize, page } = query(req, historyQuery);
    res.json({ updates: await s.history.history(principalOf(res), stackRefOf(req), pageSize ?? 100, page ?? 1) });
  });

  r.get(S('/updates/latest'), async (req, res) => {
    res.json(await s.history.latest(principalOf(res), stackRefOf(req)));
  });

  for (const kind of PATH_KINDS) {
    const U = (suffix = '') => S(`/${kind}/:updateId${suffix}`);

    r.post(U(), async (req, res) => {
      const { tags } = parseWith(startUpdateRequest, parseJsonBody(req));
      res.json(await s.updates.start(principalOf(res), stackRefOf(req), updateIdOf(req), tags ?? undefined));
    });

    r.get(U(), async (req, res) => {
      res.json(await s.updates.status(principalOf(res), stackRefOf(req), updateIdOf(req)));
    });

    r.patch(U('/checkpoint'), async (req, res) => {
      const token = updateTokenOf(req);
      const raw = rawBody(req);
      const parsed = parseWith(untypedDeployment, parseJsonBody(req), 'checkpoint');
      // Stored as an UntypedDeployment built around the deployment's own bytes (no re-encoding).
      const deployment = rawTopLevelValue(raw, 'deployment');
      if (!deployment) throw badRequest('checkpoint has no deployment');
      const head = JSON.stringify({ version: parsed.version, ...(parsed.features?.length ? { features: parsed.features } : {}) });
      const text = Buffer.concat([Buffer.from(`${head.slice(0, -1)},"deployment":`), deployment, Buffer.from('}')]);
      await s.checkpoints.saveFullCheckpoint(stackRefOf(req), updateIdOf(req), token, text);
      res.json({});
    });

    r.patch(U('/checkpointverbatim'), async (req, res) => {
      const token = updateTokenOf(req);
      const raw = rawBody(req);
      // The text must be kept byte for byte: later deltas edit it by byte offset (protocol §5.3).
      const text = rawTopLevelValue(raw, 'untypedDeployment');
      const seqBytes = rawTopLevelValue(raw, 'sequenceNumber');
      const sequence = seqBytes ? Number(seqBytes.toString('utf8')) : NaN;
      if (!text) throw badRequest('checkpointverbatim needs untypedDeployment');
      if (!Number.isSafeInteger(sequence) || sequence < 1) throw badRequest('sequenceNumber must be a positive integer');
      await s.checkpoints.saveVerbatimCheckpoint(stackRefOf(req), updateIdOf(req), token, sequence, text);
      res.json({});
    });

    r.patch(U('/checkpointdelta'), async (req, res) => {
      const token = updateTokenOf(req);
      const d = body(req, deltaCheckpointRequest);
      await s.checkpoints.saveDeltaCheckpoint(stackRefOf(req), updateIdOf(req), token, d.sequenceNumber, d.checkpointHash, d.deploymentDelta);
      res.json({});
    });

    r.post(U('/events/batch'), async (req, res) => {
      const token = updateTokenOf(req);
      const { events } = body(req, eventsBatchRequest);
      await s.events.recordEvents(stackRefOf(req), updateIdOf(req), token, events);
      res.json({});
    });

    r.get(U('/events'), async (req, res) => {
      const token = typeof req.query.continuationToken === 'string' ? req.query.continuationToken : undefined;
      res.json(await s.events.listEvents(principalOf(res), stackRefOf(req), updateIdOf(req), token));
    });

    r.post(U('/renew_lease'), async (req, res) => {
      const token = updateTokenOf(req);
      res.json(await s.updates.renewLease(stackRefOf(req), updateIdOf(req), token));
    });

    r.post(U('/complete'), async (req, res) => {
      const token = updateTokenOf(req);
      const { status } = body(req, completeRequest);
      await s.updates.complete(stackRefOf(req), updateIdOf(req), token, status);
      res.json({});
    });

    r.post(U('/cancel'), async (req, res) => {
      await s.updates.cancel(principalOf(res), stackRefOf(req), updateIdOf(req));
      res.json({});
    });
  }
  return r;
}
