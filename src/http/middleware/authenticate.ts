/**
 * `Authorization: token <t>` for API calls and `update-token <t>` for the update-scoped ones
 * (docs/protocol.md#authentication), or the console's session cookie (docs/console.md#sessions). Reads the headers only — it runs before any byte of the body
 * is read. A missing or wrong kind of token is 401: the CLI turns any 401 into "please log in", so
 * lease problems are answered 403 by the services instead.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { forbidden, isFulmarError, unauthorized } from '../../domain/errors.js';
import type { AuthService } from '../../services/auth-service.js';
import { CONSOLE_HEADER, type ConsoleSessions } from '../../services/console-session.js';
import type { Auth, Credentials } from '../route.js';

function credential(headers: IncomingHttpHeaders, scheme: 'token' | 'update-token'): string {
  const header = headers.authorization ?? '';
  const space = header.indexOf(' ');
  const kind = space > 0 ? header.slice(0, space).toLowerCase() : '';
  const value = space > 0 ? header.slice(space + 1).trim() : '';
  if (!value) throw unauthorized();
  if (kind !== scheme) {
    throw unauthorized(
      scheme === 'token'
        ? 'this call needs an API token (Authorization: token …)'
        : 'this call needs the update token (Authorization: update-token …)',
    );
  }
  return value;
}

/**
 * While no token exists at all, a refusal also says how to make the first one. The CLI drops a
 * 401's message (docs/protocol.md#authentication), so this is for the person with curl; a failed
 * look-up of the advice leaves the refusal as it was.
 */
async function withFirstTokenAdvice(auth: AuthService, err: unknown): Promise<unknown> {
  if (!isFulmarError(err, 'unauthorized')) return err;
  const advice = await auth.firstTokenAdvice().catch(() => undefined);
  return advice ? unauthorized(`${err.message} ${advice}`) : err;
}

/**
 * A console request that changes something must say so in a header a cross-site form or link
 * cannot set (docs/console.md#csrf); the cookie alone proves only that a browser holds it.
 */
function requireConsoleHeader(method: string, headers: IncomingHttpHeaders): void {
  if (method === 'GET' || method === 'HEAD') return;
  if (headers[CONSOLE_HEADER] !== '1') throw forbidden(`a console request that changes something must carry the header X-Fulmar-Console: 1`);
}

export interface RequestHead {
  method: string;
  headers: IncomingHttpHeaders;
}

/** The credential a route declared, from the request headers; 401 when absent or invalid. */
export async function authenticate<A extends Auth>(
  auth: AuthService,
  kind: A,
  { method, headers }: RequestHead,
  sessions?: ConsoleSessions,
): Promise<Credentials[A]> {
  switch (kind) {
    case 'session':
      requireConsoleHeader(method, headers);
      if (!sessions) throw unauthorized('console sessions are not available on this server');
      return { principal: await sessions.principal(headers.cookie) } as Credentials[A];
    case 'console':
      requireConsoleHeader(method, headers);
      return {} as Credentials[A];
    case 'api-token':
      // The console calls the API with its session cookie instead of a token; a token wins when both come.
      if (!headers.authorization && sessions?.present(headers.cookie)) {
        requireConsoleHeader(method, headers);
        return { principal: await sessions.principal(headers.cookie) } as Credentials[A];
      }
      try {
        return { principal: await auth.authenticate(credential(headers, 'token')) } as Credentials[A];
      } catch (err) {
        throw await withFirstTokenAdvice(auth, err);
      }
    case 'update-token':
      return { updateToken: credential(headers, 'update-token') } as Credentials[A];
    default:
      return {} as Credentials[A];
  }
}
