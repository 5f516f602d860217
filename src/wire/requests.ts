/**
 * zod schemas of the JSON bodies the CLI sends (sdk/go/common/apitype/*.go). They are lenient where
 * the CLI is (unknown keys ignored, `null` = zero value, docs/protocol.md#json-conventions) and
 * strict where a wrong type would corrupt state.
 */
import { z } from 'zod';
import {
  validateOrgName,
  validateProjectName,
  validateTagName,
  validateTags,
  validateTagValue,
} from '../domain/names.js';

const str = z.string().nullish().transform((v) => v ?? '');
const strMap = z.record(z.string(), z.string()).nullish().transform((v) => v ?? {});
/** `[]byte` fields: standard base64 with padding (docs/protocol.md#json-conventions). */
const bytes = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be standard base64')
  .refine((s) => s.length % 4 === 0, 'must be padded base64');

/** Runs a domain validator inside a schema, so its message lands at the field's path. */
function checkedBy<T>(validate: (value: unknown) => T) {
  return (value: unknown, ctx: z.RefinementCtx): T => {
    try {
      return validate(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  };
}

/**
 * A tag map, checked by validateTags (names, values, count). Not z.record: that copies entries
 * by assignment, and assigning `__proto__` silently drops the tag; validateTags keeps it.
 */
const tagMap = z.unknown().transform(checkedBy(validateTags));

export const createStackRequest = z.looseObject({
  stackName: z.string().min(1),
  tags: tagMap.nullish().transform((v) => v ?? undefined),
  teams: z.array(z.string()).nullish(),
  state: z.unknown().optional(),
});

export const configValue = z.looseObject({
  string: str,
  secret: z.boolean().nullish().transform((v) => v ?? false),
  object: z.boolean().nullish().transform((v) => v ?? false),
});

/** apitype.UpdateProgramRequest (sdk/go/common/apitype/updates.go). */
export const updateProgramRequest = z.looseObject({
  name: str,
  runtime: str,
  main: str,
  description: str,
  options: z
    .looseObject({ dryRun: z.boolean().nullish() })
    .nullish()
    .transform((v) => ({ dryRun: v?.dryRun ?? false })),
  config: z.record(z.string(), configValue).nullish().transform((v) => v ?? {}),
  metadata: z
    .looseObject({ message: str, environment: strMap })
    .nullish()
    .transform((v) => v ?? { message: '', environment: {} }),
});

export const startUpdateRequest = z
  .looseObject({
    tags: tagMap.nullish(),
    journalVersion: z.number().int().nullish(),
  })
  .nullish()
  .transform((v) => v ?? {});

export const deltaCheckpointRequest = z.looseObject({
  version: z.number().int(),
  checkpointHash: z.string().regex(/^[a-f0-9]{64}$/, 'must be a lowercase hex SHA-256'),
  sequenceNumber: z.number().int().positive(),
  deploymentDelta: z.array(
    z.looseObject({
      Span: z.looseObject({
        start: z.looseObject({ offset: z.number().int().nonnegative() }),
        end: z.looseObject({ offset: z.number().int().nonnegative() }),
      }),
      NewText: z.string(),
    }),
  ),
});

export const eventsBatchRequest = z.looseObject({
  events: z
    .array(z.looseObject({ sequence: z.number().int().nonnegative(), timestamp: z.number().int() }))
    .nullish()
    .transform((v) => v ?? []),
});

export const completeRequest = z.looseObject({
  status: z.enum(['succeeded', 'failed', 'cancelled']),
});

/**
 * Batch secrets calls (client.go: BatchEncrypt, BulkDecryptValue) are bounded: a count per call
 * and a size per value, so one request cannot make a pod encrypt or hold an unbounded amount.
 * Beyond either, 400. The count is the CLI's own batch bound (pkg/resource/stack/secrets.go:
 * MaxBulkEncryptCount, MaxBulkDecryptCount = 100000): a stack with many secrets still decrypts
 * in one call, as the CLI sends it; the request body limit bounds the bytes.
 */
export const MAX_BATCH_ITEMS = 100_000;
/** Base64 characters of one plaintext or ciphertext (about 1 MiB of bytes). */
export const MAX_SECRET_B64_CHARS = 1_400_000;
const secretBytes = bytes.max(MAX_SECRET_B64_CHARS, `must be at most ${MAX_SECRET_B64_CHARS} base64 characters`);
const batchOf = (what: string) =>
  z
    .array(secretBytes)
    .max(MAX_BATCH_ITEMS, `at most ${MAX_BATCH_ITEMS} ${what} per call; split the batch`)
    .nullish()
    .transform((v) => v ?? []);

export const encryptRequest = z.looseObject({ plaintext: secretBytes.nullish().transform((v) => v ?? '') });
export const decryptRequest = z.looseObject({ ciphertext: secretBytes });
export const batchEncryptRequest = z.looseObject({ plaintexts: batchOf('plaintexts') });
export const batchDecryptRequest = z.looseObject({ ciphertexts: batchOf('ciphertexts') });

export const renameRequest = z.looseObject({ newName: str, newProject: str });
export const transferRequest = z.looseObject({ toOrg: z.string().min(1) });
export const tagsRequest = tagMap;

export const untypedDeployment = z.looseObject({
  version: z.number().int().min(1).max(4),
  features: z.array(z.string()).nullish(),
  deployment: z.unknown().refine((d) => d !== undefined, 'deployment is required'),
});

export const setMemberRequest = z.looseObject({ role: z.enum(['viewer', 'member', 'admin']) });
/** `POST /api/orgs`: Fulmar's own call (site admins); the name is checked by validateOrgName. */
export const createOrgRequest = z.looseObject({ name: z.string() });
export const createTokenRequest = z.looseObject({
  description: z.string().max(500).nullish().transform((v) => v ?? ''),
  expires: z.number().int().nonnegative().nullish().transform((v) => v ?? undefined),
});

export const historyQuery = z.looseObject({
  pageSize: z.coerce.number().int().min(1).max(1000).optional(),
  page: z.coerce.number().int().min(1).optional(),
});

/** Filters become bucket prefixes, so each is a valid name or the request is a 400. */
export const listStacksQuery = z.looseObject({
  organization: z.unknown().transform(checkedBy(validateOrgName)).optional(),
  project: z.unknown().transform(checkedBy(validateProjectName)).optional(),
  tagName: z.unknown().transform(checkedBy(validateTagName)).optional(),
  tagValue: z.unknown().transform(checkedBy(validateTagValue)).optional(),
  continuationToken: z.string().optional(),
});
