/**
 * Alias normalisation of a generated deployment, mirroring `DeploymentV3.NormalizeURNReferences`
 * (sdk/go/common/apitype/core.go): a resource that was renamed, re-typed or re-parented in this
 * update carries `aliases` naming its old URNs; until every resource that refers to it is itself
 * updated, references may still use an old URN. Every reference is rewritten to the resource's
 * current URN and the `aliases` are dropped, so the stored state never needs alias lookups.
 *
 * Pure: returns new objects for the resources and snippets it changes, shares the rest.
 */
import { badRequest } from './errors.js';
import type { JsonObject, ResourceState } from '../wire/journal-entry.js';

const ROOT_STACK_TYPE = 'pulumi:pulumi:Stack';
const URN_PREFIX = 'urn:pulumi:';

/**
 * The parts of `urn:pulumi:<stack>::<project>::<qualified type>::<name>`; the name may contain
 * `::` (sdk/go/common/resource/urn.go). undefined when `urn` is not a URN.
 */
function urnParts(urn: string): { stack: string; project: string; qualifiedType: string; name: string } | undefined {
  if (!urn.startsWith(URN_PREFIX)) return undefined;
  const parts = urn.slice(URN_PREFIX.length).split('::');
  if (parts.length < 4) return undefined;
  const [stack, project, qualifiedType, ...name] = parts as [string, string, string, ...string[]];
  return { stack, project, qualifiedType, name: name.join('::') };
}

/** The last `$`-separated segment of a qualified type (`resource.URN.Type`). */
const baseType = (qualifiedType: string) => qualifiedType.slice(qualifiedType.lastIndexOf('$') + 1);

/** Builds old URN → new URN from `aliases` and from parents whose URN changed, in list order. */
function aliasMap(resources: readonly ResourceState[]): Map<string, string> {
  const aliased = new Map<string, string>();
  for (const res of resources) {
    if (Array.isArray(res.aliases)) {
      for (const alias of res.aliases as string[]) {
        // SDKs may repeat one alias for one resource; the same alias for two resources is an error.
        const other = aliased.get(alias);
        if (other !== undefined && other !== res.urn) {
          throw badRequest(`two resources ('${other}' and '${res.urn}') have the same alias: '${alias}'`);
        }
        aliased.set(alias, res.urn);
      }
    }
    // A child of a resource whose URN changed gets a URN under the new parent type.
    const parent = typeof res.parent === 'string' ? aliased.get(res.parent) : undefined;
    if (parent) {
      const p = urnParts(parent);
      const own = urnParts(res.urn);
      if (p && own && p.qualifiedType !== ROOT_STACK_TYPE) {
        aliased.set(
          res.urn,
          `${URN_PREFIX}${own.stack}::${own.project}::${p.qualifiedType}$${baseType(own.qualifiedType)}::${own.name}`,
        );
      }
    }
  }
  return aliased;
}

/**
 * Rewrites URN references in `resources` (and snippet `references`) through the aliases the
 * resources declare, and removes `aliases`. Pending operations are left alone, as in Go.
 */
export function normalizeUrnReferences(
  resources: readonly ResourceState[],
  snippets: readonly JsonObject[] | undefined,
): { resources: ResourceState[]; snippets: JsonObject[] | undefined } {
  const aliased = aliasMap(resources);
  const fix = (urn: unknown) => (typeof urn === 'string' ? (aliased.get(urn) ?? urn) : urn);
  // A provider reference is `<provider URN>::<provider ID>` (sdk/go/common/providers/reference.go).
  const fixProvider = (ref: unknown) => {
    if (typeof ref !== 'string' || ref === '') return ref;
    const cut = ref.lastIndexOf('::');
    if (cut < 0) throw badRequest(`malformed provider reference: ${ref}`);
    return `${fix(ref.slice(0, cut)) as string}${ref.slice(cut)}`;
  };
  // Nothing is aliased: no reference can change and no resource holds aliases to drop.
  if (aliased.size === 0) return { resources: [...resources], snippets: snippets && [...snippets] };

  const out = resources.map((res) => {
    const next: JsonObject = { ...res, urn: fix(res.urn) };
    if ('parent' in res) next.parent = fix(res.parent);
    if ('provider' in res) next.provider = fixProvider(res.provider);
    if (Array.isArray(res.dependencies)) next.dependencies = res.dependencies.map(fix);
    if (res.propertyDependencies && typeof res.propertyDependencies === 'object') {
      const deps: JsonObject = {};
      for (const [key, list] of Object.entries(res.propertyDependencies as JsonObject)) {
        Object.defineProperty(deps, key, {
          value: Array.isArray(list) ? list.map(fix) : list,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      next.propertyDependencies = deps;
    }
    if ('deletedWith' in res) next.deletedWith = fix(res.deletedWith);
    if ('viewOf' in res) next.viewOf = fix(res.viewOf);
    // Go sets Aliases to nil and `omitempty` drops the key.
    delete next.aliases;
    return next as ResourceState;
  });

  const fixedSnippets = snippets?.map((s) => {
    if (!s.references || typeof s.references !== 'object') return s;
    const refs: JsonObject = {};
    for (const [k, v] of Object.entries(s.references as JsonObject)) {
      Object.defineProperty(refs, k, { value: fix(v), enumerable: true, writable: true, configurable: true });
    }
    return { ...s, references: refs };
  });
  return { resources: out, snippets: fixedSnippets };
}
