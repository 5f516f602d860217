/**
 * Console sign-in through an OpenID Connect provider (docs/console.md#openid-connect): the
 * authorization code flow with PKCE (S256), a `state` and a `nonce`. What the callback must
 * check — state, nonce and PKCE verifier — travels in a short-lived signed cookie rather than in
 * a server-side store, so any pod can finish a sign-in another pod began. The ID token is verified
 * by openid-client (signature against the provider's JWKS, issuer, audience, expiry, nonce).
 */
import * as oidc from 'openid-client';
import { badRequest, forbidden, unavailable } from '../domain/errors.js';
import { groupsOf, loginFromClaim, rolesFromGroups } from '../domain/oidc-claims.js';
import { safeNextPath } from '../domain/console-url.js';
import { readCookie, serializeCookie, signValue, verifyValue, type Expiring } from '../domain/signed-cookie.js';
import type { OidcConfig } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import type { AuthService } from './auth-service.js';
import type { ConsoleSessions } from './console-session.js';

export const OIDC_COOKIE = 'fulmar_oidc';
export const CALLBACK_PATH = '/console/oidc/callback';
/** How long a browser may spend at the provider before the round trip must start over. */
export const FLOW_SECONDS = 600;

interface FlowClaims extends Expiring {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
}

/** Where to send the browser, and the cookies to set on the way. */
export interface Redirect {
  location: string;
  cookies: string[];
}

export class OidcSignIn {
  private discovered: Promise<oidc.Configuration> | undefined;

  constructor(
    readonly settings: OidcConfig,
    private readonly sessions: ConsoleSessions,
    private readonly auth: AuthService,
    private readonly logger: Logger,
  ) {}

  /** `GET /console/login/oidc`: off to the provider, with the round trip's secrets in a cookie. */
  async begin(next: unknown): Promise<Redirect> {
    const key = this.sessions.signingKey();
    const config = await this.configuration();
    const flow: FlowClaims = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      next: safeNextPath(next),
      exp: this.sessions.now() + FLOW_SECONDS,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri(),
      scope: this.settings.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { location: url.href, cookies: [this.flowCookie(signValue(key, 'oidc-state', flow), FLOW_SECONDS)] };
  }

  /**
   * `GET /console/oidc/callback`: exchanges the code, verifies the ID token, makes or updates the
   * user (their login from the user claim, org roles from the groups claim), starts a session.
   */
  async finish(cookieHeader: string | undefined, search: string): Promise<Redirect> {
    const key = this.sessions.signingKey();
    const signed = readCookie(cookieHeader, OIDC_COOKIE);
    const flow = signed ? verifyValue<FlowClaims>(key, 'oidc-state', signed, this.sessions.now()) : undefined;
    if (!flow) throw badRequest('this sign-in was not started here or took too long: start it again from the sign-in page');
    const params = new URLSearchParams(search);
    const error = params.get('error');
    if (error) throw forbidden(`the identity provider refused the sign-in: ${error}${params.get('error_description') ? ` (${params.get('error_description')})` : ''}`);

    const config = await this.configuration();
    const current = new URL(`${CALLBACK_PATH}${search}`, this.sessions.site.consoleUrl);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      this.logger.warn({ err }, 'OIDC code exchange failed');
      throw forbidden(`the sign-in could not be completed: ${(err as Error).message}`);
    }
    const claims: Record<string, unknown> = { ...(tokens.claims() ?? {}) };
    const { userClaim, groupsClaim } = this.settings;
    // Many providers put profile and group claims only in the userinfo answer.
    if ((claims[userClaim] === undefined || claims[groupsClaim] === undefined) && tokens.access_token) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub)).catch((err: unknown) => {
        this.logger.warn({ err }, 'OIDC userinfo failed; using the ID token claims alone');
        return {};
      });
      for (const [k, v] of Object.entries(info)) if (claims[k] === undefined) claims[k] = v;
    }

    // `sub` stands in only when the configured claim is absent: a present but unusable value (the
    // reserved `admin`, say) is refused rather than quietly replaced by another identity.
    const source = claims[userClaim] !== undefined ? userClaim : 'sub';
    const login = loginFromClaim(claims[source]);
    if (!login) throw forbidden(`the identity has no usable login in claim '${source}' (${JSON.stringify(claims[source])})`);
    const managed = rolesFromGroups(this.settings.roleMap, groupsOf(claims[groupsClaim]));
    const name = typeof claims.name === 'string' ? claims.name.slice(0, 200) : '';
    await this.auth.applyExternalIdentity(login, name, managed);
    this.logger.info({ login, roles: Object.fromEntries(managed) }, 'console sign-in through OIDC');
    return { location: flow.next, cookies: [this.sessions.start(login, 'oidc').cookie, this.flowCookie('', 0)] };
  }

  /** The provider's settings, read once per pod (and again after a failed read). */
  private configuration(): Promise<oidc.Configuration> {
    this.discovered ??= this.discover().catch((err: unknown) => {
      this.discovered = undefined;
      this.logger.warn({ err, issuer: this.settings.issuer }, 'OIDC discovery failed');
      throw unavailable(`the identity provider ${this.settings.issuer} did not answer its discovery document`, 5, err);
    });
    return this.discovered;
  }

  private discover(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    const url = new URL(issuer);
    return oidc.discovery(
      url,
      clientId,
      clientSecret,
      clientSecret ? oidc.ClientSecretPost(clientSecret) : oidc.None(),
      // An http issuer is for tests and closed networks; openid-client refuses it unless told.
      url.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
    );
  }

  private redirectUri(): string {
    return new URL(CALLBACK_PATH, this.sessions.site.consoleUrl).href;
  }

  private flowCookie(value: string, maxAge: number): string {
    // Lax reaches the callback: the provider sends the browser back by a top-level GET.
    return serializeCookie(OIDC_COOKIE, value, { path: '/console/oidc', maxAge, secure: this.sessions.site.secure });
  }
}
