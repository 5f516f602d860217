/**
 * The resource tree, flattened into rows for a virtualised list: each resource under its parent
 * (a URN), children in state order, with a depth for indentation. Pure, unit-tested.
 */
import type { Resource } from './api.js';

export interface TreeRow {
  resource: Resource;
  depth: number;
  hasChildren: boolean;
}

export interface ResourceTree {
  roots: Resource[];
  children: Map<string, Resource[]>;
}

export function buildTree(resources: Resource[]): ResourceTree {
  const byUrn = new Set(resources.map((r) => r.urn));
  const children = new Map<string, Resource[]>();
  const roots: Resource[] = [];
  for (const r of resources) {
    // A parent missing from the state (or a resource naming itself) makes a root, not a lost row.
    if (r.parent && r.parent !== r.urn && byUrn.has(r.parent)) {
      const list = children.get(r.parent);
      if (list) list.push(r);
      else children.set(r.parent, [r]);
    } else roots.push(r);
  }
  return { roots, children };
}

/**
 * The visible rows: collapsed resources hide their subtree; a filter keeps the rows whose URN or
 * type contains it (case-insensitive), shown flat with their depth.
 */
export function visibleRows(tree: ResourceTree, collapsed: ReadonlySet<string>, filter = ''): TreeRow[] {
  const rows: TreeRow[] = [];
  const needle = filter.trim().toLowerCase();
  const seen = new Set<string>();
  // Iterative depth-first walk: a 5,000-deep chain must not overflow the stack.
  const stack: { r: Resource; depth: number }[] = [...tree.roots].reverse().map((r) => ({ r, depth: 0 }));
  while (stack.length > 0) {
    const { r, depth } = stack.pop() as { r: Resource; depth: number };
    if (seen.has(r.urn)) continue;
    seen.add(r.urn);
    const kids = tree.children.get(r.urn) ?? [];
    const match = !needle || r.urn.toLowerCase().includes(needle) || r.type.toLowerCase().includes(needle);
    if (match) rows.push({ resource: r, depth, hasChildren: kids.length > 0 });
    if (needle || !collapsed.has(r.urn)) {
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ r: kids[i] as Resource, depth: depth + 1 });
    }
  }
  return rows;
}

/** `urn:pulumi:stack::project::type::name` → `name` (names may contain `::`). */
export function urnName(urn: string): string {
  const parts = urn.split('::');
  return parts.length >= 4 ? parts.slice(3).join('::') : urn;
}
