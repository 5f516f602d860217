/**
 * From an OpenID Connect identity to a Fulmar user (docs/console.md#openid-connect): the login
 * from one claim, and org roles from a groups claim through FULMAR_OIDC_ROLE_MAP
 * (`group=org:role,…`). Orgs named in the map are managed by it: each sign-in sets the user's
 * role there to what their groups say, the highest when several groups map to one org, and
 * removes it when none does; roles in other orgs are left as an admin set them.
 */
import { ADMIN_LOGIN, ROLES, type Role } from './roles.js';
import { ORG_NAME, USER_LOGIN } from './names.js';

export interface RoleMapEntry {
  group: string;
  org: string;
  role: Role;
}

/** Parses `group=org:role,…`; problems are returned, one per bad entry, for config to report. */
export function parseRoleMap(value: string | undefined): { entries: RoleMapEntry[]; problems: string[] } {
  const entries: RoleMapEntry[] = [];
  const problems: string[] = [];
  for (const raw of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = raw.lastIndexOf('=');
    const group = eq > 0 ? raw.slice(0, eq).trim() : '';
    const [org = '', role = '', ...rest] = raw.slice(eq + 1).split(':');
    if (!group || rest.length > 0) problems.push(`"${raw}" is not group=org:role`);
    else if (!ORG_NAME.test(org)) problems.push(`"${raw}": "${org}" is not an organization name`);
    else if (!(ROLES as readonly string[]).includes(role)) problems.push(`"${raw}": the role must be one of ${ROLES.join(', ')}`);
    else entries.push({ group, org, role: role as Role });
  }
  return { entries, problems };
}

/** The orgs the map manages, each with the role the groups give (undefined = no role there). */
export function rolesFromGroups(map: readonly RoleMapEntry[], groups: readonly string[]): Map<string, Role | undefined> {
  const held = new Set(groups);
  const out = new Map<string, Role | undefined>();
  for (const { group, org, role } of map) {
    if (!out.has(org)) out.set(org, undefined);
    const current = out.get(org);
    if (held.has(group) && (!current || ROLES.indexOf(role) > ROLES.indexOf(current))) out.set(org, role);
  }
  return out;
}

/** A claim's groups: a list of strings, or one string; anything else is no groups. */
export function groupsOf(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim];
  if (Array.isArray(claim)) return claim.filter((g): g is string => typeof g === 'string');
  return [];
}

/**
 * A Fulmar login from a claim value: an e-mail-like `jane.doe@example.com` keeps its local part,
 * letters, digits, `-` and `_` stay, anything else becomes `-`, and the result must start with a
 * letter or digit and fit 39 characters. Undefined when nothing usable remains, and for the
 * reserved `admin` (the bootstrap site admin's login: an identity provider must not mint it).
 */
export function loginFromClaim(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const local = value.includes('@') ? value.slice(0, value.indexOf('@')) : value;
  const login = local
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 39);
  if (!USER_LOGIN.test(login) || login.toLowerCase() === ADMIN_LOGIN) return undefined;
  return login;
}
