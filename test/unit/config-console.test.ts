/** The console's settings (docs/console.md): defaults, problems reported together, secrets redacted. */
import { expect } from 'chai';
import { ConfigError, loadConfig, redactConfig } from '../../src/config/config.js';

const KEY = Buffer.alloc(32, 1).toString('base64');

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config: the console', () => {
  it('listens for the console on 3000 beside 8080 (the CLI’s own guess), and on no second port otherwise', () => {
    expect(loadConfig({}).console).to.deep.include({ port: 3000, url: undefined, sessionKey: undefined, sessionTtlSeconds: 12 * 3600, oidc: undefined });
    expect(loadConfig({ PORT: '0' }).console.port).to.equal(undefined);
    expect(loadConfig({ PORT: '9000' }).console.port).to.equal(undefined);
    expect(loadConfig({ FULMAR_CONSOLE_PORT: '0' }).console.port).to.equal(undefined);
    expect(loadConfig({ PORT: '0', FULMAR_CONSOLE_PORT: '4000' }).console.port).to.equal(4000);
  });

  it('takes the console URL as an origin only', () => {
    expect(loadConfig({ FULMAR_CONSOLE_URL: 'https://app.example.com/' }).console.url).to.equal('https://app.example.com');
    expect(problemsOf({ FULMAR_CONSOLE_URL: 'https://example.com/console' })[0]).to.match(/FULMAR_CONSOLE_URL: must be an origin/);
  });

  it('reads OIDC settings, adding the openid scope, and parses the role map', () => {
    const c = loadConfig({
      FULMAR_SESSION_KEY: KEY,
      FULMAR_OIDC_ISSUER: 'https://idp.example.com/realms/x',
      FULMAR_OIDC_CLIENT_ID: 'fulmar',
      FULMAR_OIDC_CLIENT_SECRET: 'shh',
      FULMAR_OIDC_SCOPES: 'profile groups',
      FULMAR_OIDC_ROLE_MAP: 'a=acme:admin',
    });
    expect(c.console.sessionKey?.length).to.equal(32);
    expect(c.console.oidc).to.deep.include({ clientId: 'fulmar', scopes: 'openid profile groups', name: 'idp.example.com', userClaim: 'preferred_username', groupsClaim: 'groups' });
    expect(c.console.oidc?.roleMap).to.deep.equal([{ group: 'a', org: 'acme', role: 'admin' }]);
    const shown = JSON.stringify(redactConfig(c));
    expect(shown).not.to.contain('shh');
    expect(shown).not.to.contain(KEY);
  });

  it('reports every console problem at once', () => {
    const problems = problemsOf({
      FULMAR_SESSION_KEY: 'c2hvcnQ=',
      FULMAR_OIDC_ISSUER: 'https://idp.example.com',
      FULMAR_OIDC_ROLE_MAP: 'g=acme:owner',
      PORT: '3000',
      FULMAR_CONSOLE_PORT: '3000',
    });
    expect(problems.join('\n')).to.match(/FULMAR_SESSION_KEY: must be 32 bytes/);
    expect(problems.join('\n')).to.match(/FULMAR_OIDC_CLIENT_ID: required/);
    expect(problems.join('\n')).to.match(/FULMAR_OIDC_ROLE_MAP: .*role must be one of/);
    expect(problems.join('\n')).to.match(/FULMAR_CONSOLE_PORT: must differ from PORT/);
    expect(problemsOf({ FULMAR_OIDC_CLIENT_ID: 'x' })[0]).to.match(/no effect without FULMAR_OIDC_ISSUER/);
  });
});
