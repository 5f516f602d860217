/**
 * zod schemas of the JSON bodies the CLI sends (sdk/go/common/apitype/*.go). They are lenient where
 * the CLI is (unknown keys ignored, `null` = zero value, docs/protocol.md#json-conventions) and
 * strict where a wrong type would corrupt state.
 */
import { z } from 'zod';
import {
  MAX_TAG_VALUE_CHARS,
  MAX_TAGS,
  ORG_NAME,
  PATH_SEGMENT,
  TAG_NAME,
  validateOrgName,
  validateProjectName,
  validateTagName,
  validateTags,
  validateTagValue,
} from '../domain/names.js';
import { MAX_SEQUENCE } from '../storage/layout.js';

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
 * by assignment, and assigning `__proto__` silently drops the tag; validateTags keeps it. The
 * meta is what the API document shows for it: the same limits, as JSON Schema.
 */
const tagMap = z.unknown().transform(checkedBy(validateTags)).meta({
  type: 'object',
  maxProperties: MAX_TAGS,
  propertyNames: { pattern: TAG_NAME.source },
  additionalProperties: { type: 'string', maxLength: MAX_TAG_VALUE_CHARS },
});
/** A name checked by a domain validator, shown in the API document as a string of `pattern`. */
const nameBy = (validate: (value: unknown) => string, pattern: RegExp) =>
  z.unknown().transform(checkedBy(validate)).meta({ type: 'string', pattern: pattern.source });
/** A state: checked on its bytes (src/domain/deployment-check.ts), shown as the object it must be. */
const deploymentValue = z.unknown().meta({
  type: 'object',
  description: 'A deployment (docs/protocol.md#what-every-stored-state-must-be).',
});
/** An initial state: an UntypedDeployment, checked on its bytes like any stored state. */
const initialState = z.unknown().meta({
  type: 'object',
  required: ['version', 'deployment'],
  properties: { version: { type: 'integer', minimum: 1, maximum: 4 }, deployment: { type: 'object' } },
  description: 'An UntypedDeployment (docs/protocol.md#what-every-stored-state-must-be).',
});
/** Sequence numbers become 10-digit bucket keys (src/storage/layout.ts). */
const sequence = z.number().int().positive().max(MAX_SEQUENCE);

export const createStackRequest = z.looseObject({
  // Checked by validateStackName, the same pattern.
  stackName: z.string().min(1).meta({ pattern: PATH_SEGMENT.source }),
  tags: tagMap.nullish().transform((v) => v ?? undefined),
  teams: z.array(z.string()).nullish(),
  state: initialState.optional(),
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
  sequenceNumber: sequence,
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

/** An empty name keeps the current one; another is checked by validateStackName or validateProjectName. */
const newName = str.meta({ pattern: `^$|${PATH_SEGMENT.source}` });
export const renameRequest = z.looseObject({ newName, newProject: newName });
export const transferRequest = z.looseObject({ toOrg: z.string().min(1).meta({ pattern: ORG_NAME.source }) });
export const tagsRequest = tagMap;

/** apitype.UntypedDeployment: the body of `POST S/import` and `PATCH …/checkpoint`. */
export const untypedDeployment = z.looseObject({
  version: z.number().int().min(1).max(4),
  features: z.array(z.string()).nullish(),
  deployment: deploymentValue.refine((d) => d !== undefined, 'deployment is required'),
});

/**
 * apitype.PatchUpdateVerbatimCheckpointRequest. Never parsed into objects: its fields are cut out
 * of the bytes, which must be kept exactly (docs/protocol.md#verbatim-checkpoints); this schema
 * is what those checks enforce.
 */
export const verbatimCheckpointRequest = z.looseObject({
  version: z.number().int(),
  untypedDeployment,
  sequenceNumber: sequence,
});

/**
 * apitype.RenewUpdateLeaseRequest. Read by nobody, so it may be left out: the token that counts
 * is the header's.
 */
export const renewLeaseRequest = z
  .looseObject({ token: z.string().nullish(), duration: z.number().int().nullish() })
  .nullish();

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

/**
 * `S/resources/{version}` one page at a time (Fulmar's extension for the console; without
 * `pageSize` the whole list, as the service's): the token is the index of the next resource.
 */
export const resourcesQuery = z.looseObject({
  pageSize: z.coerce.number().int().min(1).max(5000).optional(),
  continuationToken: z.string().regex(/^\d{1,9}$/).optional(),
});

/** Filters become bucket prefixes, so each is a valid name or the request is a 400. */
export const listStacksQuery = z.looseObject({
  organization: nameBy(validateOrgName, ORG_NAME).optional(),
  project: nameBy(validateProjectName, PATH_SEGMENT).optional(),
  tagName: nameBy(validateTagName, TAG_NAME).optional(),
  tagValue: z.unknown().transform(checkedBy(validateTagValue)).meta({ type: 'string', maxLength: MAX_TAG_VALUE_CHARS }).optional(),
  // The last stack of the previous page, base64url-encoded (docs/protocol.md#pagination).
  continuationToken: z.string().meta({ pattern: '^[A-Za-z0-9_-]+$' }).optional(),
});

/** `DELETE S?force=`: the CLI sends Go's `true` or `false` (client.go: DeleteStack). */
export const deleteStackQuery = z.looseObject({ force: z.enum(['true', 'false']).optional() });

/**
 * `GET …/events?continuationToken=`: the token a previous page answered, the last sequence number
 * returned (docs/protocol.md#pagination).
 */
export const eventsQuery = z.looseObject({ continuationToken: z.string().regex(/^-?[0-9]{1,15}$/, 'must be a token an earlier page answered').optional() });

/** `POST /console/login/token` (docs/console.md#sessions). */
export const consoleTokenLoginRequest = z.strictObject({ token: z.string().min(1).max(512) });

/**
 * `GET /console/login/oidc?next=/path`: where to land once signed in (a relative path; else `/`).
 * At most 1,024 characters: even as 4-byte UTF-8, percent-encoded (12 bytes each), the request
 * line stays under Node's 16 KiB header limit, so a long `next` is a 400 from the schema, never a 431.
 */
export const consoleOidcLoginQuery = z.looseObject({ next: z.string().max(1024).optional() });

/** `POST /console/cli-login`: what the CLI put in the `/cli-login` URL (docs/console.md#cli-browser-login). */
export const consoleCliLoginRequest = z.strictObject({
  port: z.number().int().min(1024).max(65535),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/),
  description: z.string().max(500).optional(),
});
