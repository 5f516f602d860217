/**
 * The stack register (`meta.json`) and the rules read off it: which incarnation owns the name,
 * whether a lease may still be in use, where a move stands. Pure data and decisions; reading and
 * compare-and-swapping it is src/services/meta-register.ts. The protocols that change it are
 * written down in docs/design.md.
 */
import type { StackLoc, StackRef } from '../storage/layout.js';

/** 2: incarnations, sealed leases, move marks. Registers of schema 1 are still read. */
export const META_SCHEMA = 2;

export type UpdateKind = 'update' | 'preview' | 'refresh' | 'destroy' | 'import';

/** How an update ended, as its record will say. */
export type FinalStatus = 'succeeded' | 'failed' | 'cancelled';

export interface Lease {
  updateId: string;
  kind: UpdateKind;
  /** The version this update will commit. */
  version: number;
  /** SHA-256 (hex) of the update token; the token itself is never stored. */
  tokenHash: string;
  /** Grows with every new holder of the stack's lease (fencing). */
  epoch: number;
  /** The store's clock (not a pod's) when the lease was taken or last renewed. */
  renewedAt: string;
  /** Seconds after `renewedAt` (store clock) when another update may take the stack over. */
  durationSeconds: number;
  /** Who started it, for `currentOperation`. */
  author: string;
  startedAt: number;
  /**
   * Set by the first step of every commit (complete, cancel, takeover, import): from then on no
   * checkpoint is acknowledged, and any pod that meets the seal may finish the commit.
   */
  sealed?: { status: FinalStatus };
  /**
   * Set when the update journals (it answered `journalVersion: 1` at start): its state is the
   * replay of its journal batches onto the version before it, stamped with the CLI's version.
   */
  journal?: { cliVersion: string };
}

/** Where a stack went: the target name and the incarnation that holds it there. */
export interface MoveTarget extends StackRef {
  incarnation: string;
}

/** A register that no longer names a stack. Kept in place: a name is re-used by CAS over it. */
export interface Tombstone {
  at: string;
  /** Set when the stack moved away (rename/transfer) rather than being deleted. */
  movedTo?: MoveTarget;
}

export interface StackMeta {
  schema: number;
  /** New for every stack; survives rename and transfer (secrets are bound to it). */
  stackId: string;
  /**
   * New at every create and at every move: all objects of this register live under
   * `i/<incarnation>/`, so a re-created name can never read or commit an earlier one's objects.
   * Absent on schema-1 registers (their objects sit at the layout-1 keys).
   */
  incarnation?: string;
  org: string;
  project: string;
  stack: string;
  createdAt: string;
  /** Latest committed version; 0 = never updated. */
  version: number;
  /**
   * The retention floor (docs/operating.md, "Retention (gc)"): the checkpoints of versions below
   * it were removed by `fulmar gc`, whose compare-and-swap raised it BEFORE it deleted anything,
   * so a reader that sees a version below it answers "removed by retention" instead of looking.
   * Their history entries stay. Absent: every version from 1 is kept. Never lowered; a move
   * carries it to the new name with the rest of the register.
   */
  retainedFrom?: number;
  /**
   * The UntypedDeployment the stack was created with (the CLI sends one only for non-service
   * secrets providers, pkg/backend/httpstate/backend.go: CreateStack); what version 0 exports.
   */
  initialState?: unknown;
  /** How many times the stack was renamed or transferred. */
  moves?: number;
  /** Stacks this one's latest version reads through StackReference ("org/project/stack"). */
  references?: string[];
  tags: Record<string, string>;
  /** The stack's data key, wrapped by master key `keyId`. */
  secrets: { keyId: string; wrapped: string };
  lease: Lease | null;
  /**
   * The update that last took the lease (written at start and at commit): `activeUpdate` while
   * the stack is idle, so `pulumi cancel` can say that update already finished instead of
   * "never been updated" (pkg/backend/httpstate/backend.go: CancelCurrentUpdate). Absent on
   * registers written before it existed (the history entry of `version` names it then).
   */
  lastUpdateId?: string;
  /** Highest lease epoch ever handed out for this stack. */
  leaseEpoch: number;
  /** Unix seconds of the last committed update, and its resource count. */
  lastUpdate: number;
  resourceCount: number;
  /** A tombstone (`true` on schema-1 registers). */
  deleted?: Tombstone | boolean;
  /** This stack is moving to `moving.to`; frozen until the move ends one way or the other. */
  moving?: { to: StackRef; incarnation: string };
  /** This name was claimed by a move from `movingIn.from`; not a stack until the move ends. */
  movingIn?: { from: StackRef };
  /** A fresh random value in every write, so an old ETag can never match again. */
  nonce: string;
}

export type RegisterState = 'live' | 'tombstone' | 'moving-out' | 'moving-in';

export function registerState(meta: StackMeta): RegisterState {
  if (meta.deleted) return 'tombstone';
  if (meta.movingIn) return 'moving-in';
  if (meta.moving) return 'moving-out';
  return 'live';
}

export const isTombstone = (meta: StackMeta): boolean => Boolean(meta.deleted);

export const movedTo = (meta: StackMeta): MoveTarget | undefined =>
  typeof meta.deleted === 'object' ? meta.deleted.movedTo : undefined;

/**
 * The incarnation whose objects the register keeps alive: the live, moving-out or moving-in
 * one; none for a tombstone. '' stands for a schema-1 register's layout-1 objects.
 */
export function liveIncarnation(meta: StackMeta | undefined): string | undefined {
  if (!meta || meta.deleted) return undefined;
  return meta.incarnation ?? '';
}

export const refOf = (meta: StackMeta): StackRef => ({ org: meta.org, project: meta.project, stack: meta.stack });

/** The name and incarnation that locate this register's objects in the bucket. */
export const locOf = (meta: StackMeta): StackLoc => ({ ...refOf(meta), incarnation: meta.incarnation });

/** True when the lease may still be in use (the store's clock decides). */
export function leaseIsLive(lease: Lease | null, storeTime: Date): lease is Lease {
  if (!lease) return false;
  const renewed = Date.parse(lease.renewedAt);
  return storeTime.getTime() - renewed < lease.durationSeconds * 1000;
}

/**
 * A lease someone else may end now: sealed (a commit in progress that any pod may finish) or
 * expired (its holder stopped renewing).
 */
export const leaseIsDead = (lease: Lease, storeTime: Date): boolean => Boolean(lease.sealed) || !leaseIsLive(lease, storeTime);

/** The lowest version whose checkpoint the register promises (1 unless gc raised it). */
export const retainedFrom = (meta: StackMeta): number => Math.max(1, meta.retainedFrom ?? 1);

/** True when `version`'s checkpoint was removed by retention (its history entry stays). */
export const removedByRetention = (meta: StackMeta, version: number): boolean => version >= 1 && version < retainedFrom(meta);

export const resourceCountOf = (deployment: unknown): number => {
  const resources = (deployment as { resources?: unknown } | null)?.resources;
  return Array.isArray(resources) ? resources.length : 0;
};

/**
 * The cache identity of a committed object: the incarnation changes with every create and move
 * (a move rewrites the URNs inside the checkpoints), so bytes of one are never served as another's.
 */
export const cacheKeyOf = (meta: StackMeta, kind: 'checkpoint' | 'history', version: number): string =>
  `${meta.stackId}.${meta.incarnation ?? `m${meta.moves ?? 0}`}:${kind}:${version}`;
