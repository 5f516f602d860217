/**
 * Signed values for cookies, so a pod needs no session store (docs/console.md#sessions): the
 * value is `base64url(JSON).base64url(HMAC-SHA256(key, purpose + "." + JSON-part))`. The purpose
 * is part of what is signed, so a value minted for one cookie (the OIDC round trip's state) is
 * never accepted as another (a session). Expiry is inside the signed part; the cookie's own
 * Max-Age only helps the browser forget it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type CookiePurpose = 'session' | 'oidc-state';

/** Every signed value carries its expiry, in unix seconds. */
export interface Expiring {
  exp: number;
}

const b64url = (b: Buffer) => b.toString('base64url');

function mac(key: Buffer, purpose: CookiePurpose, payload: string): Buffer {
  return createHmac('sha256', key).update(`${purpose}.${payload}`).digest();
}

export function signValue(key: Buffer, purpose: CookiePurpose, value: Expiring): string {
  const payload = b64url(Buffer.from(JSON.stringify(value), 'utf8'));
  return `${payload}.${b64url(mac(key, purpose, payload))}`;
}

/**
 * The value, when the signature is this key's for this purpose and `exp` is after `nowSeconds`;
 * undefined otherwise (a tampered, foreign, malformed or expired value looks the same to callers).
 */
export function verifyValue<T extends Expiring>(key: Buffer, purpose: CookiePurpose, signed: string, nowSeconds: number): T | undefined {
  const dot = signed.indexOf('.');
  if (dot <= 0 || signed.length > 4096) return undefined;
  const payload = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1), 'base64url');
  const expected = mac(key, purpose, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const exp = (value as Partial<Expiring>).exp;
  if (typeof exp !== 'number' || !(exp > nowSeconds)) return undefined;
  return value as T;
}

/** The named cookie of a `Cookie` header, undefined when absent (RFC 6265 §5.4 pairs, first wins). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

export interface CookieOptions {
  path: string;
  /** Seconds; 0 clears the cookie. */
  maxAge: number;
  secure: boolean;
}

/** A `Set-Cookie` value: always HttpOnly and SameSite=Lax (docs/console.md#sessions says why). */
export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${o.path}`, `Max-Age=${o.maxAge}`, 'HttpOnly', 'SameSite=Lax'];
  if (o.maxAge === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}
