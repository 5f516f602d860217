/**
 * The console's pure rules: signed cookies, the console address the CLI derives, safe `next`
 * paths, and identities from OIDC claims (src/domain/signed-cookie.ts, console-url.ts,
 * oidc-claims.ts).
 */
import { expect } from 'chai';
import { readCookie, serializeCookie, signValue, verifyValue } from '../../src/domain/signed-cookie.js';
import { cliConsoleUrl, consoleDomainAdvice, defaultConsoleUrl, safeNextPath } from '../../src/domain/console-url.js';
import { groupsOf, loginFromClaim, parseRoleMap, rolesFromGroups } from '../../src/domain/oidc-claims.js';

describe('signed cookie values', () => {
  const key = Buffer.alloc(32, 1);
  const now = 1_800_000_000;
  const value = { login: 'jane', am: 'oidc', exp: now + 60 };

  it('round-trips a value signed with the key, for its purpose, until it expires', () => {
    const signed = signValue(key, 'session', value);
    expect(verifyValue(key, 'session', signed, now)).to.deep.equal(value);
    expect(verifyValue(key, 'session', signed, now + 60), 'at expiry').to.equal(undefined);
  });

  it('refuses another key, another purpose, a changed payload or signature, and junk', () => {
    const signed = signValue(key, 'session', value);
    const [payload, mac] = signed.split('.') as [string, string];
    expect(verifyValue(Buffer.alloc(32, 2), 'session', signed, now)).to.equal(undefined);
    expect(verifyValue(key, 'oidc-state', signed, now)).to.equal(undefined);
    const forged = Buffer.from(JSON.stringify({ ...value, login: 'admin' })).toString('base64url');
    expect(verifyValue(key, 'session', `${forged}.${mac}`, now)).to.equal(undefined);
    expect(verifyValue(key, 'session', `${payload}.${mac.slice(0, -2)}AA`, now)).to.equal(undefined);
    for (const junk of ['', '.', 'abc', `${payload}.`, `.${mac}`]) expect(verifyValue(key, 'session', junk, now), junk).to.equal(undefined);
  });

  it('refuses a correctly signed value without a numeric expiry', () => {
    const signed = signValue(key, 'session', { login: 'jane' } as never);
    expect(verifyValue(key, 'session', signed, now)).to.equal(undefined);
  });

  it('reads one cookie from a Cookie header and writes HttpOnly, SameSite=Lax ones', () => {
    expect(readCookie('a=1; fulmar_session=x.y; b=2', 'fulmar_session')).to.equal('x.y');
    expect(readCookie('fulmar_sessionx=1', 'fulmar_session')).to.equal(undefined);
    expect(readCookie(undefined, 'a')).to.equal(undefined);
    expect(serializeCookie('s', 'v', { path: '/', maxAge: 60, secure: true })).to.equal('s=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure');
    expect(serializeCookie('s', '', { path: '/', maxAge: 0, secure: false })).to.match(/^s=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax; Expires=/);
  });
});

describe('console address', () => {
  it('is derived from the API URL exactly as the CLI does (client/console.go: CloudConsoleURL)', () => {
    expect(cliConsoleUrl('https://api.pulumi.example.com')).to.equal('https://app.pulumi.example.com');
    expect(cliConsoleUrl('http://localhost:8080')).to.equal('http://localhost:3000');
    expect(cliConsoleUrl('https://fulmar.example.com/some/path')).to.equal(undefined);
    expect(cliConsoleUrl('http://127.0.0.1:8080')).to.equal(undefined);
    expect(cliConsoleUrl('http://fulmar:8080', 'console.example.com')).to.equal('http://console.example.com');
  });

  it('defaults to the CLI’s derivation, else the API host on the console port, else the API origin', () => {
    expect(defaultConsoleUrl('https://api.example.com', undefined)).to.equal('https://app.example.com');
    expect(defaultConsoleUrl('http://localhost:8080', 3000)).to.equal('http://localhost:3000');
    expect(defaultConsoleUrl('http://127.0.0.1:8080', 3000)).to.equal('http://127.0.0.1:3000');
    expect(defaultConsoleUrl('https://fulmar.example.com', undefined)).to.equal('https://fulmar.example.com');
  });

  it('says what PULUMI_CONSOLE_DOMAIN clients need when the CLI would derive another address', () => {
    expect(consoleDomainAdvice('http://localhost:8080', 'http://localhost:3000')).to.equal(undefined);
    expect(consoleDomainAdvice('https://fulmar.example.com', 'https://fulmar.example.com')).to.deep.equal({
      consoleDomain: 'fulmar.example.com',
      schemeDiffers: false,
    });
    expect(consoleDomainAdvice('http://fulmar:8080', 'https://console.example.com')?.schemeDiffers).to.equal(true);
  });

  it('lets `next` be a same-origin relative path only', () => {
    expect(safeNextPath('/acme/web/prod/updates/3?x=1#y')).to.equal('/acme/web/prod/updates/3?x=1#y');
    for (const evil of ['//evil.example.com/', '/\\evil.example.com', 'https://evil.example.com', 'evil', '/%0a/x\n', '/\t/evil.example.com', '', 42, undefined]) {
      expect(safeNextPath(evil), String(evil)).to.equal('/');
    }
  });
});

describe('identities from OIDC claims', () => {
  it('parses a role map, reporting each bad entry', () => {
    const { entries, problems } = parseRoleMap('acme-admins=acme:admin, acme-devs=acme:member,nonsense,g=acme,ou=ops=acme:viewer');
    expect(entries).to.deep.equal([
      { group: 'acme-admins', org: 'acme', role: 'admin' },
      { group: 'acme-devs', org: 'acme', role: 'member' },
      { group: 'ou=ops', org: 'acme', role: 'viewer' },
    ]);
    expect(problems).to.have.length(2);
    expect(parseRoleMap('g=acme:owner').problems[0]).to.match(/role must be one of viewer, member, admin/);
    expect(parseRoleMap('g=_x:admin').problems[0]).to.match(/not an organization name/);
    expect(parseRoleMap(undefined)).to.deep.equal({ entries: [], problems: [] });
  });

  it('gives each managed org the highest role the groups map to, and none where no group does', () => {
    const { entries } = parseRoleMap('acme-admins=acme:admin,acme-devs=acme:member,beta-devs=beta:member');
    const roles = rolesFromGroups(entries, ['acme-devs', 'acme-admins', 'other']);
    expect(Object.fromEntries(roles)).to.deep.equal({ acme: 'admin', beta: undefined });
  });

  it('reads groups from a list or a single string', () => {
    expect(groupsOf(['a', 1, 'b'])).to.deep.equal(['a', 'b']);
    expect(groupsOf('a')).to.deep.equal(['a']);
    expect(groupsOf({ a: 1 })).to.deep.equal([]);
  });

  it('makes a valid login of a claim, never the reserved admin', () => {
    expect(loginFromClaim('jane')).to.equal('jane');
    expect(loginFromClaim('jane.doe@example.com')).to.equal('jane-doe');
    expect(loginFromClaim('_x y')).to.equal('x-y');
    expect(loginFromClaim('a'.repeat(60))).to.have.length(39);
    for (const bad of ['admin', 'Admin', '', '@example.com', '---', 42]) expect(loginFromClaim(bad), String(bad)).to.equal(undefined);
  });
});
