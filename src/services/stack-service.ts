/**
 * Stacks: create, read, list, tag, delete (docs/design.md#stack-operations). The register
 * `meta.json` is the source of truth; everything here is a read or a compare-and-swap of it.
 */
import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store.js';
import { layout, SYSTEM_PREFIX, type StackRef } from '../storage/layout.js';
import { badRequest, conflict } from '../domain/errors.js';
import { isTombstone, leaseIsLive, locOf, META_SCHEMA, registerState, type StackMeta } from '../domain/stack-meta.js';
import type { HistoryEntry } from '../domain/update-record.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../observability/logger.js';
import { sweepStack } from './stack-sweep.js';
import { requireRole, roleIn, visibleOrgs, type Principal } from '../domain/roles.js';
import { stackLabel } from '../domain/stack-label.js';
import { requireCliTagsUnchanged } from '../domain/cli-tags.js';
import { validateProjectName, validateStackName, validateTags } from '../domain/names.js';
import type { SecretsService } from './secrets-service.js';
import type { OrgService } from './org-service.js';
import type { MetaRegister } from './meta-register.js';
import { mapLimit } from './prefix-ops.js';
import { readJson } from './json-objects.js';

export const STACK_PAGE_SIZE = 100;
/** Registers read per list request at most, so a selective tag filter cannot make one call unbounded. */
const MAX_SCANNED_PER_PAGE = 500;

/** A fresh incarnation id: its objects live under `i/<id>/` (docs/design.md, "Incarnations"). */
export const newIncarnation = (): string => randomUUID().replaceAll('-', '');

export interface CreateStackInput {
  stackName: string;
  tags?: Record<string, string>;
  state?: unknown;
}

export interface ListFilter {
  organization?: string;
  project?: string;
  tagName?: string;
  tagValue?: string;
  continuationToken?: string;
}

/**
 * apitype.Stack (sdk/go/common/apitype/core.go). `activeUpdate` is the update holding the lease,
 * else the last one that held it — `pulumi cancel` cancels that id, and says "never been updated"
 * when it is empty (pkg/backend/httpstate/backend.go: CancelCurrentUpdate); `currentOperation`
 * is present only while an update runs. `lastUpdateId` stands in for a register without one.
 */
export function stackView(meta: StackMeta, lastUpdateId = meta.lastUpdateId) {
  const lease = meta.lease;
  return {
    id: meta.stackId,
    orgName: meta.org,
    projectName: meta.project,
    stackName: meta.stack,
    activeUpdate: lease?.updateId ?? lastUpdateId ?? '',
    ...(lease && { currentOperation: { kind: lease.kind, author: lease.author, started: lease.startedAt } }),
    tags: meta.tags,
    version: meta.version,
  };
}

export class StackService {
  constructor(
    private readonly store: ObjectStore,
    private readonly register: MetaRegister,
    private readonly secrets: SecretsService,
    private readonly orgs: OrgService,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * Creates the register of a new incarnation (docs/design.md, "Create"): create-once where the
   * name was never used, or compare-and-swap over the tombstone it saw. Objects of earlier
   * incarnations are never deleted before: they live under other keys and are swept after.
   */
  async create(principal: Principal, org: string, project: string, input: CreateStackInput) {
    const ref = { org, project: validateProjectName(project), stack: validateStackName(input.stackName) };
    requireRole(principal, org, 'member', `organization '${org}'`);
    await this.orgs.require(org, principal);
    const tags = validateTags(input.tags ?? {});
    if (input.state !== undefined) validateInitialState(input.state);
    const exists = () => conflict(`Stack '${ref.stack}' already exists in project '${ref.project}' of organization '${org}'.`);

    const stackId = randomUUID();
    const meta: StackMeta = {
      schema: META_SCHEMA,
      stackId,
      incarnation: newIncarnation(),
      org,
      project: ref.project,
      stack: ref.stack,
      createdAt: this.clock.now().toISOString(),
      version: 0,
      initialState: input.state,
      tags,
      secrets: this.secrets.newWrappedKey(stackId),
      lease: null,
      leaseEpoch: 0,
      lastUpdate: 0,
      resourceCount: 0,
      nonce: '',
    };
    let replaced = false;
    await this.register.mutateRaw(ref, async (snap) => {
      if (snap && !isTombstone(snap.meta)) throw exists();
      // A name that moved away is re-used only once its move has landed at the target.
      if (snap) await this.settleTombstone?.(snap.meta);
      replaced = Boolean(snap);
      return { write: meta, result: undefined };
    });
    if (replaced) this.sweepLater(ref);
    return meta;
  }

  /** Finishes the commit of a sealed lease (set by the composition root: VersionCommitter.finishSealed). */
  finishSealed: ((ref: StackRef, updateId: string) => Promise<void>) | undefined;

  /** Settles the move a tombstone records (set by the composition root: StackMover.settleTarget). */
  settleTombstone: ((tombstone: StackMeta) => Promise<void>) | undefined;

  /** Reads a stack the principal may see (404 otherwise, to outsiders too). */
  async get(principal: Principal, ref: StackRef) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    return (await this.register.read(ref)).meta;
  }

