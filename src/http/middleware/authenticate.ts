/**
 * `Authorization: token <t>` for API calls and `update-token <t>` for the update-scoped ones
 * (docs/protocol.md#authentication). Reads the headers only — it runs before any byte of the body
 * is read. A missing or wrong kind of token is 401: the CLI turns any 401 into "please log in", so
 * lease problems are answered 403 by the services instead.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isFulmarError, unauthorized } from '../../domain/errors.js';
import type { AuthService } from '../../services/auth-service.js';
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

/** The credential a route declared, from the request headers; 401 when absent or invalid. */
export async function authenticate<A extends Auth>(
  auth: AuthService,
  kind: A,
  headers: IncomingHttpHeaders,
): Promise<Credentials[A]> {
  switch (kind) {
    case 'api-token':
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
