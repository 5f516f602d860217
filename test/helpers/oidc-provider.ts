/**
 * A real OpenID Connect provider for tests: panva's oidc-provider on 127.0.0.1, one confidential
 * client for Fulmar's console (authorization code, PKCE), accounts with a groups claim, and its
 * development login and consent pages, which a test fills in as a person would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Browser } from './browser.js';

export interface TestAccount {
  preferred_username?: string;
  name?: string;
  groups?: string[];
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

export async function startProvider(redirectUris: string[], accounts: Record<string, TestAccount>): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'fulmar-console';
  const clientSecret = 'a-test-client-secret-0123456789';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'groups'],
    cookies: { keys: ['test-cookie-key-0123456789'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, sub) {
      const account = accounts[sub];
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account }) };
    },
  });
  // The dev pages print a warning per start; tests need not see it.
  provider.on('server_error', (_ctx, err) => console.error('oidc-provider:', err));
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * From the provider's authorization URL to the redirect back to the client: signs in as `sub` on
 * the login page, agrees on the consent page, and answers the URL the provider sends back to.
 */
export async function signInAtProvider(browser: Browser, authorizationUrl: string, sub: string, back: string): Promise<string> {
  let { url, res } = await browser.follow(authorizationUrl, (u) => u.startsWith(back));
  for (let step = 0; step < 4 && !url.startsWith(back); step++) {
    const html = await res.text();
    const page: Record<string, string> = html.includes('name="login"') ? { login: sub, password: 'any' } : {};
    const posted = await browser.submitForm(url, html, page);
    const location = posted.headers.get('location');
    if (!location) throw new Error(`the provider answered ${posted.status} to a form: ${(await posted.text()).slice(0, 300)}`);
    ({ url, res } = await browser.follow(new URL(location, url).href, (u) => u.startsWith(back)));
  }
  if (!url.startsWith(back)) throw new Error(`the provider never sent the browser back to ${back}`);
  return url;
}