  /** `GET S`: the stack as the CLI reads it (see stackView). */
  async view(principal: Principal, ref: StackRef) {
    const meta = await this.get(principal, ref);
    if (meta.lease || meta.lastUpdateId !== undefined || meta.version === 0) return stackView(meta);
    // A register from before `lastUpdateId`: the history entry of its latest version names it.
    const entry = await readJson<HistoryEntry>(this.store, layout.historyKey(locOf(meta), meta.version));
    return stackView(meta, entry?.value.updateId);
  }

  async projectExists(principal: Principal, org: string, project: string): Promise<boolean> {
    if (!roleIn(principal, org)) return false;
    const page = await this.store.list({ prefix: layout.projectPrefix(org, project), maxKeys: 1 });
    return page.objects.length > 0 || page.commonPrefixes.length > 0;
  }

  /**
   * `PATCH S/tags`: the whole map replaces the stack's tags, except that the CLI's own `pulumi:`
   * tags must come back unchanged (src/domain/cli-tags.ts) — checked against the tags this
   * compare-and-swap replaces, so an update that changed them meanwhile is not undone.
   */
  async setTags(principal: Principal, ref: StackRef, tags: Record<string, string>) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const valid = validateTags(tags);
    await this.register.mutate(ref, ({ meta }) => {
      requireCliTagsUnchanged(meta.tags, valid);
      return { write: { ...meta, tags: valid }, result: undefined };
    });
  }

  /**
   * Delete (docs/design.md, "Delete"): one compare-and-swap turns the live register into a
   * tombstone — the commit point — then the incarnation's objects are swept. The tombstone stays:
   * the register is never removed, so a create racing the delete can only win by CAS over it.
   */
  async delete(principal: Principal, ref: StackRef, force: boolean) {
    requireRole(principal, ref.org, 'admin', stackLabel(ref));
    // A commit in progress is finished first, so what it commits is judged by the resource check.
    const held = (await this.register.read(ref)).meta.lease;
    if (held?.sealed) await this.finishSealed?.(ref, held.updateId);
    await this.register.mutate(ref, ({ meta, storeTime }) => {
      if (leaseIsLive(meta.lease, storeTime)) throw conflict('Another update is currently in progress.');
      // Exact text the CLI matches (pkg/backend/httpstate/client/client.go: isStackHasResourcesError).
      if (!force && meta.resourceCount > 0) throw badRequest('Stack still contains resources.');
      return { write: { ...meta, lease: null, deleted: { at: storeTime.toISOString() } }, result: undefined };
    });
    await this.sweep(ref);
  }

  /** Removes the objects of the name's dead incarnations; never throws (a later sweep retries). */
  async sweep(ref: StackRef): Promise<void> {
    try {
      await sweepStack(this.store, this.register, ref);
    } catch (err) {
      this.log.warn({ err, stack: stackLabel(ref) }, 'could not sweep the objects of a dead incarnation');
    }
  }

  private sweepLater(ref: StackRef): void {
    void this.sweep(ref);
  }

  /**
   * One page of the stacks the principal can see, in key order. The continuation token is the last
   * stack's position (base64url: URL-safe and slash-free, docs/protocol.md#pagination); each page
   * costs LISTs bounded by the page and register reads bounded by MAX_SCANNED_PER_PAGE.
   */
  async list(principal: Principal, filter: ListFilter) {
    const after = filter.continuationToken ? decodeToken(filter.continuationToken) : undefined;
    let orgs = principal.siteAdmin ? await this.allOrgs() : visibleOrgs(principal).sort(folderOrder);
    if (filter.organization !== undefined) orgs = orgs.filter((o) => o === filter.organization);
    orgs = orgs.filter((o) => !after || folderOrder(o, after[0]) >= 0);

    const stacks: StackMeta[] = [];
    let scanned = 0;
    let last: [string, string, string] | undefined;
    let more = false;
    outer: for (const org of orgs) {
      const projects =
        filter.project !== undefined
          ? [filter.project]
          : await this.childNames(`${org}/`, after?.[0] === org ? after[1] : undefined, true, MAX_SCANNED_PER_PAGE);
      for (const project of projects) {
        if (after && org === after[0] && folderOrder(project, after[1]) < 0) continue;
        const resumeAt = after && org === after[0] && project === after[1] ? after[2] : undefined;
        const names = await this.childNames(`${org}/${project}/`, resumeAt, false, MAX_SCANNED_PER_PAGE - scanned);
        // Registers are read a chunk at a time, sized to the room left on the page, so an
        // unfiltered page reads about as many registers as it returns.
        for (let start = 0; start < names.length; ) {
          const room = filter.tagName === undefined ? STACK_PAGE_SIZE - stacks.length : 16;
          const chunk = names.slice(start, start + Math.max(1, Math.min(room, MAX_SCANNED_PER_PAGE - scanned)));
          start += chunk.length;
          const metas = await mapLimit(chunk, 16, (stack) => this.register.readRaw({ org, project, stack }));
          for (let i = 0; i < chunk.length; i++) {
            scanned++;
            last = [org, project, chunk[i] as string];
            const meta = metas[i]?.meta;
            // A stack moving away is still listed at its old name until the move lands.
            const listed = meta && (registerState(meta) === 'live' || registerState(meta) === 'moving-out');
            if (meta && listed && matchesTag(meta, filter)) stacks.push(meta);
            if (stacks.length >= STACK_PAGE_SIZE || scanned >= MAX_SCANNED_PER_PAGE) {
              more = true;
              break outer;
            }
          }
        }
      }
    }
    return {
      stacks: stacks.map((m) => ({
        id: m.stackId,
        orgName: m.org,
        projectName: m.project,
        stackName: m.stack,
        // 0 marks "update in progress" for `stack ls` (pkg/cmd/pulumi/stack/stack_list.go).
        ...(m.lastUpdate > 0 || m.lease ? { lastUpdate: m.lease ? 0 : m.lastUpdate } : {}),
        resourceCount: m.resourceCount,
        tags: m.tags,
      })),
      ...(more && last ? { continuationToken: encodeToken(last) } : {}),
    };
  }

  private async allOrgs(): Promise<string[]> {
    const names = await this.childNames('', undefined, true);
    return names.filter((n) => `${n}/` !== SYSTEM_PREFIX);
  }

  /**
   * Names of the "folders" directly under a prefix, in key order, strictly after `after` (or
   * from `after` itself when `inclusive`, to resume inside it).
   */
  private async childNames(prefix: string, after: string | undefined, inclusive: boolean, limit = 10_000): Promise<string[]> {
    const names: string[] = [];
    // `${after}0` sorts right after every key of the folder `${after}/` ('0' follows '/').
    let startAfter = after === undefined ? undefined : inclusive ? `${prefix}${after}` : `${prefix}${after}0`;
    let continuationToken: string | undefined;
    do {
      const maxKeys = Math.min(1000, Math.max(1, limit - names.length));
      const page = await this.store.list({ prefix, delimiter: '/', startAfter, continuationToken, maxKeys });
      for (const p of page.commonPrefixes) names.push(p.slice(prefix.length, -1));
      continuationToken = page.nextContinuationToken;
      startAfter = undefined;
    } while (continuationToken && names.length < limit);
    return names;
  }
}

