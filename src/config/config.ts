/**
 * Every Fulmar setting, in one zod schema. `loadConfig(env)` is the only place that reads the
 * environment — callers pass `process.env` (src/cli.ts) or a literal object (tests). All
 * problems are reported at once, and `redactConfig` prints it without secrets.
 */
import { z } from 'zod';
import { parseRoleMap, type RoleMapEntry } from '../domain/oidc-claims.js';

const MiB = 1024 * 1024;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** One row per environment variable: the schema, and a one-line description for the README. */
export const settings = {
  PORT: { schema: int(0, 65535).default(8080), doc: 'TCP port to listen on (0 = any free port).' },
  FULMAR_HOST: { schema: z.string().min(1).default('0.0.0.0'), doc: 'Address to bind.' },
  FULMAR_PUBLIC_URL: {
    schema: z
      .string()
      .url()
      .superRefine((value, ctx) => {
        const problem = URL.canParse(value) ? publicUrlProblem(new URL(value)) : undefined;
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .transform((value) => value.replace(/\/+$/, ''))
      .optional(),
    shownDefault: '`http://localhost:<PORT>`',
    doc: 'The one URL every client and the load balancer use (`pulumi login <it>`): printed at startup, and a request for another host is logged once per host. The CLI records it in each stack (see [One URL](#one-url)). The default fits the embedded default only; set it for anything shared.',
  },
  FULMAR_STORAGE: {
    schema: z.enum(['filesystem', 's3', 'memory']).optional(),
    doc: 'Object store: `filesystem` (default), `s3` (default when FULMAR_S3_URL or FULMAR_S3_BUCKET is set), or `memory` (tests only; lost on exit).',
  },
  FULMAR_DATA_DIR: {
    schema: z.string().min(1).default('./.fulmar'),
    doc: 'Folder of the filesystem store (and of the generated master key and admin token in embedded mode).',
  },
  FULMAR_S3_URL: {
    schema: z.string().url().optional(),
    doc: 'All S3 settings in one: `http(s)://ACCESS_KEY:SECRET_KEY@host:port/bucket[/prefix]?region=us-east-1`. Individual FULMAR_S3_* variables override its parts.',
  },
  FULMAR_S3_ENDPOINT: { schema: z.string().url().optional(), doc: 'S3 endpoint URL, e.g. `http://minio:9000`.' },
  FULMAR_S3_BUCKET: { schema: z.string().min(3).max(63).optional(), doc: 'Bucket holding all state (must exist).' },
  FULMAR_S3_ACCESS_KEY: { schema: z.string().min(1).optional(), doc: 'S3 access key (falls back to AWS_ACCESS_KEY_ID).' },
  FULMAR_S3_SECRET_KEY: { schema: z.string().min(1).optional(), doc: 'S3 secret key (falls back to AWS_SECRET_ACCESS_KEY). Secret.' },
  FULMAR_S3_REGION: { schema: z.string().min(1).optional(), doc: 'S3 region (default `us-east-1`; falls back to AWS_REGION).' },
  FULMAR_S3_PREFIX: {
    schema: z
      .string()
      .regex(/^([A-Za-z0-9._-]+\/)*$/, 'must be empty or end with "/" (e.g. "fulmar/")')
      .optional(),
    doc: 'Key prefix inside the bucket, ending with `/`, to share a bucket with other data.',
  },
  FULMAR_S3_PATH_STYLE: { schema: bool.default(true), doc: 'Path-style bucket addressing (MinIO needs it).' },
  AWS_ACCESS_KEY_ID: { schema: z.string().optional(), doc: 'Fallback for FULMAR_S3_ACCESS_KEY.' },
  AWS_SECRET_ACCESS_KEY: { schema: z.string().optional(), doc: 'Fallback for FULMAR_S3_SECRET_KEY. Secret.' },
  AWS_REGION: { schema: z.string().optional(), doc: 'Fallback for FULMAR_S3_REGION.' },
  FULMAR_STORAGE_TIMEOUT_MS: { schema: int(100, 600_000).default(15_000), doc: 'Timeout of one storage call.' },
  FULMAR_STORAGE_RETRIES: { schema: int(0, 10).default(3), doc: 'Retries of an idempotent storage call that failed transiently.' },
  FULMAR_ADMIN_TOKEN: {
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    doc: 'Bootstrap site-admin API token (login `admin`). Secret. Unset: the embedded default keeps a generated one in `FULMAR_DATA_DIR/admin.token`; on a bucket, make the first token with `fulmar token create --user admin`.',
  },
  FULMAR_MASTER_KEYS: {
    schema: z.string().optional(),
    doc: 'Keyring wrapping per-stack secrets keys: `id1:base64key,id2:base64key` (32-byte keys). The first is used for new stacks. Secret.',
  },
  FULMAR_LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    doc: 'Log level of the JSON logs on stdout.',
  },
  FULMAR_CACHE_BYTES: { schema: int(0, 64 * 1024 * MiB).default(256 * MiB), doc: 'LRU cache of immutable objects, in bytes (0 disables).' },
  FULMAR_MAX_BODY_BYTES: {
    schema: int(1024, 4096 * MiB).default(512 * MiB),
    doc: 'Largest request body accepted after gzip inflation (413 beyond).',
  },
  FULMAR_DELTA_CUTOFF_BYTES: {
    schema: int(0, 4096 * MiB).default(256 * 1024),
    doc: 'Checkpoints at least this large are sent by the CLI as byte-offset deltas (capability `delta-checkpoint-uploads-v2`); 0 = always after the first.',
  },
  FULMAR_JOURNALING: {
    schema: bool.default(true),
    doc: 'Offer journaling (`journalVersion: 1`) to CLIs that ask for it at update start: small journal batches instead of whole checkpoints. `false` = checkpoints only.',
  },
  FULMAR_JOURNAL_MAX_BATCH_BYTES: {
    schema: int(1024, 4096 * MiB).default(32 * MiB),
    doc: 'Largest journal batch accepted (after gzip inflation); above it 413, and the CLI halves the batch.',
  },
  FULMAR_JOURNAL_CATCH_UP_MS: {
    schema: int(0, 60_000).optional(),
    doc: 'With several pods: how often, at most, a pod storing a journaled update\'s batches reads in the ones other pods stored, so the commit at `complete` on any pod finds its replay nearly done (~0.4 s sooner for 600 resources on 3 pods) — at the price of every pod reading every batch (~25 % more pod CPU per update). Unset: off; the pod that commits reads then what it has not seen.',
  },
  FULMAR_LEASE_SECONDS: { schema: int(10, 3600).default(300), doc: 'Update lease duration; the CLI renews every ~150 s.' },
  FULMAR_SHUTDOWN_GRACE_MS: { schema: int(0, 600_000).default(25_000), doc: 'On SIGTERM, how long in-flight requests may take.' },
  FULMAR_READY_TIMEOUT_MS: {
    schema: int(100, 60_000).default(2_000),
    doc: 'How long /readyz waits for the bucket before answering 503 (a hung bucket must not hang the probe).',
  },
  FULMAR_TRUST_PROXY: { schema: bool.default(false), doc: 'Trust X-Forwarded-* headers (behind a load balancer).' },
  FULMAR_METRICS: { schema: bool.default(true), doc: 'Serve Prometheus metrics on /metrics.' },
  FULMAR_CONSOLE_URL: {
    schema: z
      .string()
      .url()
      .superRefine((value, ctx) => {
        const problem = URL.canParse(value) ? consoleUrlProblem(new URL(value)) : undefined;
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .transform((value) => new URL(value).origin)
      .optional(),
    shownDefault: 'derived from FULMAR_PUBLIC_URL as the CLI derives it',
    doc: 'Public URL of the web console (an origin: the CLI puts its links at the root). Default: `api.` host → `app.` host, `localhost:8080` → `localhost:3000`, as the CLI derives it; else the API host on FULMAR_CONSOLE_PORT, else FULMAR_PUBLIC_URL itself (see docs/console.md#console-address).',
  },
  FULMAR_CONSOLE_PORT: {
    schema: int(0, 65535).optional(),
    shownDefault: '`3000` when PORT is 8080, else none',
    doc: 'A second port serving the console (the same app: console pages and `/api/*`). 0 = none; the console is always served on PORT as well.',
  },
  FULMAR_SESSION_KEY: {
    schema: z.string().optional(),
    doc: 'Key signing console session cookies: 32 bytes of base64; every pod needs the same one. Secret. Unset: the embedded default keeps a generated one in `FULMAR_DATA_DIR/session.key`; on a bucket, console sign-in is off.',
  },
  FULMAR_SESSION_HOURS: { schema: int(1, 24 * 30).default(12), doc: 'How long a console session lasts (there is no server-side session to revoke).' },
  FULMAR_OIDC_ISSUER: { schema: z.string().url().optional(), doc: 'OpenID Connect issuer for console sign-in (its discovery document is read from it). Unset: sign-in with an API token only.' },
  FULMAR_OIDC_CLIENT_ID: { schema: z.string().min(1).optional(), doc: 'OIDC client id (required with FULMAR_OIDC_ISSUER); its redirect URI is `<console URL>/console/oidc/callback`.' },
  FULMAR_OIDC_CLIENT_SECRET: { schema: z.string().min(1).optional(), doc: 'OIDC client secret (unset: a public client, PKCE only). Secret.' },
  FULMAR_OIDC_SCOPES: { schema: z.string().min(1).default('openid profile email'), doc: 'Scopes asked for; `openid` is added when missing.' },
  FULMAR_OIDC_NAME: { schema: z.string().min(1).max(60).optional(), doc: 'What the sign-in button calls the provider (default: its issuer host).' },
  FULMAR_OIDC_USER_CLAIM: {
    schema: z.string().min(1).default('preferred_username'),
    doc: 'Claim whose value becomes the Fulmar login (falls back to `sub`; an e-mail keeps its local part, other characters become `-`).',
  },
  FULMAR_OIDC_GROUPS_CLAIM: { schema: z.string().min(1).default('groups'), doc: 'Claim listing the groups FULMAR_OIDC_ROLE_MAP reads.' },
  FULMAR_OIDC_ROLE_MAP: {
    schema: z.string().optional(),
    doc: 'Org roles from groups: `acme-admins=acme:admin,acme-devs=acme:member`. Each sign-in sets the role in every org named here from the groups (removes it when no group maps); other orgs are left alone.',
  },
} as const;

type Settings = typeof settings;
const envSchema = z.object(
  Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, v.schema])) as {
    [K in keyof Settings]: Settings[K]['schema'];
  },
);

