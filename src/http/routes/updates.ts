/**
 * The update lifecycle (docs/protocol.md#update-lifecycle). After creation every per-update call
 * uses the literal segment `update` whatever the kind (client.go: getUpdatePath); the other kind
 * names are accepted there too, as the service's own router does (api_endpoints.go). The calls made
 * while an update runs carry the update token (client.go: updateAccessToken), the others an API
 * token.
 */
import type { Request } from 'express';
import type { Services } from '../services.js';
import type { Route } from '../route.js';
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
import { checkDeployment } from '../../domain/deployment-check.js';
import { rawTopLevelValue } from '../../domain/raw-json.js';
import { S, stackRefOf } from './stack-ref.js';

const CREATE_KINDS = ['update', 'preview', 'refresh', 'destroy'] as const;
const PATH_KINDS = ['update', 'preview', 'refresh', 'destroy', 'import', 'resource-import'];

const updateIdOf = (req: Request) => req.params.updateId as string;

export function updateRoutes(s: Services): Route[] {
  const routes: Route[] = [];

  for (const kind of CREATE_KINDS) {
    routes.push({
      method: 'post',
      path: S(`/${kind}`),
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        const p = body(req, updateProgramRequest);
        res.json(
          await s.updates.create(principal, stackRefOf(req), kind, {
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
      },
    });
  }

  routes.push(
    {
      method: 'get',
      path: S('/updates'),
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        const { pageSize, page } = query(req, historyQuery);
        res.json({ updates: await s.history.history(principal, stackRefOf(req), pageSize ?? 100, page ?? 1) });
      },
    },
    {
      method: 'get',
      path: S('/updates/latest'),
      auth: 'api-token',
      body: 'none',
      handler: async (req, res, { principal }) => {
        res.json(await s.history.latest(principal, stackRefOf(req)));
      },
    },
  );

  for (const kind of PATH_KINDS) {
    const U = (suffix = '') => S(`/${kind}/:updateId${suffix}`);
    routes.push(
      {
        method: 'post',
        path: U(),
        auth: 'api-token',
        body: 'small',
        handler: async (req, res, { principal }) => {
          // Start tags replace the stack's tags, so they pass the same checks as PATCH …/tags.
          const { tags, journalVersion } = parseWith(startUpdateRequest, parseJsonBody(req));
          res.json(
            await s.updates.start(principal, stackRefOf(req), updateIdOf(req), tags ?? undefined, {
              journalVersion: journalVersion ?? 0,
              cliVersion: cliVersionOf(req.headers['user-agent']),
            }),
          );
        },
      },
      {
        method: 'get',
        path: U(),
        auth: 'api-token',
        body: 'none',
        handler: async (req, res, { principal }) => {
          res.json(await s.updates.status(principal, stackRefOf(req), updateIdOf(req)));
        },
      },
      {
        method: 'patch',
        path: U('/checkpoint'),
        auth: 'update-token',
        body: 'large',
        handler: async (req, res, { updateToken }) => {
          const raw = rawBody(req);
          const parsed = parseWith(untypedDeployment, parseJsonBody(req), 'checkpoint');
          // Stored as an UntypedDeployment built around the deployment's own bytes (no re-encoding).
          const deployment = rawTopLevelValue(raw, 'deployment');
          if (!deployment) throw badRequest('checkpoint has no deployment');
          const head = JSON.stringify({ version: parsed.version, ...(parsed.features?.length ? { features: parsed.features } : {}) });
          const text = Buffer.concat([Buffer.from(`${head.slice(0, -1)},"deployment":`), deployment, Buffer.from('}')]);
          checkDeployment(text, 'checkpoint');
          await s.checkpoints.saveFullCheckpoint(stackRefOf(req), updateIdOf(req), updateToken, text);
          res.json({});
        },
      },
      {
        method: 'patch',
        path: U('/journalentries'),
        auth: 'update-token',
        body: 'large',
        handler: async (req, res, { updateToken }) => {
          await s.journal.saveBatch(stackRefOf(req), updateIdOf(req), updateToken, rawBody(req), parseJsonBody(req));
          res.json({});
        },
      },
      {
        method: 'patch',
        path: U('/checkpointverbatim'),
        auth: 'update-token',
        body: 'large',
        handler: async (req, res, { updateToken }) => {
          const raw = rawBody(req);
          // The text must be kept byte for byte: later deltas edit it by byte offset
          // (docs/protocol.md#verbatim-checkpoints).
          const text = rawTopLevelValue(raw, 'untypedDeployment');
          const seqBytes = rawTopLevelValue(raw, 'sequenceNumber');
          const sequence = seqBytes ? Number(seqBytes.toString('utf8')) : NaN;
          if (!text) throw badRequest('checkpointverbatim needs untypedDeployment');
          if (!Number.isSafeInteger(sequence) || sequence < 1) throw badRequest('sequenceNumber must be a positive integer');
          checkDeployment(text, 'untypedDeployment');
          await s.checkpoints.saveVerbatimCheckpoint(stackRefOf(req), updateIdOf(req), updateToken, sequence, text);
          res.json({});
        },
      },
      {
        method: 'patch',
        path: U('/checkpointdelta'),
        auth: 'update-token',
        body: 'large',
        handler: async (req, res, { updateToken }) => {
          const d = body(req, deltaCheckpointRequest);
          await s.checkpoints.saveDeltaCheckpoint(stackRefOf(req), updateIdOf(req), updateToken, d.sequenceNumber, d.checkpointHash, d.deploymentDelta);
          res.json({});
        },
      },
      {
        method: 'post',
        path: U('/events/batch'),
        auth: 'update-token',
        body: 'large',
        handler: async (req, res, { updateToken }) => {
          const { events } = body(req, eventsBatchRequest);
          await s.events.recordEvents(stackRefOf(req), updateIdOf(req), updateToken, events);
          res.json({});
        },
      },
      {
        method: 'get',
        path: U('/events'),
        auth: 'api-token',
        body: 'none',
        handler: async (req, res, { principal }) => {
          const token = typeof req.query.continuationToken === 'string' ? req.query.continuationToken : undefined;
          res.json(await s.events.listEvents(principal, stackRefOf(req), updateIdOf(req), token));
        },
      },
      {
        method: 'post',
        path: U('/renew_lease'),
        auth: 'update-token',
        body: 'small',
        handler: async (req, res, { updateToken }) => {
          res.json(await s.updates.renewLease(stackRefOf(req), updateIdOf(req), updateToken));
        },
      },
      {
        method: 'post',
        path: U('/complete'),
        auth: 'update-token',
        body: 'small',
        handler: async (req, res, { updateToken }) => {
          const { status } = body(req, completeRequest);
          await s.updates.complete(stackRefOf(req), updateIdOf(req), updateToken, status);
          res.json({});
        },
      },
      {
        method: 'post',
        path: U('/cancel'),
        auth: 'api-token',
        body: 'small',
        handler: async (req, res, { principal }) => {
          await s.updates.cancel(principal, stackRefOf(req), updateIdOf(req));
          res.json({});
        },
      },
    );
  }
  return routes;
}

/**
 * The CLI's version from its User-Agent, `pulumi-cli/1 (v3.259.0; linux)`
 * (pkg/backend/httpstate/client/api.go): a journaled state's manifest names it, as the CLI's own
 * checkpoints do.
 */
export function cliVersionOf(userAgent: string | undefined): string {
  const m = /^pulumi-cli\/\d+ \(([^;)\s]+)/.exec(userAgent ?? '');
  return m?.[1] ?? '';
}
