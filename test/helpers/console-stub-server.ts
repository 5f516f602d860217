/**
 * STAND-IN for the console listener (branch console-server builds the real one): serves the built
 * SPA from dist/console/ with an SPA fallback, a minimal stub of the `/console/*` session
 * endpoints, and Fulmar's real app for `/api/*` on the same origin. It exists so the console's
 * browser tests run before the real listener lands; replace `startConsoleStub` with the real
 * listener and the tests keep their shape.
 *
 * The contract it imitates (and the SPA codes against):
 * - `GET /console/session` → 200 {login, name, siteAdmin, orgs: {org: role}} or 401
 * - `GET /console/config` → {oidc, oidcName?, apiUrl, consoleUrl}
 * - `POST /console/login/token` {token} → 200 {login}, sets the HttpOnly session cookie
 * - `POST /console/logout`
 * - `GET /console/login/oidc?next=` → the identity provider (not implemented here: 501)
 * - `POST /console/cli-login` {port, nonce, description} → {redirect}
 * - every non-GET request carries `X-Fulmar-Console: 1`; `/api/*` reads the cookie.
 *
 * What the stub does NOT do that the real one must: sign or expire sessions (here the cookie is a
 * random id in a Map holding the raw API token), OIDC, rate limits, secure cookies behind TLS.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { repoRoot } from './pods.js';

export const CONSOLE_DIST = path.join(repoRoot, 'dist', 'console');
const COOKIE = 'fulmar_console_stub';

export interface ConsoleStub {
  url: string;
  close(): Promise<void>;
}

export interface ConsoleStubOptions {
  /** Fulmar's real app (createApp over a store), answering `/api/*`. */
  api: Express;
  /** When set, /console/config advertises an OIDC sign-in under this name. */
  oidcName?: string;
  host?: string;
  port?: number;
}

export async function startConsoleStub(options: ConsoleStubOptions): Promise<ConsoleStub> {
  if (!existsSync(path.join(CONSOLE_DIST, 'index.html'))) {
    throw new Error(`${CONSOLE_DIST}/index.html is missing: run \`npm run build\` first`);
  }
  const sessions = new Map<string, string>(); // cookie id → API token
  let base = '';
  const outer = express();
  outer.disable('x-powered-by');

  const tokenOf = (req: Request) => {
    const sid = cookieOf(req.headers.cookie, COOKIE);
    return sid ? sessions.get(sid) : undefined;
  };
  /** Asks Fulmar itself, over the loopback, with the session's token. */
  const api = (token: string, method: string, p: string, body?: unknown) =>
    fetch(`${base}${p}`, {
      method,
      headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const csrf = (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.get('X-Fulmar-Console') !== '1') {
      res.status(403).json({ code: 403, message: 'missing X-Fulmar-Console header' });
      return;
    }
    next();
  };

  outer.use('/console', express.json({ limit: '16kb' }), csrf);
  outer.get('/console/config', (_req, res) => {
    res.json({ oidc: Boolean(options.oidcName), ...(options.oidcName && { oidcName: options.oidcName }), apiUrl: base, consoleUrl: base });
  });
  outer.get('/console/session', async (req, res) => {
    const token = tokenOf(req);
    const user = token ? await api(token, 'GET', '/api/user') : undefined;
    if (!user?.ok) {
      res.status(401).json({ code: 401, message: 'not signed in' });
      return;
    }
    const u = (await user.json()) as { githubLogin: string; name: string; siteAdmin?: boolean; organizations: { githubLogin: string; role?: string }[] };
    res.json({
      login: u.githubLogin,
      name: u.name,
      siteAdmin: Boolean(u.siteAdmin),
      orgs: Object.fromEntries(u.organizations.map((o) => [o.githubLogin, o.role ?? 'member'])),
    });
  });
  outer.post('/console/login/token', async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    const user = token ? await api(token, 'GET', '/api/user') : undefined;
    if (!user?.ok) {
      res.status(401).json({ code: 401, message: 'that token was not accepted' });
      return;
    }
    const sid = randomBytes(24).toString('hex');
    sessions.set(sid, token);
    res.setHeader('Set-Cookie', `${COOKIE}=${sid}; HttpOnly; SameSite=Lax; Path=/`);
    res.json({ login: ((await user.json()) as { githubLogin: string }).githubLogin });
  });
  outer.post('/console/logout', (req, res) => {
    const sid = cookieOf(req.headers.cookie, COOKIE);
    if (sid) sessions.delete(sid);
    res.setHeader('Set-Cookie', `${COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0`);
    res.status(204).end();
  });
  outer.get('/console/login/oidc', (_req, res) => {
    res.status(501).json({ code: 501, message: 'the console stub has no OIDC' });
  });
  outer.post('/console/cli-login', async (req, res) => {
    const token = tokenOf(req);
    const { port, nonce, description } = (req.body ?? {}) as { port?: unknown; nonce?: unknown; description?: unknown };
    if (!token) {
      res.status(401).json({ code: 401, message: 'not signed in' });
      return;
    }
    if (!Number.isInteger(port) || typeof nonce !== 'string' || !nonce) {
      res.status(400).json({ code: 400, message: 'port and nonce are required' });
      return;
    }
    const minted = await api(token, 'POST', '/api/user/tokens', { description: String(description ?? 'pulumi login').slice(0, 200) });
    if (!minted.ok) {
      res.status(minted.status).send(await minted.text());
      return;
    }
    const { tokenValue } = (await minted.json()) as { tokenValue: string };
    // The CLI's local server reads `accessToken` and `nonce` (backend.go: serveBrowserLoginServer).
    const q = new URLSearchParams({ accessToken: tokenValue, nonce });
    res.json({ redirect: `http://127.0.0.1:${port}/?${q}` });
  });

  // `/api/*`: the cookie becomes the Authorization header Fulmar's routes expect.
  outer.use((req, res, next) => {
    if (!req.path.startsWith('/api/')) return next();
    const token = tokenOf(req);
    if (token && !req.headers.authorization) {
      if (req.method !== 'GET' && req.method !== 'HEAD' && req.get('X-Fulmar-Console') !== '1') {
        res.status(403).json({ code: 403, message: 'missing X-Fulmar-Console header' });
        return;
      }
      req.headers.authorization = `token ${token}`;
    }
    options.api(req, res, next);
  });

  outer.use(express.static(CONSOLE_DIST, { index: false, maxAge: 0 }));
  // The SPA fallback: every other GET is a console route (`/org/project/stack/updates/3`, …),
  // except a missing bundle file (`/assets/index-….js`), which must stay a 404, not become HTML.
  outer.use((req, res, next) => {
    if (req.method !== 'GET' || req.path.startsWith('/console/') || /^\/assets\/[^/]+\.[a-z0-9]+$/.test(req.path)) return next();
    res.sendFile(path.join(CONSOLE_DIST, 'index.html'));
  });

  const server = outer.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
