/**
 * Rename and transfer (DESIGN §5): a rare operation that moves a stack's prefix. Crash-safe by
 * construction: the source register is first marked `renaming: <target>`; from then on any pod
 * that meets the mark finishes the move (copy is create-once, the target register is created
 * once with the same stackId, the source is tombstoned and purged), so a crash at any step is
 * completed by the next request. Committed checkpoints have their URNs rewritten so a
 * following `pulumi up` is a no-op.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { isPreconditionFailed } from '../storage/storage-error.js';
import { layout, type StackRef } from '../storage/layout.js';
import { conflict } from '../domain/errors.js';
import { leaseIsLive, type StackMeta } from '../domain/stack-meta.js';
import { requireRole, type Principal } from '../domain/roles.js';
import { validateOrgName, validateProjectName, validateStackName } from '../domain/names.js';
import { rewriteDeploymentUrns } from '../domain/urn-rewrite.js';
import { MetaRegister } from './meta-register.js';
import { listAllKeys } from './json-objects.js';
import { mapLimit } from './prefix-ops.js';
import type { StackService } from './stack-service.js';
import { stackLabel } from '../domain/stack-label.js';

export class StackMover {
  constructor(
    private readonly store: ObjectStore,
    private readonly register: MetaRegister,
    private readonly stacks: StackService,
  ) {}

  /** `POST S/rename {"newName","newProject"}`; empty values keep the current ones (protocol §2.2.5). */
  async rename(principal: Principal, from: StackRef, newProject: string | undefined, newName: string | undefined) {
    requireRole(principal, from.org, 'admin', stackLabel(from));
    const to: StackRef = {
      org: from.org,
      project: newProject ? validateProjectName(newProject) : from.project,
      stack: newName ? validateStackName(newName) : from.stack,
    };
    await this.move(from, to);
  }

  /** `POST S/transfer {"toOrg"}` (seed 004): admin of the stack, member of the target org. */
  async transfer(principal: Principal, from: StackRef, toOrg: string) {
    requireRole(principal, from.org, 'admin', stackLabel(from));
    requireRole(principal, validateOrgName(toOrg), 'member', `organization '${toOrg}'`);
    await this.move(from, { ...from, org: toOrg });
  }

  private async move(from: StackRef, to: StackRef) {
    if (from.org === to.org && from.project === to.project && from.stack === to.stack) {
      await this.register.read(from);
      return;
    }
    const target = await this.register.readRaw(to);
    if (target && !target.meta.deleted) throw conflict(`${stackLabel(to)} already exists`);
    const meta = await this.register.mutate(from, ({ meta, storeTime }) => {
      if (leaseIsLive(meta.lease, storeTime) || meta.lease) throw conflict('Another update is currently in progress.');
      return { write: { ...meta, renaming: to }, result: { ...meta, renaming: to } };
    });
    await this.finish(meta);
  }

  /** Completes a move whose source register carries `renaming`. Idempotent. */
  async finish(source: StackMeta) {
    const to = source.renaming;
    if (!to) return;
    const from: StackRef = { org: source.org, project: source.project, stack: source.stack };
    const fromPrefix = layout.stackPrefix(from);
    const toPrefix = layout.stackPrefix(to);
    const keys = (await listAllKeys(this.store, fromPrefix)).filter((k) => k !== layout.metaKey(from));
    const rewrite = (body: Buffer) => rewriteCheckpoint(body, from, to);
    await mapLimit(keys, 8, async (key) => {
      const rel = key.slice(fromPrefix.length);
      let { body } = await this.store.get(key);
      if (rel.startsWith('checkpoints/')) body = rewrite(body);
      try {
        await this.store.put(toPrefix + rel, body, { ifNoneMatch: '*', contentType: 'application/json' });
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err; // copied by an earlier attempt
      }
    });
    const moved: StackMeta = {
      ...source,
      org: to.org,
      project: to.project,
      stack: to.stack,
      moves: (source.moves ?? 0) + 1,
      renaming: undefined,
      initialState: source.initialState === undefined ? undefined : JSON.parse(rewrite(Buffer.from(JSON.stringify(source.initialState))).toString()),
    };
    delete moved.renaming;
    const existing = await this.register.readRaw(to);
    if (!existing || existing.meta.deleted) {
      if (existing?.meta.deleted) await this.stacks.purge(to);
      if (!(await this.register.create(to, moved))) {
        const now = await this.register.readRaw(to);
        if (now?.meta.stackId !== source.stackId) throw conflict(`${stackLabel(to)} already exists`);
      }
    } else if (existing.meta.stackId !== source.stackId) {
      throw conflict(`${stackLabel(to)} already exists`);
    }
    await this.register.mutate(from, ({ meta }) => ({ write: { ...meta, deleted: true }, result: undefined }), {
      allowTombstone: true,
    });
    await this.stacks.purge(from);
  }
}

function rewriteCheckpoint(body: Buffer, from: StackRef, to: StackRef): Buffer {
  const untyped = JSON.parse(body.toString('utf8')) as { version: number; features?: string[]; deployment?: unknown };
  if (!untyped.deployment || typeof untyped.deployment !== 'object') return body;
  const deployment = rewriteDeploymentUrns(untyped.deployment as never, {
    oldProject: from.project,
    oldStack: from.stack,
    newProject: to.project,
    newStack: to.stack,
  }) as { secrets_providers?: { type?: string; state?: Record<string, unknown> } };
  const sp = deployment.secrets_providers;
  if (sp?.type === 'service' && sp.state && sp.state.owner === from.org) {
    // The CLI addresses decrypt calls to the stack named here (pkg/secrets/service/manager.go).
    deployment.secrets_providers = { ...sp, state: { ...sp.state, owner: to.org } };
  }
  return Buffer.from(JSON.stringify({ ...untyped, deployment }));
}