/** S3 lists "folders" in the order of `name/`, which is not plain string order ('-' < '/' < '0'). */
const folderOrder = (a: string, b: string): number => {
  const x = `${a}/`;
  const y = `${b}/`;
  return x < y ? -1 : x > y ? 1 : 0;
};

function matchesTag(meta: StackMeta, filter: ListFilter): boolean {
  if (filter.tagName === undefined) return true;
  // Own keys only: a filter on `__proto__` must not match every stack through the prototype.
  if (!Object.hasOwn(meta.tags, filter.tagName)) return false;
  const value = meta.tags[filter.tagName];
  return filter.tagValue === undefined || value === filter.tagValue;
}

function encodeToken(pos: [string, string, string]): string {
  return Buffer.from(JSON.stringify(pos)).toString('base64url');
}

function decodeToken(token: string): [string, string, string] {
  try {
    const pos = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(pos) && pos.length === 3 && pos.every((p) => typeof p === 'string')) {
      return pos as [string, string, string];
    }
  } catch {
    /* fall through */
  }
  throw badRequest('invalid continuationToken');
}

function validateInitialState(state: unknown) {
  const s = state as { version?: unknown; deployment?: unknown } | null;
  if (!s || typeof s !== 'object' || typeof s.version !== 'number' || s.version < 1 || s.version > 4) {
    throw badRequest('state must be an UntypedDeployment with a version between 1 and 4');
  }
  if (Buffer.byteLength(JSON.stringify(state)) > 1024 * 1024) {
    throw badRequest('an initial state larger than 1 MiB is not accepted at creation; use stack import');
  }
}
