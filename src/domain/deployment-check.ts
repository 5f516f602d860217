/**
 * Every state Fulmar stores must be a deployment the CLI can read back: an UntypedDeployment
 * (sdk/go/common/apitype/core.go) — a JSON object whose `version` is an integer the CLI knows
 * (1–4, apitype.DeploymentSchemaVersionCurrent is 3 and 4 is accepted) and whose `deployment`
 * is an object with `resources` an array, null or absent. A body that fails this would be
 * acknowledged and then break every later `pulumi up`, `stack export` or rename.
 *
 * The bytes are checked where they lie — never parsed into objects and never re-encoded, since
 * what is stored must be exactly what was sent (later deltas address it by byte offset).
 */
import { badRequest } from './errors.js';
import { topLevelValueSpan, topLevelValueSpans } from './raw-json.js';

/**
 * Deepest nesting accepted in a stored deployment, top-level object included. Real states stay
 * far below (resources → outputs → a few levels of user data); the bound keeps every reader that
 * walks a state recursively (exports of resources, URN rewriting on rename, JSON.stringify of an
 * initial state) safely inside the call stack. Go's own decoder stops at 10000.
 */
export const MAX_DEPLOYMENT_DEPTH = 1_000;

const LBRACE = 0x7b;
const LBRACKET = 0x5b;
const NULL = Buffer.from('null');

/**
 * Throws badRequest unless `raw` holds a valid UntypedDeployment; `what` names it in the
 * message ("checkpoint", "import", "initial state" …). Costs two validating scans, no parse.
 */
export function checkDeployment(raw: Buffer, what = 'deployment'): void {
  const spans = topLevelValueSpans(raw, ['version', 'deployment'], MAX_DEPLOYMENT_DEPTH);
  const version = spans.get('version');
  const versionText = version ? raw.toString('latin1', version.start, version.end) : '';
  // Go decodes `version` into an int: `3.0` or `"3"` would fail there, so they fail here.
  if (!/^[1-4]$/.test(versionText)) {
    throw badRequest(`invalid ${what}: "version" must be an integer from 1 to 4`);
  }
  const deployment = spans.get('deployment');
  if (!deployment || raw[deployment.start] !== LBRACE) {
    throw badRequest(`invalid ${what}: "deployment" must be a JSON object`);
  }
  const body = raw.subarray(deployment.start, deployment.end);
  // One level is taken by the enclosing object already validated above.
  const resources = topLevelValueSpan(body, 'resources', MAX_DEPLOYMENT_DEPTH - 1);
  if (resources && body[resources.start] !== LBRACKET && !body.subarray(resources.start, resources.end).equals(NULL)) {
    throw badRequest(`invalid ${what}: "deployment.resources" must be an array or null`);
  }
}
