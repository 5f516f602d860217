/**
 * The update lifecycle (protocol §2.4, §5.2–5.6; DESIGN §4): create → start (lease + token) →
 * checkpoints and events under the update's own write-once keys → complete, which commits one
 * version by compare-and-swapping the register. Cancel and lease takeover roll the dead
 * update's newest checkpoint forward, so resources it created stay recorded.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store.js';
import { isNotFound, isPreconditionFailed } from '../storage/storage-error.js';
import { layout, referenceLayout, type StackRef } from '../storage/layout.js';
import { parseStackPath, referencedStacks } from '../domain/stack-references.js';
import { badRequest, conflict, forbidden, FulmarError, notFound } from '../domain/errors.js';
import { cacheKeyOf, leaseIsLive, resourceCountOf, type Lease, type StackMeta, type UpdateKind } from '../domain/stack-meta.js';
import { nowSeconds, type ConfigValue, type HistoryEntry, type UpdateRecord, type UpdateStatus } from '../domain/update-record.js';
import { requireRole, type Principal } from '../domain/roles.js';
import { newUpdateId, validateUpdateId } from '../domain/names.js';
import { reconstructCheckpoint, sha256Hex } from '../domain/checkpoint-delta.js';
import type { ImmutableCache } from '../storage/immutable-cache.js';
import type { Logger } from '../observability/logger.js';
import { freshNonce, MetaRegister, type MetaSnapshot } from './meta-register.js';
import { Checkpoints, refOf } from './checkpoints.js';
import { deletePrefix } from './prefix-ops.js';
import { listAllKeys, readJson, writeJson } from './json-objects.js';
import { stackLabel } from './stack-service.js';

export interface UpdateProgram {
  name: string;
  runtime: string;
  main: string;
  description: string;
  dryRun: boolean;
  config: Record<string, ConfigValue>;
  message: string;
  environment: Record<string, string>;
}

export interface EngineEvent {
  sequence: number;
  timestamp: number;
  [k: string]: unknown;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const sameHash = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

const leaseLost = () =>
  forbidden('The update lease has expired or the update was cancelled; this update can no longer write to the stack.');

/** Who is calling an update-token route, and the stack register as they found it. */
interface UpdateAuth {
  snap: MetaSnapshot;
  lease?: Lease;
  record?: UpdateRecord;
}

export class UpdateService {
  constructor(
    private readonly store: ObjectStore,
    private readonly register: MetaRegister,
    private readonly checkpoints: Checkpoints,
    private readonly cache: ImmutableCache,
    private readonly leaseSeconds: number,
    private readonly log: Logger,
  ) {}

  // ---- records -------------------------------------------------------------------------

  async readRecord(ref: StackRef, updateId: string): Promise<{ record: UpdateRecord; etag: string }> {
    validateUpdateId(updateId);
    const got = await readJson<UpdateRecord>(this.store, layout.updateKey(ref, updateId));
    if (!got) throw notFound(`update '${updateId}' not found`);
    return { record: got.value, etag: got.etag };
  }

  /** CAS on an update record; `change` returning undefined means "nothing to do". */
  private async mutateRecord(ref: StackRef, updateId: string, change: (r: UpdateRecord) => UpdateRecord | undefined) {
    for (let attempt = 0; attempt < 8; attempt++) {
      const { record, etag } = await this.readRecord(ref, updateId);
      const next = change(record);
      if (!next) return record;
      try {
        await writeJson(this.store, layout.updateKey(ref, updateId), { ...next, nonce: freshNonce() }, { ifMatch: etag });
        return next;
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
      }
    }
    throw conflict(`update '${updateId}' was modified concurrently; please retry`);
  }

  // ---- create / start --------------------------------------------------------------------

