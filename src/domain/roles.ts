/**
 * Who may do what (docs/design.md#roles). A principal has a role per org; a user's personal org
 * (named after the login, as on Pulumi Cloud) is always theirs to administer; a site admin is admin
 * everywhere. Someone with no role in an org must not learn its stacks exist (404).
 */
import { forbidden, notFound } from './errors.js';

export type Role = 'viewer' | 'member' | 'admin';
/** The login of the site admin who holds the bootstrap token (FULMAR_ADMIN_TOKEN); also their personal org. */
export const ADMIN_LOGIN = 'admin';
export const ROLES: readonly Role[] = ['viewer', 'member', 'admin'];

export interface Principal {
  login: string;
  name: string;
  siteAdmin: boolean;
  orgs: Record<string, Role>;
  /** Set when authenticated by a stored token (not the bootstrap admin token). */
  token?: { id: string; description: string };
}

const rank = (role: Role) => ROLES.indexOf(role);

export function roleIn(principal: Principal, org: string): Role | undefined {
  if (principal.siteAdmin || org === principal.login) return 'admin';
  return principal.orgs[org];
}

/** Throws 404 (org invisible) or 403 (visible, but not enough) unless `needed` is met. */
export function requireRole(principal: Principal, org: string, needed: Role, what: string): void {
  const role = roleIn(principal, org);
  if (!role) throw notFound(`${what} not found`);
  if (rank(role) < rank(needed)) {
    throw forbidden(`this requires the ${needed} role in organization '${org}' (you are ${role})`);
  }
}

/** Orgs the principal can see, personal org first. */
export function visibleOrgs(principal: Principal): string[] {
  return [principal.login, ...Object.keys(principal.orgs).filter((o) => o !== principal.login).sort()];
}
