/**
 * The stack register (`meta.json`, DESIGN §3) and the lease rules (DESIGN §4). Pure data and
 * decisions; reading and compare-and-swapping it is src/services/meta-register.ts.
 */
export const META_SCHEMA = 1;

export type UpdateKind = 'update' | 'preview' | 'refresh' | 'destroy' | 'import';

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
}

export interface StackMeta {
  schema: number;
  /** New for every incarnation of the name; survives rename and transfer. */
  stackId: string;
  org: string;
  project: string;
  stack: string;
  createdAt: string;
  /** Latest committed version; 0 = never updated. */
  version: number;
  /**
   * The UntypedDeployment the stack was created with (the CLI sends one only for non-service
   * secrets providers, protocol §2.2.2); it is what version 0 exports.
   */
  initialState?: unknown;
  /** How many times the stack was renamed or transferred (its checkpoints were rewritten). */
  moves?: number;
  /** Stacks this one's latest version reads through StackReference ("org/project/stack"). */
  references?: string[];
  tags: Record<string, string>;
  /** The stack's data key, wrapped by master key `keyId` (DESIGN §7). */
  secrets: { keyId: string; wrapped: string };
  lease: Lease | null;
  /** Highest lease epoch ever handed out for this stack. */
  leaseEpoch: number;
  /** Unix seconds of the last committed update, and its resource count. */
  lastUpdate: number;
  resourceCount: number;
  /** A stack being deleted or moved away: readers finish the operation, writers keep out. */
  deleted?: boolean;
  renaming?: { org: string; project: string; stack: string };
  /** A fresh random value in every write, so an old ETag can never match again. */
  nonce: string;
}

/** True when the lease may still be in use (the store's clock decides, DESIGN §4). */
export function leaseIsLive(lease: Lease | null, storeTime: Date): lease is Lease {
  if (!lease) return false;
  const renewed = Date.parse(lease.renewedAt);
  return storeTime.getTime() - renewed < lease.durationSeconds * 1000;
}

export const resourceCountOf = (deployment: unknown): number => {
  const resources = (deployment as { resources?: unknown } | null)?.resources;
  return Array.isArray(resources) ? resources.length : 0;
};

/**
 * The cache identity of a committed object (DESIGN §6): the stackId alone is not enough, since
 * rename rewrites the URNs inside every checkpoint of the same stackId.
 */
export const cacheKeyOf = (meta: StackMeta, kind: 'checkpoint' | 'history', version: number): string =>
  `${meta.stackId}.${meta.moves ?? 0}:${kind}:${version}`;
