/**
 * `fulmar adopt-diy` (docs/operating.md, "Adopting a DIY backend"): every stack of a pulumi DIY
 * backend brought into an org of Fulmar with its history — each DIY history entry becomes one
 * version, oldest first, with that update's kind, times, message, result, resource changes,
 * environment and config, and the state the CLI kept beside it.
 *
 * Nothing is written by hand: the stack is created as `pulumi stack init` would (StackService),
 * and each version is an import (docs/design.md, "Import": written first, then a sealed lease and
 * its commit), told as the adopted update in its history entry (UpdateRecord.adopted). So a crash
 * leaves at worst a sealed lease that any pod commits, and every import names the version it must
 * become: a rerun, or a second adopter racing this one, can never append an update twice.
 *
 * Idempotent. The stack carries the tag `fulmar:adopted-from` = the source, and each version's
 * history entry the DIY entry it came from; a rerun continues after the last one adopted. A stack
 * of the same name not adopted from this source is never touched.
 *
 * The DIY backend is only read (src/storage/read-only-store.ts); the deployments keep their own
 * secrets provider (a passphrase or a cloud KMS: `secrets_providers` inside them), so the CLI goes
 * on decrypting them exactly as before.
 */
import { createHash } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store.js';
import type { StackRef } from '../storage/layout.js';
import type { StoreLocation } from '../storage/store-location.js';
import type { ServiceGraph } from '../services/build-services.js';
import { OPERATOR } from '../services/auth-service.js';
import { mapLimit } from '../services/prefix-ops.js';
import { checkDeployment } from '../domain/deployment-check.js';
import { isFulmarError, notFound } from '../domain/errors.js';
import { projectOfDeployment, type DiyState } from '../domain/diy-checkpoint.js';
import { labelOf, type DiyHistoryFiles, type DiyLayout } from '../domain/diy-layout.js';
import { registerState, type StackMeta } from '../domain/stack-meta.js';
import type { AdoptedUpdate, HistoryEntry } from '../domain/update-record.js';
import { validateProjectName, validateStackName, TAG_NAME, MAX_TAG_VALUE_CHARS } from '../domain/names.js';
import { stackLabel } from '../domain/stack-label.js';
import type { ImportOptions } from '../services/update-service.js';
import { DiyReadError, historyOf, locksOf, readState, readUpdate, scanDiy, tagsOf, type DiyStack } from './diy-source.js';
import { isStorageError } from '../storage/storage-error.js';
import { silentProgress, type Progress } from './progress.js';

/** The stack tag that says which DIY backend a stack was adopted from. */
export const ADOPTED_TAG = 'fulmar:adopted-from';
/** The entry name of a version holding a DIY stack's latest state that no history entry tells. */
export const CURRENT_ENTRY = 'current';

/**
 * What names a source in tags and history: `file://<absolute folder>` or `s3://bucket/prefix` —
 * not the endpoint or the credentials, which may change while the data stays. A name longer than
 * a tag value may be is replaced by its SHA-256.
 */
