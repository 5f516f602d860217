/**
 * Turning replay bookkeeping into a deployment: the second half of `JournalReplayer`
 * (`GenerateDeployment`, `rebuildDependencies`, `undangleParentResources` in
 * pkg/backend/journal.go) plus the schema-4 feature rules (`ApplyFeatures` in
 * pkg/resource/stack/deployment.go). Pure: no clock of its own (the manifest time is given),
 * and the inputs are never mutated — a resource that changes is copied.
 *
 * The output keeps Go's JSON shape for DeploymentV3/ResourceV3: `omitempty` keys are absent
 * rather than empty, keys appear in Go's field order where this module adds them, and
 * `metadata` is always present (a struct is never "empty" to encoding/json).
 */
import { createHash } from 'node:crypto';
import { normalizeUrnReferences } from './urn-normalize.js';
import type { DeploymentJson, JsonObject, Operation, ResourceState } from '../wire/journal-entry.js';

/** apitype.UntypedDeployment as JSON (version 3, or 4 with the features in use). */
export interface UntypedDeployment {
  version: 3 | 4;
  features?: string[];
  deployment: DeploymentJson;
}

/** ResourceV3's fields in declaration order, which is the order encoding/json writes them. */
const RESOURCE_KEY_ORDER = [
  'urn', 'custom', 'delete', 'id', 'type', 'inputs', 'outputs', 'parent', 'protect', 'taint', 'external',
  'dependencies', 'initErrors', 'provider', 'propertyDependencies', 'pendingReplacement',
  'additionalSecretOutputs', 'aliases', 'customTimeouts', 'importID', 'retainOnDelete', 'deletedWith',
  'replaceWith', 'created', 'modified', 'sourcePosition', 'stackTrace', 'ignoreChanges', 'hideDiff',
  'replaceOnChanges', 'replacementTrigger', 'refreshBeforeUpdate', 'viewOf', 'resourceHooks', 'extensionRef',
  'snippetID',
] as const;

