/**
 * `Authorization: token <t>` for API calls and `update-token <t>` for the update-scoped ones
 * (protocol §1.3). A missing or wrong kind of token is 401 — the CLI turns any 401 into
 * "please log in", so lease problems are answered 403 by the services instead.
 */
import type { Request, Response, RequestHandler } from 'express';
import { unauthorized } from '../../domain/errors.js';
import type { Principal } from '../../domain/roles.js';
import type { AuthService } from '../../services/auth-service.js';

function credential(req: Request, scheme: 'token' | 'update-token'): string {
  const header = req.headers.authorization ?? '';
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

export function requireApiToken(auth: AuthService): RequestHandler {
  return async (req, res, next) => {
    res.locals.principal = await auth.authenticate(credential(req, 'token'));
    next();
  };
}

export const principalOf = (res: Response): Principal => res.locals.principal as Principal;
export const updateTokenOf = (req: Request): string => credential(req, 'update-token');
