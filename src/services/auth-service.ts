/**
 * Tokens, users and org memberships, all kept in the bucket (docs/design.md#roles): a token is
 * stored only as its SHA-256; a user record holds the user's role per org. Lookups are cached for a
 * few seconds per pod — the documented revocation delay — and nothing else is kept in a pod.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ObjectStore } from '../storage/object-store.js';
import { compareAndSwap, createOnce } from '../storage/conditional-writes.js';
import { layout } from '../storage/layout.js';
import { badRequest, conflict, forbidden, notFound, unauthorized } from '../domain/errors.js';
import { ADMIN_LOGIN, roleIn, type Principal, type Role } from '../domain/roles.js';
import { validateUserLogin, validateOrgName } from '../domain/names.js';
import { freshNonce } from './meta-register.js';
import { decodeJson, encodeJson, listAllKeys, readJson } from './json-objects.js';
import type { OrgService } from './org-service.js';
import { STALE_ENTRY_MS, TokenOwners } from './token-owners.js';

/** Tokens one user may hold at once; each is a bucket object, and minting is self-service. */
export const MAX_TOKENS_PER_USER = 100;
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
  /** Set on tokens minted with their owner index entry (src/services/token-owners.ts). */
  indexed?: boolean;
}

/**
 * Whoever holds the store's credentials acts as this principal (`fulmar token …`, the embedded
 * default's first start): the site admin, as the bootstrap FULMAR_ADMIN_TOKEN would be.
 */
export const OPERATOR: Principal = Object.freeze({ login: ADMIN_LOGIN, name: 'Site administrator', siteAdmin: true, orgs: {} });

/** The command that makes the first token where none exists (README.md#first-token-on-a-bucket). */
export const FIRST_TOKEN_COMMAND = 'node dist/cli.js token create --user admin';

/** Appended to a 401 while nobody can log in at all, so the first caller learns the way in. */
export const FIRST_TOKEN_ADVICE =
  `No API token exists yet and FULMAR_ADMIN_TOKEN is not set: create the first one, for the site admin, with ` +
  `\`${FIRST_TOKEN_COMMAND}\` run with this server's configuration (in its container, say; with the filesystem ` +
  `store, while the server is stopped — or just restart it: it then keeps an admin token in its data folder), ` +
  `then give the token it prints to \`pulumi login\` as PULUMI_ACCESS_TOKEN.`;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
const newTokenValue = () => `pul-${randomBytes(32).toString('hex')}`;

export class AuthService {
  private readonly cache = new LRUCache<string, Principal>({ max: 10_000, ttl: AUTH_CACHE_TTL_MS });
  private readonly alive = new LRUCache<string, boolean>({ max: 10_000, ttl: AUTH_CACHE_TTL_MS });
  private readonly adminTokenHash: Buffer | undefined;
  private readonly owners: TokenOwners;
  /** Whether the bucket held no token at all, and when that was read (AUTH_CACHE_TTL_MS). */
  private noTokens: { value: Promise<boolean>; at: number } | undefined;

  constructor(
    private readonly store: ObjectStore,
    adminToken: string | undefined,
    private readonly orgs: OrgService,
  ) {
    this.adminTokenHash = adminToken ? Buffer.from(hashToken(adminToken), 'hex') : undefined;
    this.owners = new TokenOwners(store);
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
    // Tokens minted before the owner index existed join it the first time they are used.
    if (!record.indexed) await this.owners.add(record.login, record.id);
    return {
      login: user.login,
      name: user.name,
      siteAdmin: user.siteAdmin,
      orgs: user.orgs,
      token: { id: record.id, description: record.description },
    };
  }