/** A copy of `res` with `flag: true`, the key placed where Go would write it. */
export function withFlag(res: ResourceState, flag: 'delete' | 'pendingReplacement'): ResourceState {
  if (res[flag] === true) return res;
  if (flag in res) return { ...res, [flag]: true };
  const out: JsonObject = {};
  for (const key of RESOURCE_KEY_ORDER) {
    if (key === flag) out[key] = true;
    else if (Object.hasOwn(res, key)) out[key] = res[key];
  }
  for (const [key, value] of Object.entries(res)) {
    if (!Object.hasOwn(out, key)) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out as ResourceState;
}

const nonEmptyString = (v: unknown) => typeof v === 'string' && v !== '';
const nonEmptyList = (v: unknown) => Array.isArray(v) && v.length > 0;
const nonEmptyMap = (v: unknown) => typeof v === 'object' && v !== null && Object.keys(v).length > 0;

/** Adds the schema-4 features `res` uses (`stack.ApplyFeatures`). */
export function applyFeatures(res: JsonObject, requiresByteString: boolean, features: Set<string>): void {
  // Byte strings inside secrets are invisible once encrypted, so the entries say so instead.
  if (requiresByteString) features.add('byteString');
  if (res.refreshBeforeUpdate === true) features.add('refreshBeforeUpdate');
  if (nonEmptyString(res.viewOf)) features.add('views');
  if (nonEmptyMap(res.resourceHooks)) features.add('hooks');
  if (res.taint === true) features.add('taint');
  if (nonEmptyList(res.replaceWith)) features.add('replaceWith');
  if (nonEmptyString(res.extensionRef)) features.add('extensionParameterization');
  if (nonEmptyString(res.snippetID)) features.add('snippets-prototype');
}

/**
 * After a refresh, drops references to resources that are gone (`rebuildDependencies`): a
 * dependency, property dependency, replace-with or deleted-with survives only if it names a
 * resource earlier in the list (the list is a topological order). Lists that were empty stay
 * as they were; lists that become empty disappear (`omitempty`).
 *
 * One departure from `rebuildDependencies`, for the first `written` resources (the states this
 * update's own steps wrote): their property-dependency keys stay, listing nothing if need be.
 * Go rebuilds every such map from the surviving URNs, so `{"label": []}` vanishes from every
 * resource of an update that saw a refresh. The engine, writing checkpoints, repairs only the
 * states it rebuilds from the base after the refresh steps (pkg/resource/deploy/
 * deployment_executor.go, `rebuildBaseState` walks `prev.Resources`), and saves as they are the
 * states of the steps that run the program: `up --refresh` and `refresh --run-program` keep
 * those keys in their checkpoints, and so must their journaled twins (test/e2e/journaling.test.ts;
 * docs/protocol.md, "Journaling").
 */
function pruneReferences(resources: readonly ResourceState[], written: number): { pruned: ResourceState[]; present: Set<string> } {
  const referenceable = new Set<string>();
  const keep = (list: unknown) => (list as unknown[]).filter((u) => typeof u === 'string' && referenceable.has(u));
  const pruned = resources.map((res, index) => {
    const ownState = index < written;
    let out: ResourceState | undefined;
    const set = (key: string, value: unknown) => {
      out ??= { ...res };
      if (value === undefined) delete out[key];
      else out[key] = value;
    };
    if (nonEmptyList(res.dependencies)) {
      const deps = keep(res.dependencies);
      if (deps.length !== (res.dependencies as unknown[]).length) set('dependencies', deps.length ? deps : undefined);
    }
    if (nonEmptyMap(res.propertyDependencies)) {
      const before = res.propertyDependencies as JsonObject;
      const after: JsonObject = {};
      let changed = false;
      for (const [key, list] of Object.entries(before)) {
        const deps = Array.isArray(list) ? keep(list) : [];
        // Go appends per surviving URN, so a key with none left vanishes (but see `written`).
        if (deps.length || ownState) Object.defineProperty(after, key, { value: deps, enumerable: true, writable: true, configurable: true });
        // A key left with no URN vanishes even if its list was empty to begin with: Go rebuilds
        // every non-empty map from the survivors, and omits empty lists when it serializes.
        if (!Array.isArray(list) || deps.length !== list.length || (deps.length === 0 && !ownState)) changed = true;
      }
      if (changed) set('propertyDependencies', Object.keys(after).length ? after : undefined);
    }
    if (nonEmptyList(res.replaceWith)) {
      const list = keep(res.replaceWith);
      if (list.length !== (res.replaceWith as unknown[]).length) set('replaceWith', list.length ? list : undefined);
    }
    if ('deletedWith' in res && !(typeof res.deletedWith === 'string' && referenceable.has(res.deletedWith))) {
      set('deletedWith', undefined);
    }
    referenceable.add(res.urn);
    return out ?? res;
  });
  return { pruned, present: referenceable };
}

/**
 * Re-parents resources whose parent is gone (`undangleParentResources`). Go looks the missing
 * parent up among the *earlier* resources' recorded parents; a parent that was removed is not
 * in the list, so in practice the child ends up with no parent (the key is dropped).
 */
function reparentOrphans(resources: ResourceState[], present: Set<string>): ResourceState[] {
  const parentOf = new Map<string, string>();
  return resources.map((res) => {
    const parent = typeof res.parent === 'string' ? res.parent : '';
    const next = present.has(parent) ? parent : (parentOf.get(parent) ?? '');
    // Go records the parent the resource had, not the one it was given.
    parentOf.set(res.urn, parent);
    if (next === parent) return res;
    const out: ResourceState = { ...res };
    if (next === '') delete out.parent;
    else out.parent = next;
    return out;
  });
}

/** Everything GenerateDeployment reads from a replayer. */
export interface ReplayResult {
  base: DeploymentJson;
  /** Final resources in order: this update's, then the surviving base ones (flags applied). */
  resources: ResourceState[];
  /** How many of `resources`, from the start, are this update's (see `pruneReferences`). */
  written: number;
  /** Operations of begin entries still open, in the order they began. */
  openOperations: Operation[];
  hasRefresh: boolean;
  requiresByteString: boolean;
  /** This update's extension-parameterize entries, ref → extension. */
  extensions: Map<string, unknown>;
}

export interface ManifestInfo {
  /** The manifest time: the moment the state is generated, given so results are repeatable. */
  now: Date;
  /** The producer version written to the manifest (the CLI writes its own, e.g. "v3.259.0"). */
  version: string;
}

/** A manifest whose magic is the hex SHA-256 of the version, as the CLI's integrity check expects. */
function manifest({ now, version }: ManifestInfo): JsonObject {
  const magic = version === '' ? '' : createHash('sha256').update(version).digest('hex');
  return { time: now.toISOString(), magic, version };
}

/** Assembles the deployment from a replay's result (the tail of `GenerateDeployment`). */
export function buildDeployment(r: ReplayResult, info: ManifestInfo): UntypedDeployment {
  const features = new Set<string>();
  for (const res of r.resources) applyFeatures(res, r.requiresByteString, features);

  const operations: JsonObject[] = [];
  for (const op of r.openOperations) {
    operations.push(op);
    applyFeatures(op.resource, r.requiresByteString, features);
  }
  // A pending create needs the user to resolve it, so it survives every update; other pending
  // operations of the base were resolved by this update.
  const basePending = Array.isArray(r.base.pending_operations) ? (r.base.pending_operations as Operation[]) : [];
  for (const op of basePending) {
    if (op?.type !== 'creating') continue;
    operations.push(op);
    if (op.resource && typeof op.resource === 'object') applyFeatures(op.resource, r.requiresByteString, features);
  }

  let resources = r.resources;
  if (r.hasRefresh) {
    // A refresh may have deleted resources that others still name.
    const { pruned, present } = pruneReferences(resources, r.written);
    resources = reparentOrphans(pruned, present);
  }

  const baseSnippets = nonEmptyList(r.base.snippets) ? (r.base.snippets as JsonObject[]) : undefined;
  if (baseSnippets) features.add('snippets-prototype');
  const normalized = normalizeUrnReferences(resources, baseSnippets);

  // This update's extensions plus the base's, the base's winning (maps.Copy order in Go).
  const extensions: JsonObject = Object.create(null) as JsonObject;
  for (const [ref, ext] of r.extensions) extensions[ref] = ext;
  if (r.base.extensions && typeof r.base.extensions === 'object') {
    for (const [ref, ext] of Object.entries(r.base.extensions as JsonObject)) extensions[ref] = ext;
  }

  const deployment: DeploymentJson = { manifest: manifest(info) };
  if (r.base.secrets_providers) deployment.secrets_providers = r.base.secrets_providers;
  if (normalized.resources.length) deployment.resources = normalized.resources;
  if (operations.length) deployment.pending_operations = operations;
  deployment.metadata = r.base.metadata && typeof r.base.metadata === 'object' ? r.base.metadata : {};
  if (normalized.snippets?.length) deployment.snippets = normalized.snippets;
  if (Object.keys(extensions).length) deployment.extensions = { ...extensions };

  if (features.size === 0) return { version: 3, deployment };
  return { version: 4, features: [...features].sort(), deployment };
}
