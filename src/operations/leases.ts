/**
 * Break-glass access to update leases (docs/operating.md, "Leases"): which stacks an update holds
 * now, and breaking one — a cancel by the site admin, which commits what the update was told was
 * saved (docs/design.md, "Commit"), exactly as `pulumi cancel` does.
 */
import type { ServiceGraph } from '../services/build-services.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { StackRef } from '../storage/layout.js';
import { leaseIsLive, registerState, type Lease } from '../domain/stack-meta.js';
import { OPERATOR } from '../services/auth-service.js';
import { notFound } from '../domain/errors.js';
import { stackLabel } from '../domain/stack-label.js';
import { stacksIn, type Scope } from './stack-inventory.js';
import type { Progress } from './progress.js';
import { silentProgress } from './progress.js';

export interface HeldLease {
  stack: StackRef;
  updateId: string;
  kind: Lease['kind'];
  author: string;
  /** Unix seconds. */
  startedAt: number;
  renewedAt: string;
  /** live: its holder may still act; expired: the next update or a break takes it over; sealed: a commit any pod may finish. */
  state: 'live' | 'expired' | 'sealed';
  journaled: boolean;
}

export async function listLeases(store: ObjectStore, { register }: ServiceGraph, scope: Scope = {}, progress: Progress = silentProgress): Promise<HeldLease[]> {
  const held: HeldLease[] = [];
  progress.phase('reading registers');
  for await (const ref of stacksIn(store, scope)) {
    const snap = await register.readRaw(ref);
    progress.tick();
    const lease = snap && registerState(snap.meta) === 'live' ? snap.meta.lease : null;
    if (!snap || !lease) continue;
    held.push({
      stack: ref,
      updateId: lease.updateId,
      kind: lease.kind,
      author: lease.author,
      startedAt: lease.startedAt,
      renewedAt: lease.renewedAt,
      state: lease.sealed ? 'sealed' : leaseIsLive(lease, snap.storeTime) ? 'live' : 'expired',
      journaled: Boolean(lease.journal),
    });
  }
  progress.done();
  return held;
}

/** Ends the update holding `ref`, committing its work as cancelled; the update it ended. */
export async function breakLease({ register, services }: ServiceGraph, ref: StackRef): Promise<{ updateId: string }> {
  const { meta } = await register.read(ref);
  if (!meta.lease) throw notFound(`no update holds ${stackLabel(ref)}`);
  const updateId = meta.lease.updateId;
  await services.updates.cancel(OPERATOR, ref, updateId);
  return { updateId };
}