export function sourceIdOf(location: StoreLocation): string {
  const id = location.kind === 'folder' ? `file://${location.root}` : `s3://${location.bucket}/${location.prefix}`.replace(/\/+$/, '');
  return id.length <= MAX_TAG_VALUE_CHARS ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`;
}

export interface AdoptOptions {
  org: string;
  /** sourceIdOf the location read. */
  source: string;
  /** The project of legacy-layout stacks whose states name none (an empty stack). */
  project?: string;
  dryRun?: boolean;
  progress?: Progress;
}

export type Outcome = 'adopted' | 'would-adopt' | 'up-to-date' | 'skipped';

export interface AdoptedStack {
  /** The stack as the DIY backend names it: `project/stack`, or `stack` in the legacy layout. */
  diy: string;
  /** Where it goes (absent when even that could not be told). */
  stack?: StackRef;
  outcome: Outcome;
  /** The Fulmar stack was (or would be) created now. */
  created: boolean;
  /** Versions committed now (or that would be), in order. */
  versions: number[];
  /** Why it was skipped, or something worth knowing about an adopted one. */
  notes: string[];
}

export interface AdoptReport {
  source: string;
  layout: DiyLayout;
  stacks: AdoptedStack[];
  /** Files of the source that were not adopted, with why. */
  ignored: string[];
}

/** One version to commit: a DIY history entry, or the stack's latest state (CURRENT_ENTRY). */
interface Step {
  entry: string;
  /** The deployment bytes, loaded only when its turn comes. */
  deployment: () => Promise<Buffer>;
  update: () => Promise<Omit<AdoptedUpdate, 'source' | 'entry'> & Pick<ImportOptions, 'message' | 'environment' | 'config' | 'resourceChanges'>>;
}

class Skip extends Error {}

export async function adoptDiy(source: ObjectStore, graph: ServiceGraph, options: AdoptOptions): Promise<AdoptReport> {
  const progress = options.progress ?? silentProgress;
  // Orgs are real (docs/design.md, "Organizations"): nothing is created in one that does not exist.
  if (!(await graph.services.orgs.exists(options.org))) {
    throw notFound(`organization '${options.org}' does not exist; create it first: fulmar org create ${options.org}`);
  }
  progress.phase('reading the DIY backend');
  const scan = await scanDiy(source);
  const report: AdoptReport = { source: options.source, layout: scan.layout, stacks: [], ignored: scan.ignored };
  for (const diy of scan.stacks.sort((a, b) => labelOf(a).localeCompare(labelOf(b)))) {
    const done: AdoptedStack = { diy: labelOf(diy), outcome: 'skipped', created: false, versions: [], notes: [] };
    report.stacks.push(done);
    try {
      await adoptStack(source, graph, options, diy, done, progress);
    } catch (err) {
      // One stack that cannot be adopted does not stop the others; anything else is a bug.
      if (!(err instanceof Skip || err instanceof DiyReadError || isFulmarError(err) || isStorageError(err))) throw err;
      done.outcome = 'skipped';
      done.notes.push(err.message);
    }
  }
  progress.done();
  return report;
}

async function adoptStack(source: ObjectStore, graph: ServiceGraph, options: AdoptOptions, diy: DiyStack, done: AdoptedStack, progress: Progress) {
  const locks = await locksOf(source, diy);
  if (locks.length > 0) throw new Skip(`an update is running on it in the DIY backend (${locks.join(', ')}); run again once it has finished`);
  const current = await readState(source, diy.key);
  const history = await historyOf(source, diy);
  const project = diy.project ?? (await legacyProject(source, current, history, options.project, done));
  const ref: StackRef = { org: options.org, project: named(validateProjectName, project), stack: named(validateStackName, diy.stack) };
  done.stack = ref;

  const snap = await graph.register.readRaw(ref);
  let meta: StackMeta | undefined = snap && registerState(snap.meta) !== 'tombstone' ? snap.meta : undefined;
  if (meta) meta = await settled(graph, ref, meta, options.source);
  const adopted = meta ? await adoptedVersions(graph, meta, options.source) : { entries: [], last: 0, since: 0 };

  // What is in already: the DIY entries of the versions adopted, in order.
  const stems = adopted.entries.filter((e) => e !== CURRENT_ENTRY && e !== '');
  let pending = history;
  const lastStem = stems.at(-1);
  if (lastStem !== undefined) {
    const at = history.findIndex((h) => h.stem === lastStem);
    if (at < 0) throw new Skip(`its DIY history no longer holds ${lastStem}, the last entry adopted; nothing more is adopted`);
    pending = history.slice(at + 1);
  }
  const steps: Step[] = [];
  let previous: (() => Promise<Buffer | undefined>) | undefined;
  const committed = meta && adopted.last > 0 ? lastVersionBytes(graph, ref, adopted.last) : undefined;
  for (const h of pending) {
    const step = historyStep(source, h, previous ?? committed);
    if (!step) {
      done.notes.push(`${h.historyKey} has no checkpoint beside it and there is no earlier state to stand for it: not adopted`);
      continue;
    }
    if (!h.checkpointKey) done.notes.push(`${h.historyKey} has no checkpoint beside it: its version keeps the state before it`);
    steps.push(step);
    previous = step.deployment;
  }
  // The stack's own file says where it is now; when no history entry tells that state (a `stack
  // import`, a `state` edit, history turned off), it comes in last as an import of its own.
  const latest = current.deployment;
  const before = previous ?? committed;
  if (latest && !(before && (await before())?.equals(latest))) steps.push(currentStep(latest, diy));
  if (steps.length === 0) {
    done.outcome = 'up-to-date';
    if (meta && adopted.since > 0) done.notes.push(`updated through Fulmar since its adoption (from version ${adopted.since})`);
    return;
  }
  if (meta && adopted.since > 0) {
    throw new Skip(
      `the DIY stack has ${steps.length} update(s) not adopted, but ${stackLabel(ref)} was updated through Fulmar since (from version ${adopted.since}); ` +
        'they are not adopted over that',
    );
  }
  const first = (meta?.version ?? 0) + 1;
  if (options.dryRun) {
    done.outcome = 'would-adopt';
    done.created = !meta;
    done.versions = steps.map((_, i) => first + i);
    return;
  }
  if (!meta) {
    await graph.services.stacks.create(OPERATOR, ref.org, ref.project, { stackName: ref.stack, tags: await tagsFor(source, diy, options.source, done) });
    done.created = true;
  }
  progress.phase(`adopting ${ref.org}/${ref.project}/${ref.stack}`, steps.length);
  for (const [i, step] of steps.entries()) {
    const bytes = await step.deployment();
    checkDeployment(bytes, `deployment of ${step.entry}`);
    const { message, environment, config, resourceChanges, ...told } = await step.update();
    await graph.services.updates.importDeployment(OPERATOR, ref, bytes, {
      message,
      environment,
      config,
      resourceChanges,
      adopted: { source: options.source, entry: step.entry, ...told },
      expectVersion: first + i,
    });
    done.versions.push(first + i);
    progress.tick();
  }
  done.outcome = 'adopted';
}

