/**
 * URN rewriting for stack rename (docs/design.md#what-the-urn-rewrite-touches): after a rename the
 * state must name the new stack and project everywhere the engine compares URNs, or the next
 * `pulumi up` would see every resource as new and replace it.
 *
 * A URN is `urn:pulumi:<stack>::<project>::<qualified type>::<name>`, where the name may itself
 * contain `::` (sdk/go/common/resource/urn.go). Stack and project names cannot contain `::`, so
 * matching the `urn:pulumi:<stack>::<project>::` prefix is exact.
 */

export interface StackRename {
  oldProject: string;
  oldStack: string;
  newProject: string;
  newStack: string;
}

type Json = unknown;
type JsonObject = Record<string, Json>;

const URN_PREFIX = 'urn:pulumi:';
const STACK_TYPE = 'pulumi:pulumi:Stack';

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Rewrites one URN of the old stack to the new one; URNs of other stacks or projects, and
 * strings that are not URNs, come back unchanged. The root stack resource is named
 * `<project>-<stack>` by every language SDK, so that name follows the rename too.
 */
export function rewriteUrn(urn: string, rename: StackRename): string {
  const prefix = `${URN_PREFIX}${rename.oldStack}::${rename.oldProject}::`;
  if (!urn.startsWith(prefix)) return urn;
  const rest = urn.slice(prefix.length);
  const sep = rest.indexOf('::');
  if (sep < 0) return urn;
  const type = rest.slice(0, sep);
  let name = rest.slice(sep + 2);
  if (type === STACK_TYPE && name === `${rename.oldProject}-${rename.oldStack}`) {
    name = `${rename.newProject}-${rename.newStack}`;
  }
  return `${URN_PREFIX}${rename.newStack}::${rename.newProject}::${type}::${name}`;
}

/** A provider reference is `<provider URN>::<provider id>`; the id follows the last `::`. */
export function rewriteProviderReference(ref: string, rename: StackRename): string {
  const sep = ref.lastIndexOf('::');
  if (sep < 0) return ref;
  return `${rewriteUrn(ref.slice(0, sep), rename)}${ref.slice(sep)}`;
}

const urnIn = (v: Json, r: StackRename) => (typeof v === 'string' ? rewriteUrn(v, r) : v);
const urnsIn = (v: Json, r: StackRename) => (Array.isArray(v) ? v.map((u: Json) => urnIn(u, r)) : v);

/** Fields of ResourceV3 (apitype/core.go) that hold one URN or a list of URNs. */
const SINGLE_URN_FIELDS = ['urn', 'parent', 'deletedWith', 'viewOf'] as const;
const URN_LIST_FIELDS = ['dependencies', 'replaceWith', 'aliases'] as const;

/** A copy of one ResourceV3 with every URN-valued field rewritten; inputs/outputs are shared. */
export function rewriteResourceUrns(resource: Json, rename: StackRename): Json {
  if (!isObject(resource)) return resource;
  const out: JsonObject = { ...resource };
  for (const field of SINGLE_URN_FIELDS) if (field in out) out[field] = urnIn(out[field], rename);
  for (const field of URN_LIST_FIELDS) if (field in out) out[field] = urnsIn(out[field], rename);
  if (typeof out.provider === 'string') out.provider = rewriteProviderReference(out.provider, rename);
  if (isObject(out.propertyDependencies)) {
    out.propertyDependencies = Object.fromEntries(
      Object.entries(out.propertyDependencies).map(([prop, urns]) => [prop, urnsIn(urns, rename)]),
    );
  }
  return out;
}

function rewritePendingOperations(ops: Json, rename: StackRename): Json {
  if (!Array.isArray(ops)) return ops;
  return ops.map((op: Json) => (isObject(op) && 'resource' in op ? { ...op, resource: rewriteResourceUrns(op.resource, rename) } : op));
}

/**
 * The "service" secrets provider names the stack whose key decrypts the state
 * (pkg/secrets/service/manager.go). Only a state naming the renamed stack follows it; one naming
 * another stack (e.g. after importing a foreign export) is left alone, as is the owner.
 */
function rewriteSecretsProvider(sp: Json, rename: StackRename): Json {
  if (!isObject(sp) || sp.type !== 'service' || !isObject(sp.state)) return sp;
  const { state } = sp;
  if (state.project !== rename.oldProject || state.stack !== rename.oldStack) return sp;
  return { ...sp, state: { ...state, project: rename.newProject, stack: rename.newStack } };
}

/**
 * Returns a copy of a DeploymentV3 with every URN of the old stack rewritten for the new stack and
 * project: resources, pending operations (both `pending_operations` and the camelCase key the CLI's
 * verbatim writer uses, docs/protocol.md#verbatim-checkpoints) and the service secrets-provider
 * state. The input is not mutated; unchanged sub-objects (inputs, outputs, manifest…) are shared
 * with it. Resource inputs and outputs are opaque program data and are not searched for URNs.
 */
export function rewriteDeploymentUrns<T extends object>(deployment: T, rename: StackRename): T {
  const src = deployment as JsonObject;
  const out: JsonObject = { ...src };
  if (Array.isArray(src.resources)) out.resources = src.resources.map((r: Json) => rewriteResourceUrns(r, rename));
  if ('pending_operations' in src) out.pending_operations = rewritePendingOperations(src.pending_operations, rename);
  if ('pendingOperations' in src) out.pendingOperations = rewritePendingOperations(src.pendingOperations, rename);
  if ('secrets_providers' in src) out.secrets_providers = rewriteSecretsProvider(src.secrets_providers, rename);
  return out as T;
}
