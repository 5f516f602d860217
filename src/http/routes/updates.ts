/**
 * The update lifecycle (docs/protocol.md#update-lifecycle). After creation every per-update call
 * uses the literal segment `update` whatever the kind (client.go: getUpdatePath); the other kind
 * names are accepted there too, as the service's own router does (api_endpoints.go). The calls made
 * while an update runs carry the update token (client.go: updateAccessToken), the others an API
 * token.
 */
import type { Request } from 'express';
import type { Services } from '../services.js';
import { defineRoute, type Route } from '../route.js';
import { parseJsonBody, rawBody, sentGzip } from '../parse.js';
import {
  completeRequest,
  deltaCheckpointRequest,
  eventsBatchRequest,
  eventsQuery,
  historyQuery,
  renewLeaseRequest,
  startUpdateRequest,
  untypedDeployment,
  updateProgramRequest,
  verbatimCheckpointRequest,
} from '../../wire/requests.js';
import { journalEntriesRequest } from '../../wire/journal-entry.js';
import {
  createUpdateResponse,
  emptyResponse,
  eventsResponse,
  historyResponse,
  latestUpdateResponse,
  renewLeaseResponse,
  startUpdateResponse,
  updateStatusResponse,
} from '../../wire/responses.js';
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
    routes.push(defineRoute({
      method: 'post',
      path: S(`/${kind}`),
      auth: 'api-token',
      body: 'small',
      summary: `Create ${kind === 'update' ? 'an update' : `a ${kind}`} (nothing is locked yet)`,
      request: updateProgramRequest,
      responses: { 200: createUpdateResponse },
      errors: [403, 404],
      handler: async (req, res, { principal }, input) => {
        const p = input.body();
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
    }));
  }

  routes.push(
    defineRoute({
      method: 'get',
      path: S('/updates'),
      auth: 'api-token',
      body: 'none',
      summary: 'History: one entry per committed version, newest first',
      query: historyQuery,
      responses: { 200: historyResponse },
      errors: [404],
      handler: async (req, res, { principal }, input) => {
        const { pageSize, page } = input.query();
        res.json({ updates: await s.history.history(principal, stackRefOf(req), pageSize ?? 100, page ?? 1) });
      },
    }),
    {
      method: 'get',
      path: S('/updates/latest'),
      auth: 'api-token',
      body: 'none',
      summary: 'The history entry of the latest version (404 before the first)',
      responses: { 200: latestUpdateResponse },
      errors: [404],
      handler: async (req, res, { principal }) => {
        res.json(await s.history.latest(principal, stackRefOf(req)));
      },
    },
  );

  for (const kind of PATH_KINDS) {
    const U = (suffix = '') => S(`/${kind}/:updateId${suffix}`);
    // Every kind reaches the same handlers; the API document lists each, and says which are aliases.
    const as = kind === 'update' ? '' : ` (the same call under \`${kind}\`)`;
    routes.push(
      defineRoute({
        method: 'post',
        path: U(),
        auth: 'api-token',
        body: 'small',
        summary: `Start the update: take the lease, get the update token${as}`,
        request: startUpdateRequest,
        responses: { 200: startUpdateResponse },
        errors: [403, 404, 409],
        handler: async (req, res, { principal }, input) => {
          // Start tags replace the stack's tags, so they pass the same checks as PATCH …/tags.
          const { tags, journalVersion } = input.body();
          res.json(
            await s.updates.start(principal, stackRefOf(req), updateIdOf(req), tags ?? undefined, {
              journalVersion: journalVersion ?? 0,
              cliVersion: cliVersionOf(req.headers['user-agent']),
            }),
          );
        },
      }),
      {
        method: 'get',
        path: U(),
        auth: 'api-token',
        body: 'none',
        summary: `The update's status${as}`,
        responses: { 200: updateStatusResponse },
        errors: [404],
        handler: async (req, res, { principal }) => {
          res.json(await s.updates.status(principal, stackRefOf(req), updateIdOf(req)));
        },
      },
      defineRoute({
        method: 'patch',
        path: U('/checkpoint'),
        auth: 'update-token',
        body: 'large',
        summary: `Save a full checkpoint${as}`,
        request: untypedDeployment,
        responses: { 200: emptyResponse },
        errors: [409],
        handler: async (req, res, { updateToken }, input) => {
          const raw = rawBody(req);
          const parsed = input.body('checkpoint');
          // Stored as an UntypedDeployment built around the deployment's own bytes (no re-encoding).
          const deployment = rawTopLevelValue(raw, 'deployment');
          if (!deployment) throw badRequest('checkpoint has no deployment');
          const head = JSON.stringify({ version: parsed.version, ...(parsed.features?.length ? { features: parsed.features } : {}) });
          const text = Buffer.concat([Buffer.from(`${head.slice(0, -1)},"deployment":`), deployment, Buffer.from('}')]);
          checkDeployment(text, 'checkpoint');
          await s.checkpoints.saveFullCheckpoint(stackRefOf(req), updateIdOf(req), updateToken, text);
          res.json({});
        },
      }),
      {
        method: 'patch',
        path: U('/journalentries'),
        auth: 'update-token',
        body: 'large',
        // Stored as the CLI's own gzip bytes (src/services/journal-batch-codec.ts).
        keepsSentGzip: true,
        summary: `Save a batch of journal entries${as}`,
        // Parsed entry by entry by the journal writer, with this schema's entry schema.
        request: journalEntriesRequest,
        responses: { 200: emptyResponse },
        errors: [409],
        handler: async (req, res, { updateToken }) => {
          await s.journal.saveBatch(stackRefOf(req), updateIdOf(req), updateToken, { raw: rawBody(req), gzip: sentGzip(req) }, parseJsonBody(req));
          res.json({});
        },
      },
      {
        method: 'patch',
        path: U('/checkpointverbatim'),
        auth: 'update-token',
        body: 'large',
        summary: `Save the whole state as the CLI serialized it${as}`,
        request: verbatimCheckpointRequest,
        responses: { 200: emptyResponse },
        errors: [409],
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
      defineRoute({
        method: 'patch',
        path: U('/checkpointdelta'),
        auth: 'update-token',
        body: 'large',
        summary: `Save the state as byte edits of the previous one${as}`,
        request: deltaCheckpointRequest,
        responses: { 200: emptyResponse },
        errors: [409],
        handler: async (req, res, { updateToken }, input) => {
          const d = input.body();
          await s.checkpoints.saveDeltaCheckpoint(stackRefOf(req), updateIdOf(req), updateToken, d.sequenceNumber, d.checkpointHash, d.deploymentDelta);
          res.json({});
        },
      }),
      defineRoute({
        method: 'post',
        path: U('/events/batch'),
        auth: 'update-token',
        body: 'large',
        summary: `Record a batch of engine events${as}`,
        request: eventsBatchRequest,
        responses: { 200: emptyResponse },
        errors: [409],
        handler: async (req, res, { updateToken }, input) => {
          const { events } = input.body();
          await s.events.recordEvents(stackRefOf(req), updateIdOf(req), updateToken, events);
          res.json({});
        },
      }),
      defineRoute({
        method: 'get',
        path: U('/events'),
        auth: 'api-token',
        body: 'none',
        summary: `The update's engine events, in sequence order, a page at a time${as}`,
        query: eventsQuery,
        responses: { 200: eventsResponse },
        errors: [404],
        handler: async (req, res, { principal }, input) => {
          const { continuationToken } = input.query();
          res.json(await s.events.listEvents(principal, stackRefOf(req), updateIdOf(req), continuationToken));
        },
      }),
      {
        method: 'post',
        path: U('/renew_lease'),
        auth: 'update-token',
        body: 'small',
        summary: `Renew the update's lease; the same token comes back${as}`,
        // The CLI sends {token, duration}; the token that counts is the header's.
        request: renewLeaseRequest,
        responses: { 200: renewLeaseResponse },
        handler: async (req, res, { updateToken }) => {
          res.json(await s.updates.renewLease(stackRefOf(req), updateIdOf(req), updateToken));
        },
      },
      defineRoute({
        method: 'post',
        path: U('/complete'),
        auth: 'update-token',
        body: 'small',
        summary: `Finish the update: commit its newest state as a version${as}`,
        request: completeRequest,
        responses: { 200: emptyResponse },
        errors: [409],
        handler: async (req, res, { updateToken }, input) => {
          const { status } = input.body();
          await s.updates.complete(stackRefOf(req), updateIdOf(req), updateToken, status);
          res.json({});
        },
      }),
      {
        method: 'post',
        path: U('/cancel'),
        auth: 'api-token',
        body: 'small',
        summary: `Cancel the update: commit what it saved, as failed, and release the lease${as}`,
        responses: { 200: emptyResponse },
        errors: [403, 404, 409],
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
