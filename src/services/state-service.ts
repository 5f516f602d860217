/**
 * Reading state: exports (docs/protocol.md#export-and-import), resource listings and counts
 * (docs/protocol.md#stack-views).
 * Committed versions are immutable and come through the LRU; a running update's newest
 * intermediate checkpoint is read fresh.
 */
import type { StackRef } from '../storage/layout.js';
import { notFound } from '../domain/errors.js';
import { requireRole, roleIn, type Principal } from '../domain/roles.js';
import type { ObjectStore } from '../storage/object-store.js';
import { referenceLayout } from '../storage/layout.js';
import { parseStackPath } from '../domain/stack-references.js';
import { listAllKeys } from './json-objects.js';
import { mapLimit } from './prefix-ops.js';
import { liveIncarnation, locOf, type StackMeta } from '../domain/stack-meta.js';
import type { MetaRegister } from './meta-register.js';
import type { Checkpoints } from './checkpoints.js';
import { JournalGone, type JournalReplays } from './journal-replays.js';
import { stackLabel } from '../domain/stack-label.js';

/** An export's JSON bytes, already gzip-compressed when `gzip` (served as Content-Encoding: gzip). */
export interface ExportBody {
  bytes: Buffer;
  gzip: boolean;
}

export class StateService {
  constructor(
    private readonly store: ObjectStore,
    private readonly register: MetaRegister,
    private readonly checkpoints: Checkpoints,
    private readonly journals: JournalReplays,
  ) {}

  /** The latest state: the running update's newest checkpoint, else the latest version. */
  async exportLatest(principal: Principal, ref: StackRef, acceptsGzip = false): Promise<ExportBody> {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    if (meta.lease?.journal) {
      try {
        const replayed = await this.journals.deployment(meta, meta.lease);
        if (replayed) return { bytes: replayed, gzip: false };
      } catch (err) {
        // Committed while we read: the version it became is the state.
        if (!(err instanceof JournalGone)) throw err;
        return this.exportLatest(principal, ref, acceptsGzip);
      }
    } else if (meta.lease) {
      const running = await this.checkpoints.latestOfUpdate(locOf(meta), meta.lease.updateId);
      if (running) return { bytes: running.body, gzip: false };
    }
    return this.committedExport(meta, meta.version, acceptsGzip);
  }

  /** `GET S/export/{version}`; a bigint, so a version far beyond any stack's is named exactly. */
  async exportVersion(principal: Principal, ref: StackRef, version: bigint, acceptsGzip = false): Promise<ExportBody> {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    if (version < 1n || version > BigInt(meta.version)) {
      const latest = meta.version === 0 ? 'it has no versions yet' : `its latest version is ${meta.version}`;
      throw notFound(`version ${version} of ${stackLabel(ref)} does not exist; ${latest}`);
    }
    return this.committedExport(meta, Number(version), acceptsGzip);
  }

  private async committedExport(meta: StackMeta, version: number, acceptsGzip: boolean): Promise<ExportBody> {
    return acceptsGzip
      ? { bytes: await this.checkpoints.committedGzip(meta, version), gzip: true }
      : { bytes: await this.checkpoints.committed(meta, version), gzip: false };
  }

  async resourceCount(principal: Principal, ref: StackRef) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    return { resourceCount: meta.resourceCount, version: meta.version };
  }

  /**
   * `resources/latest` and `resources/{version}`: each resource wrapped as `{resource}`. With
   * `page`, only `size` resources from index `from`, the total, and the next page's token (a
   * committed version never changes, so an index is a stable position).
   */
  async resources(principal: Principal, ref: StackRef, version: number | 'latest', page?: { size: number; from: number }) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    const v = version === 'latest' ? meta.version : version;
    if (!Number.isSafeInteger(v) || v < 0 || v > meta.version || (v === 0 && version !== 'latest')) {
      throw notFound(`version ${String(version)} of ${stackLabel(ref)} not found`);
    }
    const body = v === 0 ? undefined : await this.checkpoints.committed(meta, v);
    const parsed = body ? (JSON.parse(body.toString('utf8')) as { deployment?: { resources?: unknown[] | null } }) : {};
    const resources = parsed.deployment?.resources ?? [];
    if (!page) return { resources: resources.map((resource) => ({ resource })), region: '', version: v };
    const slice = resources.slice(page.from, page.from + page.size);
    const next = page.from + slice.length;
    return {
      resources: slice.map((resource) => ({ resource })),
      region: '',
      version: v,
      total: resources.length,
      ...(next < resources.length ? { continuationToken: String(next) } : {}),
    };
  }

  /**
   * `GET S/downstreamreferences` (docs/protocol.md#stack-views): the stacks whose latest version
   * reads this one. Entries whose source no longer references it are dropped here (and from the
   * index).
   */
  async downstreamReferences(principal: Principal, ref: StackRef) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    await this.register.read(ref);
    const prefix = referenceLayout.prefixFor(ref);
    const target = `${ref.org}/${ref.project}/${ref.stack}`;
    const keys = await listAllKeys(this.store, prefix, 10_000);
    const found = await mapLimit(keys, 16, async (key) => {
      const source = parseStackPath(key.slice(prefix.length).replace(/\.json$/, ''));
      if (!source) return undefined;
      const snap = await this.register.readRaw(source);
      const live = snap && liveIncarnation(snap.meta) !== undefined && snap.meta.references?.includes(target);
      if (!live) {
        await this.store.delete(key).catch(() => undefined);
        return undefined;
      }
      if (!roleIn(principal, source.org)) return undefined;
      return { organization: source.org, routingProject: source.project, name: source.stack, version: snap.meta.version };
    });
    return { referencedStacks: found.filter((x) => x !== undefined) };
  }

  async metadata(principal: Principal, ref: StackRef) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    return metadataView(meta, principal);
  }
}

/** Pulumi's permission numbers: 101 read, 102 write, 103 admin (docs/protocol.md#stack-views). */
const PERMISSION = { viewer: 101, member: 102, admin: 103 } as const;

function metadataView(meta: StackMeta, principal: Principal) {
  const role = principal.siteAdmin || principal.login === meta.org ? 'admin' : (principal.orgs[meta.org] ?? 'viewer');
  return {
    orgName: meta.org,
    projectName: meta.project,
    stackName: meta.stack,
    userPermission: PERMISSION[role],
    notificationSettings: { notifyUpdateFailure: false, notifyUpdateSuccess: false },
  };
}
