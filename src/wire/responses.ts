/**
 * zod schemas of the JSON bodies Fulmar answers, shaped like the CLI's Go types
 * (sdk/go/common/apitype/*.go). They are the API document's response schemas
 * (src/http/openapi.ts), and the API fuzz suite checks every answer against them, so each says
 * exactly what Fulmar sends: objects are strict (a key Fulmar does not send is an error), and a
 * key is optional only where Fulmar leaves it out.
 */
import { z } from 'zod';
import { ROLES } from '../domain/roles.js';

const int = z.number().int();
const count = int.nonnegative();
/** Unix seconds (docs/protocol.md#json-conventions). */
const unixTime = int.nonnegative();
const strMap = z.record(z.string(), z.string());
/** `[]byte` as standard padded base64 (docs/protocol.md#json-conventions). */
const bytes = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
/**
 * The answer of calls whose only news is success (`PATCH …/checkpoint`, `complete` …), and of
 * create stack: apitype.CreateStackResponse (stacks.go) with no `messages` to show.
 */
export const emptyResponse = z.strictObject({});

export const healthResponse = z.strictObject({ status: z.literal('ok') });
export const readyResponse = z.strictObject({ status: z.literal('ready') });

/** client.go: serviceUser — `githubLogin` non-empty, and so each organization's. */
export const userResponse = z.strictObject({
  id: z.string().min(1),
  githubLogin: z.string().min(1),
  name: z.string(),
  email: z.string(),
  avatarUrl: z.string(),
  siteAdmin: z.boolean(),
  organizations: z.array(
    z.strictObject({ githubLogin: z.string().min(1), name: z.string(), avatarUrl: z.string(), role: z.enum(ROLES) }),
  ),
  identities: z.array(z.string()),
  tokenInfo: z.strictObject({ name: z.string() }).optional(),
});

/** `POST /api/orgs`: the org's record (src/services/org-service.ts: OrgRecord). */
export const orgResponse = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(['org', 'personal']),
  createdAt: z.string(),
  createdBy: z.string(),
});

/** apitype.GetDefaultOrganizationResponse (organizations.go): no JSON tags, so PascalCase keys. */
export const defaultOrgResponse = z.strictObject({
  GitHubLogin: z.string(),
  Messages: z.array(z.strictObject({ severity: z.enum(['warning', 'error', 'info']).optional(), message: z.string() })),
});

