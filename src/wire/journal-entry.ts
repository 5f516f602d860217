/**
 * The journal entries the CLI sends in `PATCH …/update/{id}/journalentries` when the update
 * started with `journalVersion: 1` (sdk/go/common/apitype/journal.go, produced by
 * pkg/engine/journal_snapshot.go and serialized by `SerializeJournalEntry` in
 * pkg/backend/journal.go).
 *
 * Resource states, operations, snapshots and snippets are checked only for the shape replay
 * relies on and are kept as the very objects that were parsed: they are stored again verbatim,
 * and copying them through a schema would drop keys a newer CLI adds (or a `__proto__` key).
 */
import { z } from 'zod';
import { badRequest } from '../domain/errors.js';
import { MAX_SEQUENCE } from '../storage/layout.js';

/** apitype.JournalEntryKind, in the CLI's numbering. */
export const JournalKind = {
  begin: 0,
  success: 1,
  failure: 2,
  refreshSuccess: 3,
  outputs: 4,
  write: 5,
  secretsManager: 6,
  rebuiltBaseState: 7,
  extensionParameterize: 8,
  snippets: 9,
} as const;
export type JournalKind = (typeof JournalKind)[keyof typeof JournalKind];

const KIND_NAMES = [
  'begin',
  'success',
  'failure',
  'refresh-success',
  'outputs',
  'write',
  'secrets-manager',
  'rebuilt-base-state',
  'extension-parameterize',
  'snippets',
] as const;

/** The name the CLI prints for a kind (`JournalEntryKind.String`). */
export const kindName = (kind: number): string => KIND_NAMES[kind] ?? 'invalid';

export type JsonObject = Record<string, unknown>;
/** A ResourceV3 as JSON: only `urn` is relied on; every other key is carried as it came. */
export type ResourceState = JsonObject & { urn: string };
/** An OperationV2: `{resource, type}` (type is creating|updating|deleting|reading|importing). */
export type Operation = JsonObject & { resource: ResourceState; type: string };
/** A DeploymentV3 as JSON. */
export type DeploymentJson = JsonObject;

export const isJsonObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

// Each meta is the same check as JSON Schema, for the API document.
const resourceStateJson = { type: 'object', required: ['urn'], properties: { urn: { type: 'string' } } };
const resourceState = z
  .custom<ResourceState>((v) => isJsonObject(v) && typeof v.urn === 'string', 'must be a resource state (an object with a string urn)')
  .meta(resourceStateJson);
const operation = z
  .custom<Operation>(
    (v) => isJsonObject(v) && resourceState.safeParse(v.resource).success && typeof v.type === 'string',
    'must be an operation ({resource, type})',
  )
  .meta({ type: 'object', required: ['resource', 'type'], properties: { resource: resourceStateJson, type: { type: 'string' } } });
const jsonObject = z.custom<JsonObject>(isJsonObject, 'must be an object').meta({ type: 'object' });
const deployment = z
  .custom<DeploymentJson>(
    (v) => isJsonObject(v) && (v.resources == null || Array.isArray(v.resources)),
    'must be a deployment (an object whose resources is an array)',
  )
  .meta({ type: 'object', properties: { resources: { type: ['array', 'null'] } } });

/** Go decodes `null` into a pointer as nil and into a scalar as its zero value. */
const index = z.number().int().nonnegative().nullish().transform((v) => v ?? undefined);
const flag = z.boolean().nullish().transform((v) => v ?? false);

const entrySchema = z.object({
  // Only version 1 exists; anything else is a format this server does not know.
  version: z.literal(1),
  kind: z.number().int().min(0).max(9).transform((k) => k as JournalKind),
  // Sequence ids become 10-digit bucket keys (src/storage/layout.ts).
  sequenceID: z.number().int().positive().max(MAX_SEQUENCE),
  operationID: z.number().int().nonnegative().nullish().transform((v) => v ?? 0),
  removeOld: index,
  removeNew: index,
  pendingReplacementOld: index,
  pendingReplacementNew: index,
  deleteOld: index,
  deleteNew: index,
  state: resourceState.nullish().transform((v) => v ?? undefined),
  operation: operation.nullish().transform((v) => v ?? undefined),
  isRefresh: flag,
  secretsProvider: z
    .custom<JsonObject & { type: string }>((v) => isJsonObject(v) && typeof v.type === 'string', 'must be {type, state}')
    .meta({ type: 'object', required: ['type'], properties: { type: { type: 'string' } } })
    .nullish()
    .transform((v) => v ?? undefined),
  snippets: z.array(jsonObject).nullish().transform((v) => v ?? undefined),
  newSnapshot: deployment.nullish().transform((v) => v ?? undefined),
  extensionRef: z.string().nullish().transform((v) => v ?? undefined),
  extension: z.unknown().optional(),
  requiresByteString: flag,
});

export type JournalEntry = z.output<typeof entrySchema>;

/** What each kind cannot do without (the CLI always sends it; Go would dereference nil). */
function kindProblem(e: JournalEntry): string | undefined {
  if (e.kind === JournalKind.write && !e.newSnapshot) return 'a write entry needs newSnapshot';
  if (e.kind === JournalKind.secretsManager && !e.secretsProvider) return 'a secrets-manager entry needs secretsProvider';
  if (e.kind === JournalKind.extensionParameterize && (e.extensionRef === undefined || e.extension == null)) {
    return 'an extension-parameterize entry needs extensionRef and extension';
  }
  return undefined;
}

/**
 * Parses one entry; throws badRequest naming the entry's position (`where`) and the field at
 * fault. Only the shape is checked here: indexes and operation ids are checked against the
 * replay state when the entry is applied.
 */
export function parseJournalEntry(raw: unknown, where = 'journal entry'): JournalEntry {
  const parsed = entrySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(entry)';
    throw badRequest(`${where}: ${path}: ${issue?.message ?? 'invalid'}`);
  }
  const problem = kindProblem(parsed.data);
  if (problem) throw badRequest(`${where} (sequenceID ${parsed.data.sequenceID}): ${problem}`);
  return parsed.data;
}

/**
 * The request body `{"entries":[…]}` (apitype.JournalEntries; a missing list is empty), as the API
 * document shows it. parseJournalEntries applies the same entry schema one entry at a time, so a
 * 400 names the entry at fault.
 */
export const journalEntriesRequest = z.looseObject({ entries: z.array(entrySchema).nullish() });

/** Parses the request body `{"entries":[…]}` (apitype.JournalEntries; a missing list is empty). */
export function parseJournalEntries(body: unknown): JournalEntry[] {
  if (!isJsonObject(body)) throw badRequest('journal entries: the body must be an object {"entries":[…]}');
  const list = body.entries ?? [];
  if (!Array.isArray(list)) throw badRequest('journal entries: entries must be an array');
  return list.map((e, i) => parseJournalEntry(e, `journal entry ${i}`));
}
