/**
 * Journal replay: rebuilding a stack's state from the base deployment and the journal entries of an
 * update that started with `journalVersion: 1` (docs/protocol.md#journaling). Mirrors
 * `JournalReplayer` in pkg/backend/journal.go (v3.259.0) — `Add` here is `add`,
 * `GenerateDeployment` is `generate` (whose tail lives in journal-deployment.ts).
 *
 * The model: the update works against an immutable *base* (the state at update start, or one
 * installed by a write / rebuilt-base-state entry). Resources this update produces are appended
 * to a list of *new resources*, addressed by the operation that produced them; base resources
 * are addressed by index and can be dropped, replaced or flagged. The state is the new list
 * followed by what is left of the base, which keeps a topological order (see the long comment
 * on `snap` in pkg/backend/journal.go).
 *
 * Incremental: `add` applies only the entries it is given, so a service can feed batch after
 * batch and `generate` at any point (a crash mid-update yields the partial state with the
 * in-flight operations as pending operations). Each entry costs O(1) bookkeeping; `generate`
 * is O(resources).
 */
import { badRequest } from './errors.js';
import { buildDeployment, withFlag, type ManifestInfo, type UntypedDeployment } from './journal-deployment.js';
import {
  isJsonObject,
  JournalKind,
  kindName,
  type DeploymentJson,
  type JournalEntry,
  type Operation,
  type ResourceState,
} from '../wire/journal-entry.js';

export type { ManifestInfo, UntypedDeployment } from './journal-deployment.js';

/** The replay bookkeeping as plain JSON, to persist between batches (e.g. in the bucket). */
export interface JournalReplayState {
  base: DeploymentJson;
  newResources: ResourceState[];
  /** [operation id, index into newResources] */
  operationIndexes: [number, number][];
  /** Operation ids whose new resource is dropped. */
  removedNew: number[];
  /** Base indexes: dropped, replaced, flagged delete, flagged pending replacement. */
  removedOld: number[];
  replacedOld: [number, ResourceState][];
  deletedOld: number[];
  pendingReplacementOld: number[];
  /** Begin entries not yet ended, in the order they began. */
  openOperations: [number, Operation | null][];
  hasRefresh: boolean;
  requiresByteString: boolean;
  extensions: [string, unknown][];
  lastSequenceID: number;
  /** Set by a rebuilt-base-state entry that came after new resources: nothing may follow. */
  terminal: boolean;
}

/** The manifest of an intermediate base is never written out; any time will do. */
const INTERMEDIATE: ManifestInfo = { now: new Date(0), version: '' };

export class JournalReplayer {
  private base: DeploymentJson;
  private baseResources: ResourceState[];
  private newResources: ResourceState[] = [];
  private operationIndexes = new Map<number, number>();
  private removedNew = new Set<number>();
  private removedOld = new Set<number>();
  private replacedOld = new Map<number, ResourceState>();
  private deletedOld = new Set<number>();
  private pendingReplacementOld = new Set<number>();
  private openOperations = new Map<number, Operation | null>();
  private hasRefresh = false;
  private requiresByteString = false;
  private extensions = new Map<string, unknown>();
  private lastSequenceID = 0;
  private terminal = false;
  private broken: Error | undefined;

  /**
   * `base` is the DeploymentV3 the stack had when the update started (the `deployment` of the
   * stored UntypedDeployment); `{}` or undefined for a stack that was never updated.
   */
  constructor(base?: DeploymentJson | null) {
    this.base = { ...(base ?? {}) };
    this.baseResources = resourcesOf(this.base, 'base deployment');
  }

  /** Rebuilds a replayer from `state()`. */
  static restore(state: JournalReplayState): JournalReplayer {
    const r = new JournalReplayer(state.base);
    r.newResources = [...state.newResources];
    r.operationIndexes = new Map(state.operationIndexes);
    r.removedNew = new Set(state.removedNew);
    r.removedOld = new Set(state.removedOld);
    r.replacedOld = new Map(state.replacedOld);
    r.deletedOld = new Set(state.deletedOld);
    r.pendingReplacementOld = new Set(state.pendingReplacementOld);
    r.openOperations = new Map(state.openOperations);
    r.hasRefresh = state.hasRefresh;
    r.requiresByteString = state.requiresByteString;
    r.extensions = new Map(state.extensions);
    r.lastSequenceID = state.lastSequenceID;
    r.terminal = state.terminal;
    return r;
  }