/** apitype.CapabilitiesResponse (service.go). */
export const capabilitiesResponse = z.strictObject({
  capabilities: z.array(
    z.strictObject({
      capability: z.string().min(1),
      version: int.positive().optional(),
      configuration: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

/** apitype.ListStacksResponse (stacks.go); `continuationToken` absent on the last page. */
export const listStacksResponse = z.strictObject({
  stacks: z.array(
    z.strictObject({
      id: z.string().min(1),
      orgName: z.string().min(1),
      projectName: z.string().min(1),
      stackName: z.string().min(1),
      // 0 while an update holds the lease; absent for a stack never updated.
      lastUpdate: unixTime.optional(),
      resourceCount: count,
      tags: strMap,
    }),
  ),
  continuationToken: z.string().min(1).optional(),
});

export const createTokenResponse = z.strictObject({
  id: z.string().regex(/^[a-f0-9]{64}$/),
  tokenValue: z.string().regex(/^pul-[a-f0-9]{64}$/),
});

export const listTokensResponse = z.strictObject({
  tokens: z.array(
    z.strictObject({ id: z.string(), description: z.string(), created: unixTime, expires: unixTime, lastUsed: unixTime }),
  ),
});

export const memberResponse = z.strictObject({
  role: z.enum(ROLES),
  organization: z.string().min(1),
  user: z.strictObject({ githubLogin: z.string().min(1), name: z.string(), avatarUrl: z.string(), email: z.string() }),
  created: z.string(),
});
export const listMembersResponse = z.strictObject({ members: z.array(memberResponse) });

/** apitype.Stack (core.go), never with `config` (docs/protocol.md#stacks). */
export const stackResponse = z.strictObject({
  id: z.string().min(1),
  orgName: z.string().min(1),
  projectName: z.string().min(1),
  stackName: z.string().min(1),
  activeUpdate: z.string(),
  currentOperation: z.strictObject({ kind: z.string().min(1), author: z.string(), started: unixTime }).optional(),
  tags: strMap,
  version: count,
});

export const stackMetadataResponse = z.strictObject({
  orgName: z.string().min(1),
  projectName: z.string().min(1),
  stackName: z.string().min(1),
  userPermission: z.union([z.literal(101), z.literal(102), z.literal(103)]),
  notificationSettings: z.strictObject({ notifyUpdateFailure: z.boolean(), notifyUpdateSuccess: z.boolean() }),
});

export const downstreamReferencesResponse = z.strictObject({
  referencedStacks: z.array(
    z.strictObject({ organization: z.string(), routingProject: z.string(), name: z.string(), version: count }),
  ),
});

export const resourceCountResponse = z.strictObject({ resourceCount: count, version: count });

export const resourcesResponse = z.strictObject({
  // Each resource of the version's deployment, as stored.
  resources: z.array(z.strictObject({ resource: z.unknown() })),
  region: z.literal(''),
  version: count,
  // Only when paged (`?pageSize=`): the version's resource count, and where the next page starts.
  total: count.optional(),
  continuationToken: z.string().optional(),
});

/**
 * apitype.UntypedDeployment (core.go), as stored: the deployment itself is opaque, but every
 * stored state passed docs/protocol.md#what-every-stored-state-must-be.
 */
export const exportResponse = z.looseObject({
  version: int.min(1).max(4),
  features: z.array(z.string()).optional(),
  deployment: z.looseObject({ resources: z.array(z.unknown()).nullable().optional() }),
});

/** apitype.ImportStackResponse: `updateId`, and `updateID` as docs/protocol.md#state says. */
export const importResponse = z.strictObject({ updateId: z.string().min(1), updateID: z.string().min(1) });

/** apitype.UpdateProgramResponse (updates.go). */
export const createUpdateResponse = z.strictObject({ updateID: z.string().min(1) });

/** apitype.StartUpdateResponse (updates.go): the token is never empty, previews included. */
export const startUpdateResponse = z.strictObject({
  version: count,
  token: z.string().min(1),
  tokenExpiration: unixTime,
  journalVersion: z.union([z.literal(0), z.literal(1)]),
});

/** apitype.UpdateResults (updates.go) with the update's summary (docs/protocol.md#updates). */
export const updateStatusResponse = z.strictObject({
  status: z.enum(['not started', 'running', 'succeeded', 'failed']),
  kind: z.enum(['update', 'preview', 'refresh', 'destroy', 'import']),
  result: z.enum(['not-started', 'in-progress', 'succeeded', 'failed']),
  version: count.optional(),
  startTime: unixTime.optional(),
  endTime: unixTime.optional(),
  message: z.string(),
  events: z.array(z.unknown()).max(0),
  continuationToken: z.null(),
});

/** apitype.UpdateInfo (history.go). */
const updateInfo = z.strictObject({
  kind: z.enum(['update', 'refresh', 'destroy', 'import']),
  startTime: unixTime,
  endTime: unixTime,
  message: z.string(),
  environment: strMap,
  config: z.record(z.string(), z.strictObject({ string: z.string(), secret: z.boolean(), object: z.boolean() })),
  result: z.enum(['succeeded', 'failed']),
  version: int.positive(),
  resourceChanges: z.record(z.string(), count),
  resourceCount: count,
  updateID: z.string().min(1),
  /** Fulmar's own: the login that ran the update (the console's "who"); absent when unknown. */
  requestedBy: z.string().min(1).optional(),
});
export const historyResponse = z.strictObject({ updates: z.array(updateInfo) });
export const latestUpdateResponse = z.strictObject({ info: updateInfo, updateID: z.string().min(1), version: int.positive() });

/** apitype.GetUpdateEventsResponse (events.go): `continuationToken` null once all is read. */
export const eventsResponse = z.strictObject({
  events: z.array(z.looseObject({ sequence: count, timestamp: int })),
  continuationToken: z.string().min(1).nullable(),
});

/** apitype.RenewUpdateLeaseResponse (updates.go). */
export const renewLeaseResponse = z.strictObject({ token: z.string().min(1), tokenExpiration: unixTime });

/** apitype.EncryptValueResponse, DecryptValueResponse, BatchEncryptResponse, BatchDecryptResponse. */
export const encryptResponse = z.strictObject({ ciphertext: bytes });
export const decryptResponse = z.strictObject({ plaintext: bytes });
export const batchEncryptResponse = z.strictObject({ ciphertexts: z.array(bytes) });
export const batchDecryptResponse = z.strictObject({ plaintexts: z.record(z.string(), bytes) });

/** Prometheus' text exposition format. */
export const metricsText = z.string();

/** The API document itself (docs/openapi.json). */
export const openApiResponse = z.looseObject({
  openapi: z.string().regex(/^3\.1\./),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

/** `GET /console/config`: what the console's sign-in page offers (docs/console.md). */
export const consoleConfigResponse = z.strictObject({
  /** False when this deployment has no session key: nobody can sign in to the console. */
  signIn: z.boolean(),
  oidc: z.boolean(),
  oidcName: z.string().optional(),
  apiUrl: z.string(),
  consoleUrl: z.string(),
});

/** `GET /console/session`: the signed-in user, and their role in every org they see. */
export const consoleSessionResponse = z.strictObject({
  login: z.string().min(1),
  name: z.string(),
  siteAdmin: z.boolean(),
  orgs: z.record(z.string(), z.enum(ROLES)),
  authMethod: z.enum(['token', 'oidc']),
  /** When the session ends (unix seconds). */
  expires: unixTime,
});

export const consoleLoginResponse = z.strictObject({ login: z.string().min(1) });

/** `POST /console/cli-login`: where the browser goes next — the CLI's own listener. */
export const consoleCliLoginResponse = z.strictObject({ redirect: z.string().url() });
