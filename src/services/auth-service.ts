/**
 * Tokens, users and org memberships, all kept in the bucket (DESIGN §8): a token is stored only
 * as its SHA-256; a user record holds the user's role per org. Lookups are cached for a few
 * seconds per pod — the documented revocation delay — and nothing else is kept in a pod.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ObjectStore } from '../storage/object-store.js';
import { isPreconditionFailed } from '../storage/storage-error.js';
import { layout } from '../storage/layout.js';
import { badRequest, conflict, forbidden, notFound, unauthorized } from '../domain/errors.js';
import { roleIn, type Principal, type Role } from '../domain/roles.js';
import { validateUserLogin, validateOrgName } from '../domain/names.js';
import { freshNonce } from './meta-register.js';
import { listAllKeys, readJson, writeJson } from './json-objects.js';

export const ADMIN_LOGIN = 'admin';
/** How long a pod may keep using a token→principal lookup (documented revocation delay). */
export const AUTH_CACHE_TTL_MS = 10_000;

export interface UserRecord {
  login: string;
  name: string;
  siteAdmin: boolean;
  orgs: Record<string, Role>;
  createdAt: string;
  nonce: string;
}

export interface TokenRecord {
  /** The SHA-256 (hex) of the token value; also its key in the bucket. */
  id: string;
  login: string;
  description: string;
  createdAt: number;
  /** Unix seconds; 0 = never. */
  expiresAt: number;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
const newTokenValue = () => `pul-${randomBytes(32).toString('hex')}`;

export class AuthService {
  private readonly cache = new LRUCache<string, Principal>({ max: 10_000, ttl: AUTH_CACHE_TTL_MS });
  private readonly adminTokenHash: Buffer | undefined;

  constructor(
    private readonly store: ObjectStore,
    adminToken: string | undefined,
  ) {
    this.adminTokenHash = adminToken ? Buffer.from(hashToken(adminToken), 'hex') : undefined;
  }

  /** Resolves an API token to its principal; 401 when unknown or expired. */
  async authenticate(token: string): Promise<Principal> {
    const hash = hashToken(token);
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const principal = await this.lookup(hash);
    this.cache.set(hash, principal);
    return principal;
  }

  private async lookup(hash: string): Promise<Principal> {
    if (this.adminTokenHash && timingSafeEqual(Buffer.from(hash, 'hex'), this.adminTokenHash)) {
      const user = await this.readUser(ADMIN_LOGIN);
      return { login: ADMIN_LOGIN, name: 'Site administrator', siteAdmin: true, orgs: user?.orgs ?? {} };
    }
    const token = await readJson<TokenRecord>(this.store, layout.tokenKey(hash));
    if (!token) throw unauthorized();
    const record = token.value;
    if (record.expiresAt > 0 && record.expiresAt * 1000 <= Date.now()) throw unauthorized();
    const user = await this.readUser(record.login);
    if (!user) throw unauthorized();
    return {
      login: user.login,
      name: user.name,
      siteAdmin: user.siteAdmin,
      orgs: user.orgs,
      token: { id: record.id, description: record.description },
    };
  }

  async readUser(login: string): Promise<UserRecord | undefined> {
    return (await readJson<UserRecord>(this.store, layout.userKey(login)))?.value;
  }

