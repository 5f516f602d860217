/**
 * Journal batches for the checker's journaled update lifecycles (docs/design.md, "Journaling";
 * entry shape in src/wire/journal-entry.ts). A lifecycle is planned as steps, each carrying a
 * unique marker; at run time the steps become entries with increasing sequenceIDs, grouped into
 * batches as the CLI would send them (pkg/backend/httpstate/journal/snapshot.go):
 *
 *  - create   begin + success with a new resource whose outputs hold the marker;
 *  - replace  begin + success replacing a resource of the base (`removeOld`, the CLI's update
 *             step) with the same URN and the marker — the base's own marker goes;
 *  - open     a begin left open: the committed state holds its operation in `pending_operations`;
 *  - close    the success that ends an earlier `open` (the resource then carries its marker).
 *
 * The begin and success of a step may fall into different batches, and a batch may hold its
 * entries out of sequence order (the CLI serializes them concurrently before it queues them).
 * Each batch comes with what it wrote, for the invariants (BatchFacts).
 */
import type { BatchFacts, StackName } from './history.js';

export type JournalStepKind = 'create' | 'replace' | 'open' | 'close';

export interface JournalStep {
  kind: JournalStepKind;
  marker: string;
  /** `replace`: which of the base's marked resources, as a fraction of their count. */
  pick?: number;
}

export interface JournalPlan {
  steps: JournalStep[];
  /** Entries per batch, in order; the sizes add up to at least the number of entries. */
  batchSizes: number[];
  /** Batches sent with their entries in reverse sequence order. */
  reversed: number[];
  /** A batch sent twice, the same bytes (a CLI retrying after a lost answer); -1 for none. */
  retry: number;
}

/** A resource of the base the update started from, as its export showed it. */
export interface BaseResource {
  index: number;
  urn: string;
  type: string;
  custom: boolean;
  marker: string;
}

export interface PlannedBatch {
  body: { entries: JournalEntryJson[] };
  facts: BatchFacts;
}

export type JournalEntryJson = Record<string, unknown> & { sequenceID: number };

/** Draws a plan from `rand` for resource markers `markers` and a pending marker. */
export function planJournal(rand: () => number, markers: string[], pendingMarker: string): JournalPlan {
  const steps: JournalStep[] = markers.map((marker) => (rand() < 0.3 ? { kind: 'replace', marker, pick: rand() } : { kind: 'create', marker }));
  if (rand() < 0.35) {
    // Opened somewhere among the steps; sometimes ended before the update ends.
    steps.splice(Math.floor(rand() * (steps.length + 1)), 0, { kind: 'open', marker: pendingMarker });
    if (rand() < 0.4) steps.push({ kind: 'close', marker: pendingMarker });
  }
  const entries = steps.reduce((n, s) => n + entriesOf(s.kind), 0);
  const batchSizes: number[] = [];
  for (let left = entries; left > 0; ) {
    const size = Math.min(left, 1 + Math.floor(rand() * 3));
    batchSizes.push(size);
    left -= size;
  }
  const reversed = batchSizes.flatMap((size, i) => (size > 1 && rand() < 0.4 ? [i] : []));
  const retry = rand() < 0.3 ? Math.floor(rand() * batchSizes.length) : -1;
  return { steps, batchSizes, reversed, retry };
}

const entriesOf = (kind: JournalStepKind) => (kind === 'create' || kind === 'replace' ? 2 : 1);

/** The markers a plan writes (resources and pending operations), each once. */
export const planMarkers = (plan: JournalPlan) => [...new Set(plan.steps.map((s) => s.marker))];