export interface S3Config {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region: string;
  prefix: string;
  pathStyle: boolean;
}

export interface Config {
  port: number;
  host: string;
  /** FULMAR_PUBLIC_URL without a trailing slash; undefined = `http://localhost:<bound port>`. */
  publicUrl: string | undefined;
  storage:
    | { kind: 'filesystem'; dataDir: string }
    | { kind: 'memory' }
    | ({ kind: 's3' } & S3Config);
  dataDir: string;
  storageTimeoutMs: number;
  storageRetries: number;
  adminToken: string | undefined;
  masterKeys: { id: string; key: Buffer }[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  cacheBytes: number;
  maxBodyBytes: number;
  deltaCutoffBytes: number;
  journaling: boolean;
  journalMaxBatchBytes: number;
  /** FULMAR_JOURNAL_CATCH_UP_MS; undefined = no catch-up (src/services/journal-replays.ts). */
  journalCatchUpMs: number | undefined;
  leaseSeconds: number;
  shutdownGraceMs: number;
  readyTimeoutMs: number;
  trustProxy: boolean;
  metrics: boolean;
  /**
   * The AWS_* credentials of the environment, for stores other than the configured one that admin
   * commands open (a backup bucket, a DIY `s3://` backend; src/storage/store-location.ts).
   */
  aws: { accessKey?: string; secretKey?: string; region?: string };
  console: ConsoleConfig;
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  scopes: string;
  /** What the console's sign-in button names. */
  name: string;
  userClaim: string;
  groupsClaim: string;
  roleMap: RoleMapEntry[];
}

export interface ConsoleConfig {
  /** FULMAR_CONSOLE_URL (an origin); undefined = derived once the API URL is known (src/domain/console-url.ts). */
  url: string | undefined;
  /** A second listener for the console; undefined = none. */
  port: number | undefined;
  /** True when `port` is the embedded default's 3000, not FULMAR_CONSOLE_PORT: a busy port is then no reason to refuse to start. */
  portDefaulted: boolean;
  /** FULMAR_SESSION_KEY; undefined = kept in the data folder, or sign-in off on a bucket (src/services/session-keys.ts). */
  sessionKey: Buffer | undefined;
  sessionTtlSeconds: number;
  oidc: OidcConfig | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses settings from an environment map; throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means "unset", as in most deployment tools.
  const present = Object.fromEntries(
    Object.keys(settings)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  // Each setting is parsed on its own, so one bad value does not hide the problems of the rest.
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(settings)) {
    const result = (setting.schema as z.ZodType).safeParse(present[name]);
    if (result.success) values[name] = result.data;
    else problems.push(...result.error.issues.map((i) => `${name}: ${i.message}`));
  }
  const e = values as z.output<typeof envSchema>;

