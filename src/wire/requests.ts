/**
 * zod schemas of the JSON bodies the CLI sends (sdk/go/common/apitype/*.go). They are lenient
 * where the CLI is (unknown keys ignored, `null` = zero value, protocol §1.9) and strict where a
 * wrong type would corrupt state.
 */
import { z } from 'zod';

const str = z.string().nullish().transform((v) => v ?? '');
const strMap = z.record(z.string(), z.string()).nullish().transform((v) => v ?? {});
/** `[]byte` fields: standard base64 with padding (protocol §1.9). */
const bytes = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be standard base64')
  .refine((s) => s.length % 4 === 0, 'must be padded base64');

export const createStackRequest = z.looseObject({
  stackName: z.string().min(1),
  tags: z.record(z.string(), z.string()).nullish().transform((v) => v ?? undefined),
  teams: z.array(z.string()).nullish(),
  state: z.unknown().optional(),
});

export const configValue = z.looseObject({
  string: str,
  secret: z.boolean().nullish().transform((v) => v ?? false),
  object: z.boolean().nullish().transform((v) => v ?? false),
});

/** apitype.UpdateProgramRequest (protocol §2.4.1). */
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
    tags: z.record(z.string(), z.string()).nullish(),
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

export const encryptRequest = z.looseObject({ plaintext: bytes.nullish().transform((v) => v ?? '') });
export const decryptRequest = z.looseObject({ ciphertext: bytes });
export const batchEncryptRequest = z.looseObject({ plaintexts: z.array(bytes).nullish().transform((v) => v ?? []) });
export const batchDecryptRequest = z.looseObject({ ciphertexts: z.array(bytes).nullish().transform((v) => v ?? []) });

export const renameRequest = z.looseObject({ newName: str, newProject: str });
export const transferRequest = z.looseObject({ toOrg: z.string().min(1) });
export const tagsRequest = z.record(z.string(), z.string());

export const untypedDeployment = z.looseObject({
  version: z.number().int().min(1).max(4),
  features: z.array(z.string()).nullish(),
  deployment: z.unknown().refine((d) => d !== undefined, 'deployment is required'),
});

export const setMemberRequest = z.looseObject({ role: z.enum(['viewer', 'member', 'admin']) });
export const createTokenRequest = z.looseObject({
  description: z.string().max(500).nullish().transform((v) => v ?? ''),
  expires: z.number().int().nonnegative().nullish().transform((v) => v ?? undefined),
});

export const historyQuery = z.looseObject({
  pageSize: z.coerce.number().int().min(1).max(1000).optional(),
  page: z.coerce.number().int().min(1).optional(),
});

export const listStacksQuery = z.looseObject({
  organization: z.string().optional(),
  project: z.string().optional(),
  tagName: z.string().optional(),
  tagValue: z.string().optional(),
  continuationToken: z.string().optional(),
});