  async create(principal: Principal, ref: StackRef, kind: Exclude<UpdateKind, 'import'>, program: UpdateProgram) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    await this.register.read(ref);
    const id = newUpdateId();
    const record: UpdateRecord = {
      id,
      // `pulumi preview` creates a `preview`; `up`'s preview phase is an `update` with dryRun
      // (protocol §2.4.1) — both are recorded as previews and never enter the history.
      kind,
      dryRun: program.dryRun || kind === 'preview',
      status: 'not started',
      createdAt: nowSeconds(),
      author: principal.login,
      program: { name: program.name, runtime: program.runtime, main: program.main, description: program.description },
      message: program.message,
      environment: program.environment,
      config: program.config,
      nonce: freshNonce(),
    };
    await writeJson(this.store, layout.updateKey(ref, id), record, { ifNoneMatch: '*' });
    return { updateID: id };
  }

  async start(principal: Principal, ref: StackRef, updateId: string, tags: Record<string, string> | undefined) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const { record } = await this.readRecord(ref, updateId);
    if (record.status !== 'not started') throw conflict(`update '${updateId}' has already been started`);
    const token = randomBytes(32).toString('base64url');
    const tokenHash = hashToken(token);
    const startedAt = nowSeconds();

    let version: number;
    if (record.dryRun) {
      // Previews never write state, so they take no lease (protocol §5.2 leaves it to us).
      version = (await this.register.read(ref)).meta.version;
    } else {
      version = await this.register.mutate(ref, async (snap) => {
        let meta = snap.meta;
        if (meta.lease && meta.lease.updateId !== updateId) {
          if (leaseIsLive(meta.lease, snap.storeTime)) {
            // The CLI shows this with its update-conflict guidance (backend.go: createAndStartUpdate).
            throw conflict('Another update is currently in progress.');
          }
          meta = await this.rollForward(meta, meta.lease, 'failed');
        }
        const next = meta.version + 1;
        const lease: Lease = {
          updateId,
          kind: record.kind,
          version: next,
          tokenHash,
          epoch: meta.leaseEpoch + 1,
          renewedAt: snap.storeTime.toISOString(),
          durationSeconds: this.leaseSeconds,
          author: principal.login,
          startedAt,
        };
        // Start tags replace the stack's tags (protocol §2.4.2).
        return { write: { ...meta, lease, leaseEpoch: lease.epoch, tags: tags ?? meta.tags }, result: next };
      });
    }
    await this.mutateRecord(ref, updateId, (r) => ({ ...r, status: 'running', startTime: startedAt, version, tokenHash }));
    return {
      version,
      token,
      tokenExpiration: startedAt + this.leaseSeconds,
      // Journaling is not offered yet; 0 makes the CLI send checkpoints (protocol §5.5).
      journalVersion: 0,
    };
  }

  // ---- update-token authorization ----------------------------------------------------------

  /**
   * Verifies an update token: against the stack's lease for a running update (one GET), or
   * against the update record for previews and for retries after the lease was released.
   */
  private async authorize(ref: StackRef, updateId: string, token: string): Promise<UpdateAuth> {
    validateUpdateId(updateId);
    const hash = hashToken(token);
    const snap = await this.register.read(ref);
    const lease = snap.meta.lease;
    if (lease?.updateId === updateId) {
      if (!sameHash(hash, lease.tokenHash)) throw forbidden('The update token is not valid for this update.');
      return { snap, lease };
    }
    const { record } = await this.readRecord(ref, updateId);
    if (!record.tokenHash || !sameHash(hash, record.tokenHash)) {
      throw forbidden('The update token is not valid for this update.');
    }
    return { snap, record };
  }

  private async authorizeWriter(ref: StackRef, updateId: string, token: string): Promise<UpdateAuth & { lease: Lease }> {
    const auth = await this.authorize(ref, updateId, token);
    if (!auth.lease) {
      if (auth.record?.dryRun) throw badRequest('a preview cannot write checkpoints');
      throw leaseLost();
    }
    return auth as UpdateAuth & { lease: Lease };
  }

  // ---- checkpoints -----------------------------------------------------------------------

  /** `PATCH …/checkpoint`: a whole deployment; stored as the next intermediate checkpoint. */
  async saveFullCheckpoint(ref: StackRef, updateId: string, token: string, untypedDeployment: Buffer) {
    await this.authorizeWriter(ref, updateId, token);
    for (let attempt = 0; attempt < 5; attempt++) {
      const latest = await this.checkpoints.latestOfUpdate(ref, updateId);
      // A retried PATCH whose first attempt landed: the bytes are already the newest.
      if (latest && latest.body.equals(untypedDeployment)) return;
      const sequence = (latest?.sequence ?? 0) + 1;
      if (await this.writeIntermediate(ref, updateId, sequence, untypedDeployment)) return this.confirmLease(ref, updateId);
    }
    throw conflict('checkpoints of this update are being written concurrently; please retry');
  }

  /** `PATCH …/checkpointverbatim` (protocol §2.4.4): the bytes are stored exactly as received. */
  async saveVerbatimCheckpoint(ref: StackRef, updateId: string, token: string, sequence: number, text: Buffer) {
    await this.authorizeWriter(ref, updateId, token);
    await this.writeOnce(ref, updateId, sequence, text);
  }

  /** `PATCH …/checkpointdelta` (protocol §5.3): byte-offset edits against the previous text. */
  async saveDeltaCheckpoint(
    ref: StackRef,
    updateId: string,
    token: string,
    sequence: number,
    checkpointHash: string,
    delta: unknown,
  ) {
    await this.authorizeWriter(ref, updateId, token);
    const existing = await this.checkpoints.intermediate(ref, updateId, sequence);
    if (existing) {
      // A retry of a delta that was applied but whose answer was lost.
      if (sha256Hex(existing) === checkpointHash) return;
      throw conflict(`checkpoint ${sequence} of this update was already saved with different content`);
    }
    const base = sequence > 1 ? await this.checkpoints.intermediate(ref, updateId, sequence - 1) : undefined;
    // Any 4xx here makes the CLI resend the same sequence number as a verbatim checkpoint.
    if (!base) throw badRequest(`no checkpoint ${sequence - 1} to apply delta ${sequence} to; send it verbatim`);
    const text = reconstructCheckpoint(base, delta as Parameters<typeof reconstructCheckpoint>[1], checkpointHash);
    await this.writeOnce(ref, updateId, sequence, text);
  }

  private async writeOnce(ref: StackRef, updateId: string, sequence: number, text: Buffer) {
    if (!Number.isSafeInteger(sequence) || sequence < 1) throw badRequest('sequenceNumber must be a positive integer');
    if (await this.writeIntermediate(ref, updateId, sequence, text)) return this.confirmLease(ref, updateId);
    const stored = await this.checkpoints.intermediate(ref, updateId, sequence);
    if (stored && stored.equals(text)) return;
    throw conflict(`checkpoint ${sequence} of this update was already saved with different content`);
  }

  /**
   * After a checkpoint is written: if a cancel or takeover committed the update meanwhile, that
   * commit may not include this checkpoint, so it must not be acknowledged (fencing).
   */
  private async confirmLease(ref: StackRef, updateId: string): Promise<void> {
    const { meta } = await this.register.read(ref);
    if (meta.lease?.updateId !== updateId) throw leaseLost();
  }

  /** Create-once write of an intermediate checkpoint; false when the sequence is taken. */
  private async writeIntermediate(ref: StackRef, updateId: string, sequence: number, text: Buffer): Promise<boolean> {
    try {
      await this.store.put(layout.updateCheckpointKey(ref, updateId, sequence), text, {
        ifNoneMatch: '*',
        contentType: 'application/json',
      });
      this.checkpoints.remember(updateId, sequence, text);
      return true;
    } catch (err) {
      if (isPreconditionFailed(err)) return false;
      throw err;
    }
  }

  // ---- events ------------------------------------------------------------------------------

  /** `POST …/events/batch`: one write-once object per batch; retries and overlaps de-duplicate on read. */
  async recordEvents(ref: StackRef, updateId: string, token: string, events: EngineEvent[]) {
    await this.authorize(ref, updateId, token);
    if (events.length === 0) return;
    const sorted = [...events].sort((a, b) => a.sequence - b.sequence);
    const first = (sorted[0] as EngineEvent).sequence;
    const last = (sorted[sorted.length - 1] as EngineEvent).sequence;
    try {
      await writeJson(this.store, layout.updateEventsKey(ref, updateId, first, last), { events: sorted }, { ifNoneMatch: '*' });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err; // the same batch, retried
    }
    const summary = sorted.find((e) => e.summaryEvent)?.summaryEvent as { resourceChanges?: Record<string, number> } | undefined;
    if (summary?.resourceChanges) {
      const changes = summary.resourceChanges;
      await this.mutateRecord(ref, updateId, (r) => ({ ...r, resourceChanges: changes }));
    }
  }

  /** `GET …/events` (protocol §2.4.11): events in sequence order, paged by sequence. */
  async listEvents(principal: Principal, ref: StackRef, updateId: string, continuationToken: string | undefined) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { record } = await this.readRecord(ref, updateId);
    const after = continuationToken === undefined ? -1 : Number.parseInt(continuationToken, 10);
    if (!Number.isSafeInteger(after)) throw badRequest('invalid continuationToken');
    const keys = await listAllKeys(this.store, layout.updateEventsPrefix(ref, updateId));
    const bySeq = new Map<number, EngineEvent>();
    for (const key of keys) {
      const lastSeq = Number.parseInt(key.slice(key.lastIndexOf('-') + 1), 10);
      if (lastSeq <= after) continue;
      const batch = await readJson<{ events: EngineEvent[] }>(this.store, key);
      for (const e of batch?.value.events ?? []) if (e.sequence > after) bySeq.set(e.sequence, e);
    }
    const events = [...bySeq.values()].sort((a, b) => a.sequence - b.sequence).slice(0, 1000);
    const terminal = isTerminal(record.status);
    const lastSeen = events.length > 0 ? (events[events.length - 1] as EngineEvent).sequence : after;
    const more = events.length === 1000 || !terminal;
    return { events, continuationToken: more ? String(lastSeen) : null };
  }

  // ---- lease renewal, completion, cancellation ---------------------------------------------

  async renewLease(ref: StackRef, updateId: string, token: string) {
    const hash = hashToken(token);
    const auth = await this.authorize(ref, updateId, token);
    if (auth.record?.dryRun) return { token, tokenExpiration: nowSeconds() + this.leaseSeconds };
    if (!auth.lease) throw leaseLost(); // 403 stops the CLI's renewals (state.go: RenewLeaseFunc)
    await this.register.mutate(ref, ({ meta, storeTime }) => {
      const lease = meta.lease;
      if (!lease || lease.updateId !== updateId || !sameHash(hash, lease.tokenHash)) throw leaseLost();
      return { write: { ...meta, lease: { ...lease, renewedAt: storeTime.toISOString() } }, result: undefined };
    });
    return { token, tokenExpiration: nowSeconds() + this.leaseSeconds };
  }

  /** `POST …/complete` — idempotent: a retry after a lost answer finds the work done and says 200. */
  async complete(ref: StackRef, updateId: string, token: string, status: 'succeeded' | 'failed' | 'cancelled') {
    const auth = await this.authorize(ref, updateId, token);
    const final: UpdateStatus = status;
    if (auth.lease) {
      await this.commit(ref, updateId, status === 'succeeded' ? 'succeeded' : 'failed');
    } else if (auth.record && !auth.record.dryRun && !isTerminal(auth.record.status)) {
      // The lease is gone but the record was never finished: either our own earlier attempt
      // committed and crashed before this step, or the update was cancelled / taken over.
      const committed = auth.snap.meta.version >= (auth.record.version ?? Infinity);
      if (!committed) throw leaseLost();
    }
    await this.finishRecord(ref, updateId, final);
  }

  /** `POST …/cancel` (API token): ends the update; a non-preview's newest checkpoint is committed. */
  async cancel(principal: Principal, ref: StackRef, updateId: string) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const { record } = await this.readRecord(ref, updateId);
    if (isTerminal(record.status)) return;
    await this.register.mutate(ref, async ({ meta }) => {
      if (meta.lease?.updateId !== updateId) return { result: undefined };
      return { write: await this.rollForward(meta, meta.lease, 'failed'), result: undefined };
    });
    await this.finishRecord(ref, updateId, 'cancelled');
  }

  /** Commits the lease holder's work as its version; safe to repeat after a crash. */
  async commit(ref: StackRef, updateId: string, result: 'succeeded' | 'failed') {
    await this.register.mutate(ref, async ({ meta }) => {
      if (meta.lease?.updateId !== updateId) return { result: undefined }; // already committed
      return { write: await this.rollForward(meta, meta.lease, result), result: undefined };
    });
    // Intermediate checkpoints are redundant once a version is committed.
    deletePrefix(this.store, layout.updateCheckpointsPrefix(ref, updateId)).catch((err: unknown) =>
      this.log.warn({ err, updateId }, 'could not remove intermediate checkpoints'),
    );
  }

  /**
   * The writes that precede the commit point (the register CAS): the version's checkpoint and
   * history entry, both create-once. Version `lease.version` belongs to this lease alone, so an
   * object already there was written by an earlier attempt of this same commit.
   */
  private async rollForward(meta: StackMeta, lease: Lease, result: 'succeeded' | 'failed'): Promise<StackMeta> {
    const ref = refOf(meta);
    const v = lease.version;
    const key = layout.checkpointKey(ref, v);
    const latest = await this.checkpoints.latestOfUpdate(ref, lease.updateId);
    let body = latest?.body;
    if (!body) body = await this.existing(key);
    if (!body) body = await this.checkpoints.committed(meta, meta.version);
    try {
      await this.store.put(key, body, { ifNoneMatch: '*', contentType: 'application/json' });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      body = (await this.existing(key)) ?? body;
    }
    this.cache.set(cacheKeyOf(meta, 'checkpoint', v), body);
    const { resourceCount, references } = summarize(body, meta.org);
    // Index entries are written before the commit point; stale ones are pruned by readers.
    await Promise.all(
      references
        .map(parseStackPath)
        .filter((t): t is StackRef => !!t)
        .map((target) => writeJson(this.store, referenceLayout.key(target, ref), { since: v })),
    );
    const record = await readJson<UpdateRecord>(this.store, layout.updateKey(ref, lease.updateId));
    const now = nowSeconds();
    const entry: HistoryEntry = {
      updateId: lease.updateId,
      kind: lease.kind,
      startTime: lease.startedAt,
      endTime: now,
      message: record?.value.message ?? '',
      environment: record?.value.environment ?? {},
      config: record?.value.config ?? {},
      result,
      version: v,
      ...(record?.value.resourceChanges && { resourceChanges: record.value.resourceChanges }),
      resourceCount,
    };
    try {
      await writeJson(this.store, layout.historyKey(ref, v), entry, { ifNoneMatch: '*' });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
    }
    return { ...meta, version: v, lease: null, lastUpdate: now, resourceCount, references };
  }

  private async existing(key: string): Promise<Buffer | undefined> {
    try {
      return (await this.store.get(key)).body;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async finishRecord(ref: StackRef, updateId: string, status: UpdateStatus) {
    await this.mutateRecord(ref, updateId, (r) => {
      if (isTerminal(r.status)) return undefined;
      return { ...r, status, endTime: nowSeconds() };
    });
  }

  /** `GET …/update/{id}` (protocol §2.3.3): status, polled by `stack import` and `state` edits. */
  async status(principal: Principal, ref: StackRef, updateId: string) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { record } = await this.readRecord(ref, updateId);
    return {
      status: record.status === 'cancelled' ? 'failed' : record.status,
      kind: record.dryRun ? 'preview' : record.kind,
      result: resultOf(record.status),
      ...(record.version !== undefined && { version: record.version }),
      ...(record.startTime !== undefined && { startTime: record.startTime }),
      ...(record.endTime !== undefined && { endTime: record.endTime }),
      message: record.message,
      events: [],
      // Null ends the CLI's polling loop at once (backend.go: waitForUpdate).
      continuationToken: null,
    };
  }

  // ---- import ----------------------------------------------------------------------------

  /** `POST S/import` (seed 000): one shot — reserve a version, store the state, commit. */
  async importDeployment(principal: Principal, ref: StackRef, untypedDeployment: Buffer) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const id = newUpdateId();
    const record: UpdateRecord = {
      id,
      kind: 'import',
      dryRun: false,
      status: 'running',
      createdAt: nowSeconds(),
      startTime: nowSeconds(),
      author: principal.login,
      program: { name: ref.project, runtime: '', main: '', description: '' },
      message: '',
      environment: {},
      config: {},
      nonce: freshNonce(),
    };
    await this.register.read(ref);
    await writeJson(this.store, layout.updateKey(ref, id), record, { ifNoneMatch: '*' });
    const version = await this.register.mutate(ref, async (snap) => {
      let meta = snap.meta;
      if (meta.lease) {
        if (leaseIsLive(meta.lease, snap.storeTime)) throw conflict('Another update is currently in progress.');
        meta = await this.rollForward(meta, meta.lease, 'failed');
      }
      const lease: Lease = {
        updateId: id,
        kind: 'import',
        version: meta.version + 1,
        tokenHash: '',
        epoch: meta.leaseEpoch + 1,
        renewedAt: snap.storeTime.toISOString(),
        durationSeconds: this.leaseSeconds,
        author: principal.login,
        startedAt: record.createdAt,
      };
      return { write: { ...meta, lease, leaseEpoch: lease.epoch }, result: lease.version };
    });
    await this.writeIntermediate(ref, id, 1, untypedDeployment);
    await this.commit(ref, id, 'succeeded');
    await this.mutateRecord(ref, id, (r) => ({ ...r, status: 'succeeded', endTime: nowSeconds(), version }));
    return { updateId: id, version };
  }

  // ---- history -----------------------------------------------------------------------------

  /** `GET S/updates` (protocol §2.5.1): newest first; versions are dense, so a page is a key range. */
  async history(principal: Principal, ref: StackRef, pageSize: number, page: number) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    const newest = meta.version - (page - 1) * pageSize;
    const versions: number[] = [];
    for (let v = newest; v >= 1 && versions.length < pageSize; v--) versions.push(v);
    const entries = await Promise.all(versions.map((v) => this.historyEntry(meta, v)));
    return entries.filter((e): e is HistoryEntry => !!e).map(updateInfo);
  }

  async latest(principal: Principal, ref: StackRef) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    const entry = meta.version > 0 ? await this.historyEntry(meta, meta.version) : undefined;
    // 404 = "no previous deployment" (client.go: GetLatestConfiguration).
    if (!entry) throw notFound(`${stackLabel(ref)} has no updates`);
    return { info: updateInfo(entry), updateID: entry.updateId, version: entry.version };
  }

  private async historyEntry(meta: StackMeta, version: number): Promise<HistoryEntry | undefined> {
    try {
      const body = await this.cache.getOrLoad(cacheKeyOf(meta, 'history', version), async () => {
        const got = await this.store.get(layout.historyKey(refOf(meta), version));
        return got.body;
      });
      return JSON.parse(body.toString('utf8')) as HistoryEntry;
    } catch (err) {
      if (err instanceof FulmarError) throw err;
      this.log.warn({ err, version }, 'history entry unreadable');
      return undefined;
    }
  }
}

const isTerminal = (s: UpdateStatus) => s === 'succeeded' || s === 'failed' || s === 'cancelled';

function resultOf(status: UpdateStatus): string {
  switch (status) {
    case 'not started':
      return 'not-started';
    case 'running':
      return 'in-progress';
    case 'cancelled':
      return 'failed';
    default:
      return status;
  }
}

/** Resource count and StackReference targets of a committed deployment. */
function summarize(body: Buffer, org: string): { resourceCount: number; references: string[] } {
  try {
    const deployment = (JSON.parse(body.toString('utf8')) as { deployment?: unknown }).deployment;
    return { resourceCount: resourceCountOf(deployment), references: referencedStacks(deployment, org) };
  } catch {
    return { resourceCount: 0, references: [] };
  }
}

/** apitype.UpdateInfo (sdk/go/common/apitype/history.go). */
function updateInfo(e: HistoryEntry) {
  return {
    kind: e.kind,
    startTime: e.startTime,
    endTime: e.endTime,
    message: e.message,
    environment: e.environment,
    config: e.config,
    result: e.result,
    version: e.version,
    resourceChanges: e.resourceChanges ?? {},
    resourceCount: e.resourceCount,
    updateID: e.updateId,
  };
}