  /** The bookkeeping as JSON-serializable data (shares the resource objects; do not mutate). */
  state(): JournalReplayState {
    this.assertUsable();
    return {
      base: this.base,
      newResources: [...this.newResources],
      operationIndexes: [...this.operationIndexes],
      removedNew: [...this.removedNew],
      removedOld: [...this.removedOld],
      replacedOld: [...this.replacedOld],
      deletedOld: [...this.deletedOld],
      pendingReplacementOld: [...this.pendingReplacementOld],
      openOperations: [...this.openOperations],
      hasRefresh: this.hasRefresh,
      requiresByteString: this.requiresByteString,
      extensions: [...this.extensions],
      lastSequenceID: this.lastSequenceID,
      terminal: this.terminal,
    };
  }

  /** The highest sequenceID applied so far (0 before any). */
  get lastSequence(): number {
    return this.lastSequenceID;
  }

  /**
   * The entries of a batch not applied yet. The CLI retries a batch after a 5xx, so a batch may
   * repeat entries that were already applied; those are recognised by their sequenceID.
   */
  unseen(entries: readonly JournalEntry[]): JournalEntry[] {
    return entries.filter((e) => e.sequenceID > this.lastSequenceID);
  }

  /**
   * Applies entries in order (ascending sequenceID). Throws badRequest for a sequenceID that
   * does not increase, an index outside the base, or an operation id that produced no resource.
   * After a throw the replayer refuses further use: rebuild it from the entries that were kept.
   */
  add(entries: readonly JournalEntry[]): void {
    this.assertUsable();
    for (const entry of entries) {
      try {
        this.apply(entry);
      } catch (err) {
        this.broken = err as Error;
        throw err;
      }
    }
  }

  /** The state as the CLI's `GenerateDeployment` would produce it now. */
  generate(info: ManifestInfo): UntypedDeployment {
    this.assertUsable();
    const dropped = new Set<number>();
    for (const op of this.removedNew) dropped.add(this.operationIndexes.get(op) as number);
    const resources = this.newResources.filter((_, i) => !dropped.has(i));
    const written = resources.length;
    this.baseResources.forEach((res, i) => {
      if (this.removedOld.has(i)) return;
      // A replacement wins over the flags: e.g. a refresh (replace) followed by a delete.
      const replaced = this.replacedOld.get(i);
      if (replaced) {
        resources.push(replaced);
        return;
      }
      let out = res;
      if (this.pendingReplacementOld.has(i)) out = withFlag(out, 'pendingReplacement');
      if (this.deletedOld.has(i)) out = withFlag(out, 'delete');
      resources.push(out);
    });
    const openOperations: Operation[] = [];
    for (const op of this.openOperations.values()) if (op) openOperations.push(op);
    return buildDeployment(
      {
        base: this.base,
        resources,
        written,
        openOperations,
        hasRefresh: this.hasRefresh,
        requiresByteString: this.requiresByteString,
        extensions: this.extensions,
      },
      info,
    );
  }

  private assertUsable(): void {
    if (this.broken) throw badRequest(`journal replay stopped at an invalid entry: ${this.broken.message}`);
  }

  private apply(e: JournalEntry): void {
    const at = `journal entry ${e.sequenceID} (${kindName(e.kind)})`;
    if (e.sequenceID <= this.lastSequenceID) {
      throw badRequest(`${at}: sequenceID must increase (the previous entry was ${this.lastSequenceID})`);
    }
    if (this.terminal) {
      throw badRequest(`${at}: no entry may follow a rebuilt-base-state entry that came after new resources`);
    }
    if (e.kind <= JournalKind.outputs && e.operationID < 1) {
      throw badRequest(`${at}: a resource operation needs an operationID of at least 1`);
    }
    this.lastSequenceID = e.sequenceID;
    if (e.requiresByteString) this.requiresByteString = true;

    switch (e.kind) {
      case JournalKind.begin:
        this.openOperations.set(e.operationID, e.operation ?? null);
        break;
      case JournalKind.success:
        this.success(e, at);
        break;
      case JournalKind.failure:
        // A failed step leaves the state as it was; the state it carries is not kept.
        this.openOperations.delete(e.operationID);
        break;
      case JournalKind.refreshSuccess:
        this.refreshSuccess(e, at);
        break;
      case JournalKind.outputs:
        if (e.state && e.removeOld !== undefined) this.replacedOld.set(this.oldIndex(e.removeOld, at), e.state);
        if (e.state && e.removeNew !== undefined) this.newResources[this.newIndex(e.removeNew, at)] = e.state;
        break;
      case JournalKind.write:
        // A new base (e.g. after provider migration); the CLI sends it before any other mutation.
        this.base = { ...(e.newSnapshot as DeploymentJson) };
        this.baseResources = resourcesOf(this.base, at);
        break;
      case JournalKind.secretsManager: {
        // The base's provider is kept when identical, so secrets are not re-encrypted for nothing.
        const current = this.base.secrets_providers;
        if (!(isJsonObject(current) && sameJson(current, e.secretsProvider))) this.base.secrets_providers = e.secretsProvider;
        break;
      }
      case JournalKind.rebuiltBaseState:
        this.rebuildBase();
        break;
      case JournalKind.extensionParameterize:
        this.extensions.set(e.extensionRef as string, e.extension);
        break;
      case JournalKind.snippets:
        if (e.snippets) this.base.snippets = e.snippets;
        else delete this.base.snippets;
        break;
    }
  }