  /**
   * The principal a console session names (src/services/console-session.ts): the user record as
   * it is now — roles changed since sign-in apply at once (within AUTH_CACHE_TTL_MS) — and 401
   * once the user is gone. The bootstrap site admin may have no record.
   */
  async principalOf(login: string): Promise<Principal> {
    const key = `login:${login}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const user = await this.readUser(login);
    let principal: Principal;
    if (login === ADMIN_LOGIN) principal = { ...OPERATOR, orgs: user?.orgs ?? {} };
    else if (user) principal = { login: user.login, name: user.name, siteAdmin: user.siteAdmin, orgs: user.orgs };
    else throw unauthorized();
    this.cache.set(key, principal);
    return principal;
  }

  /**
   * Whether a stored token still works (exists, not expired): a console session begun with a token
   * ends when that token is revoked (src/services/console-session.ts). Cached like lookups.
   */
  async tokenAlive(id: string): Promise<boolean> {
    const key = `alive:${id}`;
    const cached = this.alive.get(key);
    if (cached !== undefined) return cached;
    const record = /^[a-f0-9]{64}$/.test(id) ? (await readJson<TokenRecord>(this.store, layout.tokenKey(id)))?.value : undefined;
    const alive = !!record && !(record.expiresAt > 0 && record.expiresAt * 1000 <= Date.now());
    this.alive.set(key, alive);
    return alive;
  }

  /**
   * Signs in a user an identity provider vouched for (src/services/oidc-sign-in.ts): creates the
   * user when absent, and sets their role in each org the role map manages — all in one CAS of the
   * user record, so concurrent sign-ins and admin edits never lose each other's changes.
   */
  async applyExternalIdentity(login: string, name: string, managed: ReadonlyMap<string, Role | undefined>): Promise<UserRecord> {
    validateUserLogin(login);
    if (login === ADMIN_LOGIN) throw forbidden(`the user '${ADMIN_LOGIN}' is reserved`);
    const user = await this.mutateUser(login, (u) => {
      const orgs = { ...u.orgs };
      for (const [org, role] of managed) {
        if (org === login) continue; // a personal org is its owner's by definition (domain/roles.ts)
        if (role) orgs[org] = role;
        else delete orgs[org];
      }
      const next = { ...u, name: name || u.name, orgs };
      const same = next.name === u.name && JSON.stringify(sorted(orgs)) === JSON.stringify(sorted(u.orgs));
      return same && u.nonce ? undefined : next;
    });
    this.cache.clear();
    return user;
  }

  /**
   * FIRST_TOKEN_ADVICE while nobody can log in: no FULMAR_ADMIN_TOKEN and no stored token (a user
   * without a token cannot log in either). One LIST per pod every AUTH_CACHE_TTL_MS at most, and
   * only when a request was refused.
   */
  async firstTokenAdvice(): Promise<string | undefined> {
    if (this.adminTokenHash) return undefined;
    const now = Date.now();
    if (!this.noTokens || now - this.noTokens.at > AUTH_CACHE_TTL_MS) {
      const value = this.store.list({ prefix: layout.tokensPrefix(), maxKeys: 1 }).then((page) => page.objects.length === 0);
      this.noTokens = { value, at: now };
      value.catch(() => (this.noTokens = undefined));
    }
    return (await this.noTokens.value) ? FIRST_TOKEN_ADVICE : undefined;
  }

  async readUser(login: string): Promise<UserRecord | undefined> {
    return (await readJson<UserRecord>(this.store, layout.userKey(login)))?.value;
  }

  /** Read-modify-CAS of a user record, creating it when absent. */
  private async mutateUser(login: string, change: (user: UserRecord) => UserRecord | undefined): Promise<UserRecord> {
    const key = layout.userKey(login);
    return compareAndSwap(
      this.store,
      key,
      async (got) => {
        const current: UserRecord = got
          ? decodeJson<UserRecord>(key, got.body)
          : { login, name: login, siteAdmin: false, orgs: {}, createdAt: new Date().toISOString(), nonce: '' };
        const next = change(current);
        if (!next) return { result: current };
        if (!got) await this.requireLoginFree(login);
        return { write: encodeJson({ ...next, nonce: freshNonce() }), result: next };
      },
      { exhausted: () => conflict(`user '${login}' was modified concurrently; please retry`) },
    );
  }

  /**
   * Every user administers the org named after their login (domain/roles.ts: roleIn), so a new
   * login claims that name in the org registry before its record is written, and is refused when
   * an org has it — minting a token for `acme` would otherwise make its holder admin of org `acme`
   * (src/services/org-service.ts: claimPersonal).
   */
  private async requireLoginFree(login: string): Promise<void> {
    await this.orgs.claimPersonal(login);
  }

  /** Admin of the org (404 to outsiders, 403 to members), and the org exists (404 naming it). */
  private async requireOrgAdmin(actor: Principal, org: string): Promise<void> {
    if (roleIn(actor, org) !== 'admin') {
      // Outsiders must not learn which orgs exist; members learn they lack the role.
      if (!roleIn(actor, org)) throw notFound(`organization '${org}' not found`);
      throw forbidden(`managing members of '${org}' requires the admin role`);
    }
    await this.orgs.require(org, actor);
  }

  /**
   * The owner of a personal org (the user of that login) is its admin by definition
   * (domain/roles.ts: roleIn): listed as such, and not a role anyone can set or remove.
   */
  private async ownerOf(org: string): Promise<UserRecord | undefined> {
    const user = await this.readUser(org);
    if (user) return user;
    // The bootstrap site admin has no record until they mint a token of their own.
    if (org === ADMIN_LOGIN) return { login: ADMIN_LOGIN, name: 'Site administrator', siteAdmin: true, orgs: {}, createdAt: '', nonce: '' };
    return undefined;
  }

  private requireNotOwner(org: string, login: string): void {
    if (login === org) throw badRequest(`'${login}' owns the personal organization '${org}' and is always its admin`);
  }

  async setMember(actor: Principal, org: string, login: string, role: Role) {
    validateOrgName(org);
    validateUserLogin(login);
    await this.requireOrgAdmin(actor, org);
    this.requireNotOwner(org, login);
    if (login === ADMIN_LOGIN && !actor.siteAdmin) throw forbidden(`the user '${ADMIN_LOGIN}' is reserved`);
    const user = await this.mutateUser(login, (u) => (u.orgs[org] === role ? undefined : { ...u, orgs: { ...u.orgs, [org]: role } }));
    this.cache.clear();
    return memberView(user, org, role);
  }

  async getMember(actor: Principal, org: string, login: string) {
    await this.requireOrgAdmin(actor, org);
    if (login === org) {
      const owner = await this.ownerOf(org);
      if (owner) return memberView(owner, org, 'admin');
    }
    const user = await this.readUser(login);
    const role = user?.orgs[org];
    if (!user || !role) throw notFound(`user '${login}' is not a member of '${org}'`);
    return memberView(user, org, role);
  }

  async removeMember(actor: Principal, org: string, login: string): Promise<void> {
    await this.requireOrgAdmin(actor, org);
    this.requireNotOwner(org, login);
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

  /** The owner of a personal org first, then every user with a role in the org. */
  async listMembers(actor: Principal, org: string) {
    await this.requireOrgAdmin(actor, org);
    const keys = await listAllKeys(this.store, layout.usersPrefix());
    const users = await Promise.all(keys.map(async (k) => (await readJson<UserRecord>(this.store, k))?.value));
    const owner = await this.ownerOf(org);
    return [
      ...(owner ? [memberView(owner, org, 'admin')] : []),
      ...users.filter((u): u is UserRecord => !!u && u.login !== org && !!u.orgs[org]).map((u) => memberView(u, org, u.orgs[org] as Role)),
    ];
  }

  async createToken(actor: Principal, description: string, expires?: number) {
    // The bootstrap token's user has no record of its own until it needs one.
    if (actor.login === ADMIN_LOGIN && !actor.token) await this.ensureUser(ADMIN_LOGIN);
    return this.issueToken(actor.login, description, expires);
  }

  async adminCreateToken(actor: Principal, login: string, description: string) {
    if (!actor.siteAdmin) throw forbidden('creating tokens for other users requires a site admin');
    validateUserLogin(login);
    await this.ensureUser(login);
    return this.issueToken(login, description);
  }

  /** Creates the user when absent; the reserved `admin` is always the site admin, so its tokens are too. */
  private async ensureUser(login: string): Promise<void> {
    if (login === ADMIN_LOGIN) {
      await this.mutateUser(ADMIN_LOGIN, (u) => (u.siteAdmin ? undefined : { ...u, name: 'Site administrator', siteAdmin: true }));
    } else if (!(await this.readUser(login))) {
      await this.mutateUser(login, (u) => u);
    }
  }

  private async issueToken(login: string, description: string, expires?: number) {
    if (expires !== undefined && expires !== 0 && expires * 1000 <= Date.now()) {
      throw badRequest('expires must be in the future (unix seconds)');
    }
    // Concurrent mints may overshoot by a few; the cap bounds growth, it is not a quota ledger.
    const held = await this.owners.list(login, MAX_TOKENS_PER_USER);
    if (held.length >= MAX_TOKENS_PER_USER) {
      throw badRequest(`a user may hold at most ${MAX_TOKENS_PER_USER} tokens; revoke unused ones (DELETE /api/user/tokens/{id}) first`);
    }
    const tokenValue = newTokenValue();
    const id = hashToken(tokenValue);
    const record: TokenRecord = {
      id,
      login,
      description,
      createdAt: Math.floor(Date.now() / 1000),
      expiresAt: expires ?? 0,
      indexed: true,
    };
    await this.owners.add(login, id);
    if (!(await createOnce(this.store, layout.tokenKey(id), encodeJson(record)))) throw conflict('token id collision; please retry');
    this.noTokens = undefined;
    return { id, tokenValue };
  }

  /**
   * A user's tokens — the caller's own, or anyone's for a site admin — read through the owner
   * index (at most MAX_TOKENS_PER_USER records).
   */
  async listTokens(actor: Principal, login = actor.login) {
    if (login !== actor.login) {
      if (!actor.siteAdmin) throw forbidden("listing another user's tokens requires a site admin");
      validateUserLogin(login);
      if (!(await this.readUser(login))) throw notFound(`user '${login}' not found`);
    }
    const entries = await this.owners.list(login, MAX_TOKENS_PER_USER);
    const records = await Promise.all(
      entries.map(async (e) => {
        const record = (await readJson<TokenRecord>(this.store, layout.tokenKey(e.tokenId)))?.value;
        if (!record && Date.now() - e.lastModified.getTime() > STALE_ENTRY_MS) await this.owners.remove(login, e.tokenId);
        return record;
      }),
    );
    return records
      .filter((r): r is TokenRecord => !!r && r.login === login)
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((r) => ({ id: r.id, description: r.description, created: r.createdAt, expires: r.expiresAt, lastUsed: 0 }));
  }

  /** Revokes a token of the caller's (any token, for a site admin); answers whose it was. */
  async deleteToken(actor: Principal, id: string): Promise<{ login: string }> {
    if (!/^[a-f0-9]{64}$/.test(id)) throw notFound(`token '${id}' not found`);
    const got = await readJson<TokenRecord>(this.store, layout.tokenKey(id));
    if (!got || (got.value.login !== actor.login && !actor.siteAdmin)) throw notFound(`token '${id}' not found`);
    // The token first: once it is gone it cannot be used, listed or not.
    await this.store.delete(layout.tokenKey(id));
    await this.owners.remove(got.value.login, id);
    this.cache.clear();
    this.alive.clear();
    return { login: got.value.login };
  }
}

const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

function memberView(user: UserRecord, org: string, role: Role) {
  return {
    role,
    organization: org,
    user: { githubLogin: user.login, name: user.name, avatarUrl: '', email: '' },
    created: user.createdAt,
  };
}
