/**
 * The journal golden vectors of test/fixtures/journal (see its README) and the masking of the
 * fields that legitimately differ between two runs of the CLI (test/unit/journal-replay-golden.test.ts
 * says why each is masked).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', 'fixtures', 'journal');

export interface Vector {
  name: string;
  description: string;
  /** The CLI command failed (a resource failed). */
  fails?: boolean;
  base: { deployment?: Record<string, unknown> };
  batches: unknown[][];
  expected: { version: number; features?: string[]; deployment: Record<string, unknown> };
}

export const vectors: Vector[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Vector);

/** A copy without the fields that differ between two runs (see the header). */
export function masked(value: unknown): unknown {
  const untyped = structuredClone(value) as { deployment: Record<string, unknown> };
  const d = untyped.deployment;
  delete (d.manifest as Record<string, unknown>).time;
  const stamp = (r: Record<string, unknown>) => {
    delete r.created;
    delete r.modified;
    if (String(r.type).startsWith('pulumi:providers:')) r.id = '<provider id>';
    if (typeof r.provider === 'string') r.provider = r.provider.replace(/::[^:]*$/, '::<provider id>');
  };
  for (const r of (d.resources as Record<string, unknown>[] | undefined) ?? []) stamp(r);
  for (const op of (d.pending_operations as { resource: Record<string, unknown> }[] | undefined) ?? []) stamp(op.resource);
  return untyped;
}

