/**
 * `fulmar rollback` (docs/operating.md, "Rollback"): version N's deployment committed again as a
 * new version, through the import protocol (docs/design.md, "Import") — written first, then a
 * sealed lease and its commit — so a pod killed midway leaves nothing stuck. Its history entry is
 * an `import` whose message names the version it rolled back to.
 */
import type { ServiceGraph } from '../services/build-services.js';
import type { StackRef } from '../storage/layout.js';
import { OPERATOR } from '../services/auth-service.js';
import { conflict } from '../domain/errors.js';
import { leaseIsLive } from '../domain/stack-meta.js';
import { stackLabel } from '../domain/stack-label.js';

export const rollbackMessage = (to: number, from: number) => `rollback to version ${to} (from version ${from}) by fulmar rollback`;

export interface RolledBack {
  stack: StackRef;
  to: number;
  from: number;
  version: number;
  updateId: string;
}

export async function rollback({ register, services }: ServiceGraph, ref: StackRef, to: number, dryRun = false): Promise<RolledBack> {
  const { meta, storeTime } = await register.read(ref);
  // Refused while an update holds the stack; a dead lease is committed first, as any update would.
  if (meta.lease && !meta.lease.sealed && leaseIsLive(meta.lease, storeTime)) {
    throw conflict(`an update (${meta.lease.updateId}) holds ${stackLabel(ref)}; wait for it, or break its lease: fulmar leases break ${ref.org}/${ref.project}/${ref.stack}`);
  }
  // exportVersion answers 404 for a version the stack does not have.
  const { bytes } = await services.state.exportVersion(OPERATOR, ref, BigInt(to), false);
  const from = meta.version;
  if (dryRun) return { stack: ref, to, from, version: from + 1, updateId: '' };
  const { updateId, version } = await services.updates.importDeployment(OPERATOR, ref, bytes, { message: rollbackMessage(to, from) });
  return { stack: ref, to, from, version, updateId };
}
