/**
 * The console's only door to the server: same-origin fetches that carry the session cookie. The
 * console listener turns the cookie into the caller's identity for `/api/*`; every request that
 * changes something carries `X-Fulmar-Console: 1`, which a cross-site form cannot send (the CSRF
 * guard of the console contract).
 */

export interface Session {
  login: string;
  name: string;
  siteAdmin: boolean;
  /** Org name → the caller's role in it. */
  orgs: Record<string, Role>;
}
export type Role = 'viewer' | 'member' | 'admin';

export interface ConsoleConfig {
  oidc: boolean;
  oidcName?: string;
  apiUrl: string;
  consoleUrl: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Called on any 401: the session ended (expired, logged out elsewhere). */
let onUnauthorized: () => void = () => undefined;
export const setUnauthorizedHandler = (f: () => void) => {
  onUnauthorized = f;
};

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/vnd.pulumi+8, application/json' };
  if (method !== 'GET') headers['X-Fulmar-Console'] = '1';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (res.status === 401 && !path.startsWith('/console/')) onUnauthorized();
  if (!res.ok) {
    // Every Fulmar error body is {code, message}.
    let message = `${res.status} ${res.statusText}`;
    try {
      const e = (await res.json()) as { message?: string };
      if (e.message) message = e.message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, message);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);

/** `/api/stacks/{org}/{project}/{stack}`: names are path-safe by Pulumi's rules, encoded anyway. */
export const stackApi = (r: StackName, suffix = '') =>
  `/api/stacks/${enc(r.org)}/${enc(r.project)}/${enc(r.stack)}${suffix}`;
export const enc = encodeURIComponent;

export interface StackName {
  org: string;
  project: string;
  stack: string;
}

// The shapes below mirror src/wire/responses.ts (the server's own schemas).

export interface StackSummary {
  orgName: string;
  projectName: string;
  stackName: string;
  /** 0 while an update holds the lease; absent for a stack never updated. */
  lastUpdate?: number;
  resourceCount: number;
  tags: Record<string, string>;
}

export interface StackView {
  orgName: string;
  projectName: string;
  stackName: string;
  activeUpdate: string;
  currentOperation?: { kind: string; author: string; started: number };
  tags: Record<string, string>;
  version: number;
}

export interface UpdateInfo {
  kind: string;
  startTime: number;
  endTime: number;
  message: string;
  environment: Record<string, string>;
  result: string;
  version: number;
  resourceChanges: Record<string, number>;
  resourceCount: number;
  updateID: string;
  /** Who ran it (Fulmar's own field), when known. */
  requestedBy?: string;
}

export interface UpdateStatus {
  status: string;
  kind: string;
  result: string;
  version?: number;
  startTime?: number;
  endTime?: number;
  message: string;
}

export interface EngineEvent {
  sequence: number;
  timestamp: number;
  [kind: string]: unknown;
}

export interface TokenInfo {
  id: string;
  description: string;
  created: number;
  expires: number;
  lastUsed: number;
}

export interface Member {
  role: Role;
  organization: string;
  user: { githubLogin: string; name: string };
  created: string;
}

export interface Resource {
  urn: string;
  type: string;
  custom?: boolean;
  id?: string;
  parent?: string;
  provider?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  [k: string]: unknown;
}

/** `S/resources/{version}?pageSize=`: one page of a version's resources (Fulmar's paged form). */
export interface ResourcesPage {
  resources: { resource: Resource }[];
  version: number;
  total?: number;
  continuationToken?: string;
}

export interface Deployment {
  version: number;
  deployment: { resources?: Resource[] | null; [k: string]: unknown };
}

export interface StackPage {
  stacks: StackSummary[];
  /** Set while the service has more: the next page starts after this page's last stack. */
  continuationToken?: string;
}

/**
 * One page of the stacks the caller sees (the service's pages, docs/protocol.md#pagination): the
 * stacks page asks for the next only as the list is scrolled or "More stacks" is pressed.
 */
export async function listStacksPage(filter: Record<string, string>, continuationToken?: string): Promise<StackPage> {
  const q = new URLSearchParams(filter);
  if (continuationToken) q.set('continuationToken', continuationToken);
  const res = await get<{ stacks: StackSummary[]; continuationToken?: string | null }>(`/api/user/stacks?${q}`);
  return { stacks: res.stacks, ...(res.continuationToken ? { continuationToken: res.continuationToken } : {}) };
}
