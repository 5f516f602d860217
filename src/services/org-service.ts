/**
 * Organizations (docs/design.md, "Organizations"). An org exists because a site admin created
 * it, because it is a user's personal org (named after the login), or because it already held
 * stacks or members before orgs were recorded. Org names and logins share one registry,
 * `_system/orgs/<name>.json`, written create-once, so a login and an org never take one name.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { createOnce } from '../storage/conditional-writes.js';
import { layout, SYSTEM_PREFIX } from '../storage/layout.js';
import { conflict, forbidden, notFound } from '../domain/errors.js';
import { ADMIN_LOGIN, type Principal, type Role } from '../domain/roles.js';
import { isOrgName, validateOrgName } from '../domain/names.js';
import type { Clock } from '../domain/clock.js';
import { encodeJson, listAllKeys, readJson } from './json-objects.js';

export interface OrgRecord {
  name: string;
  /**
   * `org`: created by a site admin, or registered when first met holding stacks or members from
   * before the registry; `personal`: claimed by the first user of that login.
   */
  kind: 'org' | 'personal';
  createdAt: string;
  /** The site admin who created it; the user, for a personal org; `fulmar` when registered as found. */
  createdBy: string;
}

/** Who registered an org that predates the registry. */
export const FOUND_BY = 'fulmar';

/** An org as `GET /api/user` lists it. */
export interface OrgMembership {
  name: string;
  role: Role;
}

const loginTaken = (name: string) =>
  conflict(
    `'${name}' is the login of ${name === ADMIN_LOGIN ? 'the site administrator' : 'a user'} (their personal organization); an organization may not take it`,
  );
const orgTaken = (name: string) => conflict(`'${name}' is the name of an existing organization; a user may not take it as a login`);

export class OrgService {
  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
  ) {}

  /** `POST /api/orgs` and `fulmar org create`: a new org, site admins only; 409 when the name is taken. */
  async create(actor: Principal, name: string): Promise<OrgRecord> {
    if (!actor.siteAdmin) throw forbidden('creating organizations requires a site admin');
    validateOrgName(name);
    if (name === ADMIN_LOGIN) throw loginTaken(name);
    // Users created before the registry hold no claim: their record is what reserves the name.
    if (await this.userExists(name)) throw loginTaken(name);
    const existing = await this.read(name);
    if (existing) throw existing.kind === 'personal' ? loginTaken(name) : conflict(`organization '${name}' already exists`);
    if (await this.usedBeforeRegistry(name)) {
      await this.registerFound(name);
      throw conflict(`organization '${name}' already exists (it holds stacks or members)`);
    }
    const record: OrgRecord = { name, kind: 'org', createdAt: this.clock.now().toISOString(), createdBy: actor.login };
    if (await createOnce(this.store, layout.orgKey(name), encodeJson(record))) return record;
    // Someone claimed the name between our read and our write: theirs stands.
    const winner = await this.read(name);
    throw winner?.kind === 'personal' ? loginTaken(name) : conflict(`organization '${name}' already exists`);
  }

  /**
   * Does `name` name an org? One GET for a recorded org. An org that predates the registry (it
   * holds stacks, or someone is its member) is registered the first time it is met here, so the
   * next check is one GET too. `isMember` says the caller's own record lists a role in it —
   * proof enough of members, without reading every user.
   */
  async exists(name: string, isMember = false): Promise<boolean> {
    if (name === ADMIN_LOGIN) return true;
    if (await this.read(name)) return true;
    if (await this.userExists(name)) return true;
    if (isMember || (await this.usedBeforeRegistry(name))) {
      await this.registerFound(name);
      return true;
    }
    return false;
  }

  /** 404 naming the org unless it exists (for callers already allowed into it). */
  async require(name: string, principal: Principal): Promise<void> {
    if (!(await this.exists(name, principal.orgs[name] !== undefined))) {
      throw notFound(`organization '${name}' does not exist`);
    }
  }

  /**
   * Before a user record is first written: claims the login's personal org, so no org can take
   * the name afterwards; 409 when an org already has it. A login that cannot name an org (too
   * short, or ending in `_`) has nothing to claim.
   */
  async claimPersonal(login: string): Promise<void> {
    if (login === ADMIN_LOGIN || !isOrgName(login)) return;
    const existing = await this.read(login);
    if (existing) {
      if (existing.kind === 'personal') return; // claimed by an earlier attempt of this same create
      throw orgTaken(login);
    }
    if (await this.usedBeforeRegistry(login)) throw orgTaken(login);
    const record: OrgRecord = { name: login, kind: 'personal', createdAt: this.clock.now().toISOString(), createdBy: login };
    if (await createOnce(this.store, layout.orgKey(login), encodeJson(record))) return;
    if ((await this.read(login))?.kind !== 'personal') throw orgTaken(login);
  }

  /**
   * The orgs `GET /api/user` lists: the personal org first, then every org the principal has a
   * role in — for a site admin, who is admin everywhere, every org Fulmar knows (recorded, or
   * holding stacks).
   */
  async membershipsOf(principal: Principal): Promise<OrgMembership[]> {
    const others = principal.siteAdmin ? await this.allNames() : Object.keys(principal.orgs);
    const names = [...new Set(others)].filter((n) => n !== principal.login).sort();
    return [
      { name: principal.login, role: 'admin' },
      ...names.map((name): OrgMembership => ({ name, role: principal.siteAdmin ? 'admin' : (principal.orgs[name] as Role) })),
    ];
  }

  async read(name: string): Promise<OrgRecord | undefined> {
    if (!isOrgName(name)) return undefined;
    return (await readJson<OrgRecord>(this.store, layout.orgKey(name)))?.value;
  }

  private async userExists(login: string): Promise<boolean> {
    return (await readJson(this.store, layout.userKey(login))) !== undefined;
  }

  /** Stacks under `<name>/`, or a user with a role in it: an org from before the registry. */
  private async usedBeforeRegistry(name: string): Promise<boolean> {
    const page = await this.store.list({ prefix: layout.orgPrefix(name), maxKeys: 1 });
    if (page.objects.length > 0 || page.commonPrefixes.length > 0) return true;
    for (const key of await listAllKeys(this.store, layout.usersPrefix())) {
      const user = (await readJson<{ orgs?: Record<string, Role> }>(this.store, key))?.value;
      if (user?.orgs && Object.hasOwn(user.orgs, name)) return true;
    }
    return false;
  }

  private async registerFound(name: string): Promise<void> {
    const record: OrgRecord = { name, kind: 'org', createdAt: this.clock.now().toISOString(), createdBy: FOUND_BY };
    await createOnce(this.store, layout.orgKey(name), encodeJson(record));
  }

  /** Every recorded org and every top-level folder holding stacks (one LIST per 1000 of each). */
  private async allNames(): Promise<string[]> {
    const prefix = layout.orgsPrefix();
    const recorded = (await listAllKeys(this.store, prefix)).map((k) => k.slice(prefix.length, -'.json'.length));
    const withStacks: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.store.list({ prefix: '', delimiter: '/', continuationToken });
      for (const p of page.commonPrefixes) if (p !== SYSTEM_PREFIX) withStacks.push(p.slice(0, -1));
      continuationToken = page.nextContinuationToken;
    } while (continuationToken);
    return [...recorded, ...withStacks];
  }
}