  /** Read-modify-CAS of a user record, creating it when absent. */
  private async mutateUser(login: string, change: (user: UserRecord) => UserRecord | undefined): Promise<UserRecord> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const got = await readJson<UserRecord>(this.store, layout.userKey(login));
      const current: UserRecord = got?.value ?? {
        login,
        name: login,
        siteAdmin: false,
        orgs: {},
        createdAt: new Date().toISOString(),
        nonce: '',
      };
      const next = change(current);
      if (!next) return current;
      try {
        const options = got ? { ifMatch: got.etag } : { ifNoneMatch: '*' as const };
        await writeJson(this.store, layout.userKey(login), { ...next, nonce: freshNonce() }, options);
        return next;
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
      }
    }
    throw conflict(`user '${login}' was modified concurrently; please retry`);
  }

  private requireOrgAdmin(actor: Principal, org: string): void {
    if (roleIn(actor, org) !== 'admin') {
      // Outsiders must not learn which orgs exist; members learn they lack the role.
      if (!roleIn(actor, org)) throw notFound(`organization '${org}' not found`);
      throw forbidden(`managing members of '${org}' requires the admin role`);
    }
  }

  async setMember(actor: Principal, org: string, login: string, role: Role) {
    validateOrgName(org);
    validateUserLogin(login);
    this.requireOrgAdmin(actor, org);
    if (login === ADMIN_LOGIN && !actor.siteAdmin) throw forbidden(`the user '${ADMIN_LOGIN}' is reserved`);
    const user = await this.mutateUser(login, (u) => (u.orgs[org] === role ? undefined : { ...u, orgs: { ...u.orgs, [org]: role } }));
    this.cache.clear();
    return memberView(user, org, role);
  }

  async getMember(actor: Principal, org: string, login: string) {
    this.requireOrgAdmin(actor, org);
    const user = await this.readUser(login);
    const role = user?.orgs[org];
    if (!user || !role) throw notFound(`user '${login}' is not a member of '${org}'`);
    return memberView(user, org, role);
  }

  async removeMember(actor: Principal, org: string, login: string): Promise<void> {
    this.requireOrgAdmin(actor, org);
    const user = await this.readUser(login);
    if (!user?.orgs[org]) throw notFound(`user '${login}' is not a member of '${org}'`);
    await this.mutateUser(login, (u) => {
      if (!u.orgs[org]) return undefined;
      const orgs = { ...u.orgs };
      delete orgs[org];
      return { ...u, orgs };
    });
    this.cache.clear();
  }

  async listMembers(actor: Principal, org: string) {
    this.requireOrgAdmin(actor, org);
    const keys = await listAllKeys(this.store, layout.usersPrefix());
    const users = await Promise.all(keys.map(async (k) => (await readJson<UserRecord>(this.store, k))?.value));
    return users
      .filter((u): u is UserRecord => !!u && !!u.orgs[org])
      .map((u) => memberView(u, org, u.orgs[org] as Role));
  }

  async createToken(actor: Principal, description: string, expires?: number) {
    if (actor.login === ADMIN_LOGIN && !actor.token) {
      // The bootstrap token's user has no record of its own until it needs one.
      await this.mutateUser(ADMIN_LOGIN, (u) => (u.siteAdmin ? undefined : { ...u, name: 'Site administrator', siteAdmin: true }));
    }
    return this.issueToken(actor.login, description, expires);
  }

  async adminCreateToken(actor: Principal, login: string, description: string) {
    if (!actor.siteAdmin) throw forbidden('creating tokens for other users requires a site admin');
    validateUserLogin(login);
    if (!(await this.readUser(login))) await this.mutateUser(login, (u) => u);
    return this.issueToken(login, description);
  }

  private async issueToken(login: string, description: string, expires?: number) {
    if (expires !== undefined && expires !== 0 && expires * 1000 <= Date.now()) {
      throw badRequest('expires must be in the future (unix seconds)');
    }
    const tokenValue = newTokenValue();
    const id = hashToken(tokenValue);
    const record: TokenRecord = { id, login, description, createdAt: Math.floor(Date.now() / 1000), expiresAt: expires ?? 0 };
    await writeJson(this.store, layout.tokenKey(id), record, { ifNoneMatch: '*' });
    return { id, tokenValue };
  }

  async listTokens(actor: Principal) {
    const keys = await listAllKeys(this.store, layout.tokensPrefix());
    const records = await Promise.all(keys.map(async (k) => (await readJson<TokenRecord>(this.store, k))?.value));
    return records
      .filter((r): r is TokenRecord => !!r && r.login === actor.login)
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((r) => ({ id: r.id, description: r.description, created: r.createdAt, expires: r.expiresAt, lastUsed: 0 }));
  }

  async deleteToken(actor: Principal, id: string): Promise<void> {
    if (!/^[a-f0-9]{64}$/.test(id)) throw notFound(`token '${id}' not found`);
    const got = await readJson<TokenRecord>(this.store, layout.tokenKey(id));
    if (!got || (got.value.login !== actor.login && !actor.siteAdmin)) throw notFound(`token '${id}' not found`);
    await this.store.delete(layout.tokenKey(id));
    this.cache.clear();
  }
}

function memberView(user: UserRecord, org: string, role: Role) {
  return {
    role,
    organization: org,
    user: { githubLogin: user.login, name: user.name, avatarUrl: '', email: '' },
    created: user.createdAt,
  };
}
