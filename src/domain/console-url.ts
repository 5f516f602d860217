/**
 * Where the console lives, and which console URL the pulumi CLI will print for an API URL.
 *
 * The CLI never asks the service for the console's address: it derives it from the URL it logged
 * in to (pkg/backend/httpstate/client/console.go: CloudConsoleURL): PULUMI_CONSOLE_DOMAIN, when
 * set, replaces the host; else a host starting `api.` becomes `app.`; else `localhost:8080` becomes
 * `localhost:3000`; else there is no console, and the CLI prints no links (`n/a` in `stack ls`)
 * and offers no browser login. The scheme is kept and the path is replaced, so a console must sit
 * at the root of its origin.
 */

const API_PREFIX = 'api.';
const CONSOLE_PREFIX = 'app.';

/** The console origin the CLI derives from `apiUrl`; undefined where it derives none. */
export function cliConsoleUrl(apiUrl: string, consoleDomain?: string): string | undefined {
  let u: URL;
  try {
    u = new URL(apiUrl);
  } catch {
    return undefined;
  }
  // Go's `u.Host = …` replaces host and port together; a URL's `host` setter would keep the port.
  if (consoleDomain) return URL.canParse(`${u.protocol}//${consoleDomain}`) ? new URL(`${u.protocol}//${consoleDomain}`).origin : undefined;
  if (u.host.startsWith(API_PREFIX)) u.host = CONSOLE_PREFIX + u.host.slice(API_PREFIX.length);
  else if (u.host === 'localhost:8080') u.host = 'localhost:3000';
  else return undefined;
  return u.origin;
}

/**
 * FULMAR_CONSOLE_URL's default: what the CLI derives (so its links and Fulmar's agree); else the
 * API's host on the console's own port, when it has one; else the API's origin.
 */
export function defaultConsoleUrl(apiUrl: string, consolePort: number | undefined): string {
  const derived = cliConsoleUrl(apiUrl);
  if (derived) return derived;
  const u = new URL(apiUrl);
  if (consolePort) u.port = String(consolePort);
  return u.origin;
}

/**
 * What a client must set for its links to reach `consoleUrl`, or undefined when its own
 * derivation already does: PULUMI_CONSOLE_DOMAIN replaces only the host, so a console under
 * another scheme cannot be reached that way at all (`scheme` says so).
 */
export function consoleDomainAdvice(apiUrl: string, consoleUrl: string): { consoleDomain: string; schemeDiffers: boolean } | undefined {
  if (cliConsoleUrl(apiUrl) === consoleUrl) return undefined;
  const api = new URL(apiUrl);
  const console = new URL(consoleUrl);
  return { consoleDomain: console.host, schemeDiffers: api.protocol !== console.protocol };
}

/**
 * A `next` path the console may send the browser to after signing in: same origin and relative
 * (`/org/proj`), never `//host`, `/\host` or a scheme — else `/`. An open redirect would let a
 * link on our domain forward a freshly signed-in user anywhere.
 */
export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  // Control characters and backslashes are normalised away by browsers; refuse them outright.
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  const resolved = new URL(next, 'http://console.invalid');
  if (resolved.origin !== 'http://console.invalid') return '/';
  return resolved.pathname + resolved.search + resolved.hash;
}