  const masterKeys = parseKeyring(e.FULMAR_MASTER_KEYS, problems);
  const fromUrl = e.FULMAR_S3_URL ? parseS3Url(e.FULMAR_S3_URL, problems) : {};
  const kind = e.FULMAR_STORAGE ?? (e.FULMAR_S3_URL || e.FULMAR_S3_BUCKET ? 's3' : 'filesystem');

  let storage: Config['storage'];
  if (kind === 's3') {
    const s3 = {
      endpoint: e.FULMAR_S3_ENDPOINT ?? fromUrl.endpoint,
      bucket: e.FULMAR_S3_BUCKET ?? fromUrl.bucket,
      accessKey: e.FULMAR_S3_ACCESS_KEY ?? fromUrl.accessKey ?? e.AWS_ACCESS_KEY_ID,
      secretKey: e.FULMAR_S3_SECRET_KEY ?? fromUrl.secretKey ?? e.AWS_SECRET_ACCESS_KEY,
      region: e.FULMAR_S3_REGION ?? fromUrl.region ?? e.AWS_REGION ?? 'us-east-1',
      prefix: e.FULMAR_S3_PREFIX ?? fromUrl.prefix ?? '',
      pathStyle: e.FULMAR_S3_PATH_STYLE,
    };
    for (const [name, value] of [
      ['FULMAR_S3_ENDPOINT', s3.endpoint],
      ['FULMAR_S3_BUCKET', s3.bucket],
      ['FULMAR_S3_ACCESS_KEY', s3.accessKey],
      ['FULMAR_S3_SECRET_KEY', s3.secretKey],
    ] as const) {
      if (!value) problems.push(`${name}: required when FULMAR_STORAGE is s3 (or give FULMAR_S3_URL)`);
    }
    if (masterKeys.length === 0) {
      problems.push(
        'FULMAR_MASTER_KEYS: required with S3 storage (pods must share the key that wraps stack secrets); generate one with `fulmar keygen`',
      );
    }
    storage = { kind: 's3', ...(s3 as S3Config) };
  } else if (kind === 'memory') {
    storage = { kind: 'memory' };
  } else {
    storage = { kind: 'filesystem', dataDir: e.FULMAR_DATA_DIR };
  }
  const consoleConfig = parseConsole(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port: e.PORT,
    host: e.FULMAR_HOST,
    publicUrl: e.FULMAR_PUBLIC_URL,
    storage,
    dataDir: e.FULMAR_DATA_DIR,
    storageTimeoutMs: e.FULMAR_STORAGE_TIMEOUT_MS,
    storageRetries: e.FULMAR_STORAGE_RETRIES,
    adminToken: e.FULMAR_ADMIN_TOKEN,
    masterKeys,
    logLevel: e.FULMAR_LOG_LEVEL,
    cacheBytes: e.FULMAR_CACHE_BYTES,
    maxBodyBytes: e.FULMAR_MAX_BODY_BYTES,
    deltaCutoffBytes: e.FULMAR_DELTA_CUTOFF_BYTES,
    journaling: e.FULMAR_JOURNALING,
    journalMaxBatchBytes: e.FULMAR_JOURNAL_MAX_BATCH_BYTES,
    journalCatchUpMs: e.FULMAR_JOURNAL_CATCH_UP_MS,
    leaseSeconds: e.FULMAR_LEASE_SECONDS,
    shutdownGraceMs: e.FULMAR_SHUTDOWN_GRACE_MS,
    readyTimeoutMs: e.FULMAR_READY_TIMEOUT_MS,
    trustProxy: e.FULMAR_TRUST_PROXY,
    metrics: e.FULMAR_METRICS,
    aws: { accessKey: e.AWS_ACCESS_KEY_ID, secretKey: e.AWS_SECRET_ACCESS_KEY, region: e.AWS_REGION },
    console: consoleConfig,
  };
}

/** The console's settings (docs/console.md); problems are added to the one list. */
function parseConsole(e: z.output<typeof envSchema>, problems: string[]): ConsoleConfig {
  let sessionKey: Buffer | undefined;
  if (e.FULMAR_SESSION_KEY) {
    sessionKey = Buffer.from(e.FULMAR_SESSION_KEY, 'base64');
    if (sessionKey.length !== 32) problems.push(`FULMAR_SESSION_KEY: must be 32 bytes of base64 (got ${sessionKey.length} bytes); make one with \`openssl rand -base64 32\``);
  }
  // The embedded default answers the CLI's own guess: API on localhost:8080, console on :3000
  // (pkg/backend/httpstate/client/console.go: CloudConsoleURL).
  const port = e.FULMAR_CONSOLE_PORT ?? (e.PORT === 8080 ? 3000 : 0);
  if (port !== 0 && port === e.PORT) problems.push('FULMAR_CONSOLE_PORT: must differ from PORT (the console is served on PORT anyway); use 0 for no second port');

  let oidc: OidcConfig | undefined;
  const roleMap = parseRoleMap(e.FULMAR_OIDC_ROLE_MAP);
  problems.push(...roleMap.problems.map((p) => `FULMAR_OIDC_ROLE_MAP: ${p}`));
  if (e.FULMAR_OIDC_ISSUER) {
    if (!e.FULMAR_OIDC_CLIENT_ID) problems.push('FULMAR_OIDC_CLIENT_ID: required with FULMAR_OIDC_ISSUER');
    const scopes = e.FULMAR_OIDC_SCOPES.split(/\s+/).filter(Boolean);
    oidc = {
      issuer: e.FULMAR_OIDC_ISSUER,
      clientId: e.FULMAR_OIDC_CLIENT_ID ?? '',
      clientSecret: e.FULMAR_OIDC_CLIENT_SECRET,
      scopes: (scopes.includes('openid') ? scopes : ['openid', ...scopes]).join(' '),
      name: e.FULMAR_OIDC_NAME ?? new URL(e.FULMAR_OIDC_ISSUER).host,
      userClaim: e.FULMAR_OIDC_USER_CLAIM,
      groupsClaim: e.FULMAR_OIDC_GROUPS_CLAIM,
      roleMap: roleMap.entries,
    };
  } else {
    for (const name of ['FULMAR_OIDC_CLIENT_ID', 'FULMAR_OIDC_CLIENT_SECRET', 'FULMAR_OIDC_ROLE_MAP'] as const) {
      if (e[name]) problems.push(`${name}: has no effect without FULMAR_OIDC_ISSUER`);
    }
  }
  return { url: e.FULMAR_CONSOLE_URL, port: port === 0 ? undefined : port, portDefaulted: e.FULMAR_CONSOLE_PORT === undefined, sessionKey, sessionTtlSeconds: e.FULMAR_SESSION_HOURS * 3600, oidc };
}

/** The CLI replaces the path of the URL it derives (client/console.go), so the console is an origin. */
function consoleUrlProblem(url: URL): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.username || url.password) return 'must not carry credentials';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return 'must be an origin (scheme, host, port): the console is served at the root';
  return undefined;
}

