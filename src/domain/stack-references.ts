/**
 * Which stacks a deployment reads through `pulumi.StackReference`: resources of type
 * `pulumi:pulumi:StackReference` whose `name` input is `org/project/stack` or `project/stack`
 * (the latter within the referencing stack's org).
 */
import type { StackRef } from '../storage/layout.js';

const STACK_REFERENCE_TYPE = 'pulumi:pulumi:StackReference';

export function referencedStacks(deployment: unknown, sourceOrg: string): string[] {
  const resources = (deployment as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(resources)) return [];
  const found = new Set<string>();
  for (const r of resources as { type?: unknown; inputs?: { name?: unknown }; delete?: unknown }[]) {
    if (r?.type !== STACK_REFERENCE_TYPE || r.delete === true) continue;
    const name = r.inputs?.name;
    if (typeof name !== 'string') continue;
    const parts = name.split('/');
    if (parts.length === 3 && parts.every(Boolean)) found.add(parts.join('/'));
    else if (parts.length === 2 && parts.every(Boolean)) found.add(`${sourceOrg}/${parts.join('/')}`);
  }
  return [...found].sort();
}

export function parseStackPath(path: string): StackRef | undefined {
  const [org, project, stack, ...rest] = path.split('/');
  return org && project && stack && rest.length === 0 ? { org, project, stack } : undefined;
}
