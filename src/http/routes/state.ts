/**
 * Exports and imports (docs/protocol.md#export-and-import). Exports are sent as stored: no
 * re-encoding.
 */
import type { Request, Response } from 'express';
import type { ExportBody } from '../../services/state-service.js';
import type { Services } from '../services.js';
import type { Route } from '../route.js';
import { rawBody } from '../parse.js';
import { untypedDeployment } from '../../wire/requests.js';
import { exportResponse, importResponse } from '../../wire/responses.js';
import { checkDeployment } from '../../domain/deployment-check.js';
import { badRequest } from '../../domain/errors.js';
import { S, stackRefOf } from './stack-ref.js';

const sendExport = (res: Response, body: ExportBody) => {
  // A pre-compressed body carries its encoding, so compression() leaves it alone.
  if (body.gzip) res.setHeader('Content-Encoding', 'gzip');
  res.vary('Accept-Encoding').type('application/json').send(body.bytes);
};

const acceptsGzip = (req: Request) => req.acceptsEncodings('gzip', 'identity') === 'gzip';

export function stateRoutes(s: Services): Route[] {
  return [
    {
      method: 'get',
      path: S('/export'),
      auth: 'api-token',
      body: 'none',
      summary: "The stack's newest state: a running update's, else the latest version's",
      responses: { 200: exportResponse },
      errors: [404],
      handler: async (req, res, { principal }) => {
        sendExport(res, await s.state.exportLatest(principal, stackRefOf(req), acceptsGzip(req)));
      },
    },
    {
      method: 'get',
      path: S('/export/:version'),
      auth: 'api-token',
      body: 'none',
      summary: 'A committed version, exactly as it was committed',
      responses: { 200: exportResponse },
      // 410: removed by retention (docs/operating.md, "Retention (gc)").
      errors: [404, 410],
      handler: async (req, res, { principal }) => {
        const raw = req.params.version as string;
        // Versions are positive integers (pkg/backend/httpstate/backend.go: ExportDeploymentForVersion).
        if (!/^[1-9]\d*$/.test(raw)) throw badRequest(`version '${raw}' is not a positive integer`);
        sendExport(res, await s.state.exportVersion(principal, stackRefOf(req), BigInt(raw), acceptsGzip(req)));
      },
    },
    {
      method: 'post',
      path: S('/import'),
      auth: 'api-token',
      body: 'large',
      summary: 'Commit a deployment as the next version',
      // Checked on its bytes, never parsed into objects (docs/protocol.md#what-every-stored-state-must-be).
      request: untypedDeployment,
      responses: { 200: importResponse },
      errors: [403, 404, 409],
      handler: async (req, res, { principal }) => {
        const raw = rawBody(req);
        checkDeployment(raw);
        const { updateId } = await s.updates.importDeployment(principal, stackRefOf(req), raw);
        // apitype.ImportStackResponse: `updateId` (any case decodes); `updateID` too for readers of the docs.
        res.json({ updateId, updateID: updateId });
      },
    },
  ];
}