  private success(e: JournalEntry, at: string): void {
    this.openOperations.delete(e.operationID);
    // Check every reference before changing anything for this entry.
    const removeOld = e.removeOld === undefined ? undefined : this.oldIndex(e.removeOld, at);
    const deleteOld = e.deleteOld === undefined ? undefined : this.oldIndex(e.deleteOld, at);
    const pendingOld = e.pendingReplacementOld === undefined ? undefined : this.oldIndex(e.pendingReplacementOld, at);
    if (e.state) {
      this.operationIndexes.set(e.operationID, this.newResources.length);
      this.newResources.push(e.state);
    }
    if (e.removeNew !== undefined) {
      this.newIndex(e.removeNew, at);
      this.removedNew.add(e.removeNew);
    }
    if (e.deleteNew !== undefined) this.flagNew(this.newIndex(e.deleteNew, at), 'delete');
    if (e.pendingReplacementNew !== undefined) this.flagNew(this.newIndex(e.pendingReplacementNew, at), 'pendingReplacement');
    if (removeOld !== undefined) this.removedOld.add(removeOld);
    if (deleteOld !== undefined) this.deletedOld.add(deleteOld);
    if (pendingOld !== undefined) this.pendingReplacementOld.add(pendingOld);
    if (e.isRefresh) this.hasRefresh = true;
  }

  /** A refresh that updates in place: the state replaces the resource, no state drops it. */
  private refreshSuccess(e: JournalEntry, at: string): void {
    this.openOperations.delete(e.operationID);
    this.hasRefresh = true;
    if (e.removeOld !== undefined) {
      const i = this.oldIndex(e.removeOld, at);
      if (e.state) this.replacedOld.set(i, e.state);
      else this.removedOld.add(i);
    }
    if (e.removeNew !== undefined) {
      const i = this.newIndex(e.removeNew, at);
      if (e.state) this.newResources[i] = e.state;
      else this.removedNew.add(e.removeNew);
    }
  }

  /**
   * Materialises the current state and makes it the new base, forgetting this update's
   * bookkeeping (sent after the refresh phase of `up --refresh`). The generated state is URN-
   * normalised, so the new base carries no aliases.
   */
  private rebuildBase(): void {
    const hadNewResources = this.newResources.length > 0;
    this.base = { ...this.generate(INTERMEDIATE).deployment };
    this.baseResources = resourcesOf(this.base, 'rebuilt base');
    this.newResources = [];
    this.operationIndexes = new Map();
    this.removedNew = new Set();
    this.removedOld = new Set();
    this.replacedOld = new Map();
    this.deletedOld = new Set();
    this.pendingReplacementOld = new Set();
    this.openOperations = new Map();
    this.extensions = new Map();
    // pkg/engine/journal_snapshot.go (RebuiltBaseState): after new resources it must be last.
    this.terminal = hadNewResources;
  }

  private flagNew(i: number, flag: 'delete' | 'pendingReplacement'): void {
    this.newResources[i] = withFlag(this.newResources[i] as ResourceState, flag);
  }

  /** Checks an index into the current base's resources. */
  private oldIndex(i: number, at: string): number {
    if (i >= this.baseResources.length) {
      throw badRequest(`${at}: index ${i} is outside the base deployment's ${this.baseResources.length} resources`);
    }
    return i;
  }

  /** The position in the new resources of the resource operation `op` produced. */
  private newIndex(op: number, at: string): number {
    const i = this.operationIndexes.get(op);
    if (i === undefined) throw badRequest(`${at}: operation ${op} produced no resource in this update`);
    return i;
  }
}

function resourcesOf(deployment: DeploymentJson, what: string): ResourceState[] {
  const list = deployment.resources;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || !list.every((r) => isJsonObject(r) && typeof r.urn === 'string')) {
    throw badRequest(`${what}: resources must be a list of resource states`);
  }
  return list as ResourceState[];
}

/** Go compares the type and the raw state bytes; equal JSON text is the closest equivalent. */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
