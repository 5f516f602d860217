/**
 * The web console's own calls (docs/console.md): its sign-in, by API token or OpenID Connect, the
 * session cookie, and the browser half of `pulumi login` (docs/console.md#cli-browser-login).
 * Everything else the console shows it reads from `/api/*` with the session cookie.
 */
import type { Response } from 'express';
import type { Services } from '../services.js';
import { defineRoute, type Route } from '../route.js';
import { notFound } from '../../domain/errors.js';
import { consoleCliLoginRequest, consoleOidcLoginQuery, consoleTokenLoginRequest } from '../../wire/requests.js';
import {
  consoleCliLoginResponse,
  consoleConfigResponse,
  consoleLoginResponse,
  consoleSessionResponse,
  emptyResponse,
} from '../../wire/responses.js';
import type { Redirect } from '../../services/oidc-sign-in.js';

function redirect(res: Response, to: Redirect): void {
  res.setHeader('Set-Cookie', to.cookies);
  res.setHeader('Cache-Control', 'no-store');
  res.redirect(302, to.location);
}

export function consoleRoutes(s: Services): Route[] {
  const { sessions, oidc, cliLogin } = s.console;
  const oidcOrNotFound = () => {
    if (!oidc) throw notFound('sign-in through an identity provider is not configured (FULMAR_OIDC_ISSUER)');
    return oidc;
  };
  return [
    {
      method: 'get',
      path: '/console/config',
      auth: 'none',
      body: 'none',
      summary: "What the console's sign-in page offers, and where the API and the console live",
      responses: { 200: consoleConfigResponse },
      handler: (_req, res) => {
        res.json({
          signIn: sessions.enabled,
          oidc: !!oidc && sessions.enabled,
          ...(oidc && { oidcName: oidc.settings.name }),
          apiUrl: sessions.site.apiUrl,
          consoleUrl: sessions.site.consoleUrl,
        });
      },
    },
    {
      method: 'get',
      path: '/console/session',
      auth: 'session',
      body: 'none',
      summary: 'Who the console session belongs to, and their role in every org they see',
      responses: { 200: consoleSessionResponse },
      handler: async (req, res) => {
        res.setHeader('Cache-Control', 'no-store');
        res.json(await sessions.view(req.headers.cookie));
      },
    },
    defineRoute({
      method: 'post',
      path: '/console/login/token',
      auth: 'console',
      body: 'small',
      summary: 'Sign in to the console with an API token: sets the session cookie',
      request: consoleTokenLoginRequest,
      responses: { 200: consoleLoginResponse },
      errors: [401, 503],
      handler: async (_req, res, _c, input) => {
        const { login, cookie } = await sessions.signInWithToken(input.body().token);
        res.setHeader('Set-Cookie', cookie);
        res.json({ login });
      },
    }),
    {
      method: 'post',
      path: '/console/logout',
      auth: 'console',
      body: 'none',
      summary: "Sign out of the console: clears the browser's session cookie",
      // A JSON body, like every console call, so the app can read any answer the same way.
      responses: { 200: emptyResponse },
      handler: (_req, res) => {
        res.setHeader('Set-Cookie', sessions.end());
        res.json({});
      },
    },
    defineRoute({
      method: 'get',
      path: '/console/login/oidc',
      auth: 'none',
      body: 'none',
      summary: 'Sign in through the identity provider: redirects there (authorization code with PKCE)',
      query: consoleOidcLoginQuery,
      responses: { 302: null },
      errors: [404, 503],
      handler: async (_req, res, _c, input) => {
        redirect(res, await oidcOrNotFound().begin(input.query().next));
      },
    }),
    {
      method: 'get',
      path: '/console/oidc/callback',
      auth: 'none',
      body: 'none',
      summary: "The identity provider's return: verifies the sign-in, sets the session cookie, redirects to `next`",
      responses: { 302: null },
      // 400: the round-trip cookie is missing or stale; 403: the provider or the identity refused.
      errors: [400, 403, 404, 503],
      handler: async (req, res) => {
        const q = req.originalUrl.indexOf('?');
        redirect(res, await oidcOrNotFound().finish(req.headers.cookie, q >= 0 ? req.originalUrl.slice(q) : ''));
      },
    },
    defineRoute({
      method: 'post',
      path: '/console/cli-login',
      auth: 'session',
      body: 'small',
      summary: 'Finish `pulumi login` in the browser: mints a token for the signed-in user and answers the URL of the CLI listener',
      request: consoleCliLoginRequest,
      responses: { 200: consoleCliLoginResponse },
      handler: async (_req, res, { principal }, input) => {
        res.setHeader('Cache-Control', 'no-store');
        res.json(await cliLogin.complete(principal, input.body()));
      },
    }),
  ];
}