function named(validate: (v: unknown) => string, value: string): string {
  try {
    return validate(value);
  } catch (err) {
    throw new Skip(`Fulmar cannot take that name: ${(err as Error).message}`);
  }
}

/**
 * A legacy stack's project: the one its resources' URNs name (pkg/backend/diy/backend.go:
 * guessProject reads the current state; an emptied stack still has it in its history), else
 * `--project`, else none can be told.
 */
async function legacyProject(source: ObjectStore, current: DiyState, history: DiyHistoryFiles[], given: string | undefined, done: AdoptedStack) {
  let found = current.deployment && projectOfDeployment(current.deployment);
  for (const h of [...history].reverse()) {
    if (found) break;
    if (h.checkpointKey) {
      const state = await readState(source, h.checkpointKey);
      found = state.deployment && projectOfDeployment(state.deployment);
    }
  }
  if (found && given && found !== given) done.notes.push(`its resources belong to project '${found}', not '${given}' (--project): kept '${found}'`);
  const project = found ?? given;
  if (!project) {
    throw new Skip('a legacy-layout stack whose states name no project (it has no resources): give its project with --project NAME');
  }
  return project;
}

/**
 * The Fulmar stack of that name, if it may be adopted into: adopted from this source (the tag),
 * not being moved, and not held by an update — a commit left sealed by a crash is finished first,
 * so what it committed is counted.
 */
