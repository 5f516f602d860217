/** Exports and imports (protocol §2.3, seed 000). Exports are sent as stored: no re-encoding. */
import { Router, type Request, type Response } from 'express';
import type { ExportBody } from '../../services/state-service.js';
import type { Services } from '../services.js';
import { principalOf } from '../middleware/authenticate.js';
import { parseWith, parseJsonBody, rawBody } from '../parse.js';
import { untypedDeployment } from '../../wire/requests.js';
import { notFound } from '../../domain/errors.js';
import { S, stackRefOf } from './stack-ref.js';

const sendExport = (res: Response, body: ExportBody) => {
  // A pre-compressed body carries its encoding, so compression() leaves it alone.
  if (body.gzip) res.setHeader('Content-Encoding', 'gzip');
  res.vary('Accept-Encoding').type('application/json').send(body.bytes);
};

const acceptsGzip = (req: Request) => req.acceptsEncodings('gzip', 'identity') === 'gzip';

export function stateRoutes(s: Services): Router {
  const r = Router();

  r.get(S('/export'), async (req, res) => {
    sendExport(res, await s.state.exportLatest(principalOf(res), stackRefOf(req), acceptsGzip(req)));
  });

  r.get(S('/export/:version'), async (req, res) => {
    const raw = req.params.version as string;
    if (!/^\d+$/.test(raw)) throw notFound(`version '${raw}' not found`);
    sendExport(res, await s.state.exportVersion(principalOf(res), stackRefOf(req), Number(raw), acceptsGzip(req)));
  });

  r.post(S('/import'), async (req, res) => {
    parseWith(untypedDeployment, parseJsonBody(req));
    const { updateId } = await s.updates.importDeployment(principalOf(res), stackRefOf(req), rawBody(req));
    // apitype.ImportStackResponse: `updateId` (any case decodes); `updateID` too for readers of the docs.
    res.json({ updateId, updateID: updateId });
  });

  return r;
}