/** Resources of a base deployment (an export's body) that carry a marker, with their index. */
export function baseResources(exported: unknown): BaseResource[] {
  const resources = (exported as { deployment?: { resources?: unknown } } | undefined)?.deployment?.resources;
  if (!Array.isArray(resources)) return [];
  return resources.flatMap((r, index) => {
    const res = r as { urn?: unknown; type?: unknown; custom?: unknown; outputs?: { marker?: unknown } } | null;
    const marker = res?.outputs?.marker;
    if (typeof res?.urn !== 'string' || typeof res.type !== 'string' || typeof marker !== 'string') return [];
    return [{ index, urn: res.urn, type: res.type, custom: res.custom === true, marker }];
  });
}

const THING = 'my:index:Thing';
const urnOf = (ref: StackName, name: string) => `urn:pulumi:${ref.stack}::${ref.project}::${THING}::${name}`;

/**
 * The batches of a plan for a stack whose base holds `base`. A `replace` with no base resource
 * left to replace becomes a `create`. Sequence ids run from 1 in step order.
 */
export function journalBatches(plan: JournalPlan, ref: StackName, base: BaseResource[]): PlannedBatch[] {
  const entries: Planned[] = [];
  let seq = 0;
  const free = [...base];
  const opened = new Map<string, number>();
  const entry = (kind: number, operationID: number, extra: Record<string, unknown>): JournalEntryJson => ({
    version: 1,
    kind,
    sequenceID: ++seq,
    operationID,
    removeOld: null,
    removeNew: null,
    ...extra,
  });
  for (const step of plan.steps) {
    const target = step.kind === 'replace' && free.length > 0 ? free.splice(Math.floor((step.pick ?? 0) * free.length) % free.length, 1)[0] : undefined;
    const state = target
      ? { urn: target.urn, custom: target.custom, type: target.type, inputs: { marker: step.marker }, outputs: { marker: step.marker } }
      : { urn: urnOf(ref, step.marker), custom: true, type: THING, id: step.marker, inputs: { marker: step.marker }, outputs: { marker: step.marker } };
    const operation = { type: target ? 'updating' : 'creating', resource: { urn: state.urn, custom: state.custom, type: state.type, inputs: { marker: step.marker } } };
    switch (step.kind) {
      case 'create':
      case 'replace': {
        const op = seq + 1;
        entries.push({ entry: entry(0, op, { operation }), effect: { begins: step.marker } });
        entries.push({
          entry: entry(1, op, { state, ...(target && { removeOld: target.index }) }),
          effect: { markers: step.marker, ends: step.marker, ...(target && { replaces: target.marker }) },
        });
        break;
      }
      case 'open': {
        opened.set(step.marker, seq + 1);
        entries.push({ entry: entry(0, seq + 1, { operation }), effect: { begins: step.marker } });
        break;
      }
      case 'close': {
        const op = opened.get(step.marker);
        if (op === undefined) break;
        entries.push({ entry: entry(1, op, { state }), effect: { markers: step.marker, ends: step.marker } });
        break;
      }
    }
  }
  // Sizes that fall short leave the rest to one last batch.
  const groups: Planned[][] = [];
  let at = 0;
  for (const size of plan.batchSizes) {
    if (at >= entries.length) break;
    groups.push(entries.slice(at, at + size));
    at += size;
  }
  if (at < entries.length) groups.push(entries.slice(at));
  return groups.map((group, i) => batchOf(group, plan.reversed.includes(i)));
}

type Effect = keyof Omit<BatchFacts, 'first' | 'last' | 'retry'>;
const EFFECTS: Effect[] = ['markers', 'replaces', 'begins', 'ends'];

interface Planned {
  entry: JournalEntryJson;
  effect: Partial<Record<Effect, string>>;
}

function batchOf(group: Planned[], reversed: boolean): PlannedBatch {
  const facts: BatchFacts = { first: group[0]!.entry.sequenceID, last: group[group.length - 1]!.entry.sequenceID, markers: [], replaces: [], begins: [], ends: [] };
  for (const { effect } of group) for (const key of EFFECTS) if (effect[key]) facts[key].push(effect[key]);
  const entries = group.map((g) => g.entry);
  return { body: { entries: reversed ? entries.reverse() : entries }, facts };
}
