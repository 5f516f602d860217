/**
 * The difference between two versions of a stack, computed in the browser from their exports
 * (`GET …/export/{version}`): resources matched by URN, properties compared by their JSON. Pure:
 * no DOM, no fetch, so it is unit-tested on its own (test/unit/console-logic.test.ts).
 */
import type { Resource } from './api.js';

export interface PropertyChange {
  /** Dotted path from the resource: `outputs.tags.env`, `inputs.ports[2]`. */
  path: string;
  before: unknown;
  after: unknown;
}

export interface ResourceDiff {
  urn: string;
  type: string;
  kind: 'added' | 'removed' | 'changed';
  changes: PropertyChange[];
}

/** Fields compared per resource: what a person reads as "the resource changed". */
const FIELDS = ['inputs', 'outputs', 'parent', 'provider', 'id', 'protect', 'dependencies'] as const;

export function diffDeployments(before: Resource[], after: Resource[]): ResourceDiff[] {
  const old = new Map(before.map((r) => [r.urn, r]));
  const neu = new Map(after.map((r) => [r.urn, r]));
  const out: ResourceDiff[] = [];
  for (const r of after) {
    const o = old.get(r.urn);
    if (!o) {
      out.push({ urn: r.urn, type: r.type, kind: 'added', changes: [] });
      continue;
    }
    const changes: PropertyChange[] = [];
    for (const f of FIELDS) diffValue(f, o[f], r[f], changes);
    if (changes.length > 0) out.push({ urn: r.urn, type: r.type, kind: 'changed', changes });
  }
  for (const r of before) if (!neu.has(r.urn)) out.push({ urn: r.urn, type: r.type, kind: 'removed', changes: [] });
  return out;
}

/** Walks two values side by side; records the smallest paths at which they differ. */
export function diffValue(path: string, a: unknown, b: unknown, out: PropertyChange[], depth = 0): void {
  if (a === b) return;
  const bothObjects = isPlainObject(a) && isPlainObject(b);
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  // Deep structures are compared whole past a depth: the diff must not be the slow part of the page.
  if (depth < 12 && bothObjects) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) diffValue(`${path}.${k}`, a[k], b[k], out, depth + 1);
    return;
  }
  if (depth < 12 && bothArrays && a.length === b.length) {
    a.forEach((v, i) => diffValue(`${path}[${i}]`, v, b[i], out, depth + 1));
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, before: a, after: b });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
