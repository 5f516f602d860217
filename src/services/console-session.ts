/**
 * Console sessions without a session store (docs/console.md#sessions): the browser holds a signed
 * cookie naming the user, how they signed in, and when it expires; any pod with the shared key
 * (src/services/session-keys.ts) can check it, and reads the user record for their roles as it is
 * now. A session begun with a stored token also ends when that token is revoked. Signing out
 * clears the browser's cookie; there is nothing on the server to delete.
 */
import { FulmarError, unauthorized, unavailable } from '../domain/errors.js';
import type { Principal, Role } from '../domain/roles.js';
import { systemClock, unixSeconds, type Clock } from '../domain/clock.js';
import { readCookie, serializeCookie, signValue, verifyValue, type Expiring } from '../domain/signed-cookie.js';
import type { AuthService } from './auth-service.js';
import type { OrgService } from './org-service.js';
import type { ConsoleSite } from './console-site.js';

export const SESSION_COOKIE = 'fulmar_session';
/** The header a console request that changes something carries; a cross-site form cannot set it. */
export const CONSOLE_HEADER = 'x-fulmar-console';

export type AuthMethod = 'token' | 'oidc';

export interface SessionClaims extends Expiring {
  login: string;
  /** How the session began. */
  am: AuthMethod;
  /** The stored token it began with: revoking that token ends the session. */
  tid?: string;
}

export interface SessionView {
  login: string;
  name: string;
  siteAdmin: boolean;
  orgs: Record<string, Role>;
  authMethod: AuthMethod;
  /** Unix seconds. */
  expires: number;
}

export class ConsoleSessions {
  constructor(
    /** Undefined: sign-in is off (a bucket without FULMAR_SESSION_KEY). */
    private readonly key: Buffer | undefined,
    private readonly auth: AuthService,
    private readonly orgs: OrgService,
    readonly site: ConsoleSite,
    readonly ttlSeconds: number,
    private readonly clock: Clock = systemClock,
  ) {}

  get enabled(): boolean {
    return this.key !== undefined;
  }

  /** The signing key; 503 while sign-in is off. */
  signingKey(): Buffer {
    if (!this.key) throw unavailable('console sign-in is off: this deployment has no FULMAR_SESSION_KEY (docs/console.md#sessions)', 3600);
    return this.key;
  }

  now(): number {
    return unixSeconds(this.clock.now());
  }

  /** The `Set-Cookie` value that starts a session for `login`. */
  start(login: string, am: AuthMethod, tokenId?: string): { cookie: string; claims: SessionClaims } {
    const claims: SessionClaims = { login, am, exp: this.now() + this.ttlSeconds, ...(tokenId && { tid: tokenId }) };
    const value = signValue(this.signingKey(), 'session', claims);
    return { cookie: serializeCookie(SESSION_COOKIE, value, { path: '/', maxAge: this.ttlSeconds, secure: this.site.secure }), claims };
  }

  /** The `Set-Cookie` value that ends it. */
  end(): string {
    return serializeCookie(SESSION_COOKIE, '', { path: '/', maxAge: 0, secure: this.site.secure });
  }

  /** Whether the request carries a session cookie at all (valid or not). */
  present(cookieHeader: string | undefined): boolean {
    return readCookie(cookieHeader, SESSION_COOKIE) !== undefined;
  }

  /** The session's claims; 401 when absent, tampered with, signed by another key, or expired. */
  claims(cookieHeader: string | undefined): SessionClaims {
    const value = readCookie(cookieHeader, SESSION_COOKIE);
    const claims = value && this.key ? verifyValue<SessionClaims>(this.key, 'session', value, this.now()) : undefined;
    if (!claims || typeof claims.login !== 'string') throw unauthorized('no console session, or it has expired: sign in again');
    return claims;
  }

  /**
   * The session's user as a principal, with their roles as the user record has them now; 401 once
   * the token the session began with is revoked or expired.
   */
  async principal(cookieHeader: string | undefined): Promise<Principal> {
    return (await this.check(cookieHeader)).principal;
  }

  private async check(cookieHeader: string | undefined): Promise<{ claims: SessionClaims; principal: Principal }> {
    const claims = this.claims(cookieHeader);
    if (claims.tid !== undefined && !(await this.auth.tokenAlive(claims.tid))) {
      throw unauthorized('the token this console session began with was revoked or has expired: sign in again');
    }
    return { claims, principal: await this.auth.principalOf(claims.login) };
  }

  /** `GET /console/session`: who is signed in, and their role in every org they see. */
  async view(cookieHeader: string | undefined): Promise<SessionView> {
    const { claims, principal } = await this.check(cookieHeader);
    const memberships = await this.orgs.membershipsOf(principal);
    return {
      login: principal.login,
      name: principal.name,
      siteAdmin: principal.siteAdmin,
      orgs: Object.fromEntries(memberships.map((m) => [m.name, m.role])),
      authMethod: claims.am,
      expires: claims.exp,
    };
  }

  /** `POST /console/login/token`: an API token proves who the browser's user is. */
  async signInWithToken(token: string): Promise<{ login: string; cookie: string }> {
    this.signingKey();
    const principal = await this.auth.authenticate(token).catch((err: unknown) => {
      // The sign-in page shows this message as it is: say what was refused, not "No credentials".
      if (err instanceof FulmarError && err.kind === 'unauthorized') {
        throw unauthorized('that token was not accepted: it is unknown, revoked or expired');
      }
      throw err;
    });
    return { login: principal.login, cookie: this.start(principal.login, 'token', principal.token?.id).cookie };
  }
}