async function settled(graph: ServiceGraph, ref: StackRef, meta: StackMeta, source: string): Promise<StackMeta> {
  if (meta.tags[ADOPTED_TAG] !== source) {
    const from = meta.tags[ADOPTED_TAG];
    throw new Skip(`${stackLabel(ref)} exists and was not adopted from this source${from ? ` (it came from ${from})` : ''}; left as it is`);
  }
  if (registerState(meta) !== 'live') throw new Skip(`${stackLabel(ref)} is being renamed or transferred; run again once that has finished`);
  if (meta.lease && !meta.lease.sealed) {
    throw new Skip(`an update (${meta.lease.updateId}) holds ${stackLabel(ref)}; run again once it has finished (or fulmar leases break)`);
  }
  if (meta.lease) {
    await graph.committer.finishSealed(ref, meta.lease.updateId);
    return (await graph.register.read(ref)).meta;
  }
  return meta;
}

/**
 * The DIY entries the stack's versions came from, up to the last one adopted from `source`, and
 * the first version after it that was not (0: none) — an update made through Fulmar since.
 */
async function adoptedVersions(graph: ServiceGraph, meta: StackMeta, source: string): Promise<{ entries: string[]; last: number; since: number }> {
  const versions = Array.from({ length: meta.version }, (_, i) => i + 1);
  const entries = await mapLimit(versions, 8, (v) => graph.committer.historyEntry(meta, v));
  const ours = (e: HistoryEntry | undefined) => e?.adopted?.source === source;
  const last = entries.findLastIndex(ours) + 1;
  const since = last < meta.version ? last + 1 : 0;
  return { entries: entries.slice(0, last).map((e) => (ours(e) ? e!.adopted!.entry : '')), last, since };
}

function lastVersionBytes(graph: ServiceGraph, ref: StackRef, version: number): () => Promise<Buffer> {
  let bytes: Promise<Buffer> | undefined;
  return () => (bytes ??= graph.services.state.exportVersion(OPERATOR, ref, BigInt(version)).then((e) => e.bytes));
}

function historyStep(source: ObjectStore, h: DiyHistoryFiles, previous: (() => Promise<Buffer | undefined>) | undefined): Step | undefined {
  let deployment: () => Promise<Buffer>;
  if (h.checkpointKey) {
    const key = h.checkpointKey;
    // Read when needed and not kept: a long history is never held in memory at once.
    deployment = async () => {
      const state = await readState(source, key);
      if (!state.deployment) throw new DiyReadError(`${key} holds no deployment`);
      return state.deployment;
    };
  } else if (previous) {
    const before = previous;
    deployment = async () => {
      const bytes = await before();
      if (!bytes) throw new DiyReadError(`${h.historyKey}: no earlier state to stand for its missing checkpoint`);
      return bytes;
    };
  } else {
    return undefined;
  }
  return {
    entry: h.stem,
    deployment,
    update: async () => {
      const u = await readUpdate(source, h.historyKey);
      return {
        kind: u.kind,
        startTime: u.startTime,
        endTime: u.endTime,
        result: u.result,
        message: u.message,
        environment: u.environment,
        config: u.config,
        ...(u.resourceChanges && { resourceChanges: u.resourceChanges }),
      };
    },
  };
}

function currentStep(deployment: Buffer, diy: DiyStack): Step {
  const at = Math.floor(diy.lastModified.getTime() / 1000);
  return {
    entry: CURRENT_ENTRY,
    deployment: async () => deployment,
    update: async () => ({
      // apitype.StackImportUpdate: a state that came in as a whole, not from a program.
      kind: 'import',
      startTime: at,
      endTime: at,
      result: 'succeeded',
      message: `the DIY stack's latest state (${diy.key}), which no DIY history entry tells`,
    }),
  };
}

/** The DIY stack's own tags that Fulmar can hold, and the adoption tag. */
async function tagsFor(source: ObjectStore, diy: DiyStack, sourceId: string, done: AdoptedStack): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  for (const [name, value] of Object.entries(await tagsOf(source, diy))) {
    if (TAG_NAME.test(name) && [...value].length <= MAX_TAG_VALUE_CHARS) tags[name] = value;
    else done.notes.push(`tag '${name}' is not one Fulmar can hold; left out`);
  }
  return { ...tags, [ADOPTED_TAG]: sourceId };
}