/**
 * A login URL is a scheme and a host, perhaps a path; the CLI sends it back verbatim in every stack's
 * secrets state (pkg/secrets/service/manager.go), so anything it could not use is refused here.
 */
function publicUrlProblem(url: URL): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.search || url.hash) return 'must not have a query or a fragment';
  return undefined;
}

function parseKeyring(value: string | undefined, problems: string[]): Config['masterKeys'] {
  if (!value) return [];
  const keys: Config['masterKeys'] = [];
  for (const entry of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const sep = entry.indexOf(':');
    const id = sep > 0 ? entry.slice(0, sep) : '';
    const key = Buffer.from(entry.slice(sep + 1), 'base64');
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
      problems.push(`FULMAR_MASTER_KEYS: entry ids must match [A-Za-z0-9_-]{1,32} (got "${id}")`);
    } else if (key.length !== 32) {
      problems.push(`FULMAR_MASTER_KEYS: key "${id}" must be 32 bytes of base64 (got ${key.length} bytes)`);
    } else if (keys.some((k) => k.id === id)) {
      problems.push(`FULMAR_MASTER_KEYS: key id "${id}" appears twice`);
    } else {
      keys.push({ id, key });
    }
  }
  return keys;
}

export function parseS3Url(value: string, problems: string[], name = 'FULMAR_S3_URL'): Partial<S3Config> {
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`${name}: must start with http:// or https://`);
    return {};
  }
  const [bucket, ...rest] = url.pathname.split('/').filter(Boolean);
  if (!bucket) problems.push(`${name}: must name the bucket as its first path segment`);
  return {
    endpoint: `${url.protocol}//${url.host}`,
    bucket,
    accessKey: url.username ? decodeURIComponent(url.username) : undefined,
    secretKey: url.password ? decodeURIComponent(url.password) : undefined,
    region: url.searchParams.get('region') ?? undefined,
    prefix: rest.length > 0 ? `${rest.join('/')}/` : undefined,
  } as Partial<S3Config>;
}

/** The configuration as printable JSON, with every secret replaced by "[redacted]". */
export function redactConfig(config: Config): Record<string, unknown> {
  const r = '[redacted]';
  return {
    ...config,
    storage:
      config.storage.kind === 's3'
        ? { ...config.storage, accessKey: config.storage.accessKey ? r : undefined, secretKey: r }
        : config.storage,
    adminToken: config.adminToken ? r : undefined,
    masterKeys: config.masterKeys.map((k) => ({ id: k.id, key: r })),
    aws: { ...config.aws, accessKey: config.aws.accessKey ? r : undefined, secretKey: config.aws.secretKey ? r : undefined },
    console: {
      ...config.console,
      sessionKey: config.console.sessionKey ? r : undefined,
      oidc: config.console.oidc && { ...config.console.oidc, clientSecret: config.console.oidc.clientSecret ? r : undefined },
    },
  };
}
