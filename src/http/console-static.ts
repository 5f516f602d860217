/**
 * The console's pages (docs/console.md#console-address): the built single-page app in
 * `dist/console/`, served beside the API by the same app, so the console calls `/api/*` from its
 * own origin. Assets under `/assets/` carry content hashes in their names and are cached for a
 * year; `index.html` is revalidated every time, so a new release shows at the next load. Any
 * other page a browser asks for — `/cli-login`, `/account/tokens`, `/<org>/<project>/<stack>/
 * updates/<n>` — is the app's own route, answered with `index.html`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';

/** The repository (or installed package) root: the nearest folder up with a package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export const DEFAULT_CONSOLE_DIR = join(packageRoot(), 'dist', 'console');

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** Paths the console app never owns: the API, the console's calls, and hashed assets (a miss there is a 404). */
const NOT_PAGES = /^\/(api|console|assets)(\/|$)/;

/**
 * Links the CLI prints that name a page by Pulumi Cloud's path: the token page of its login
 * prompt (pkg/backend/httpstate/backend.go: Login, `user/settings/tokens`).
 */
const ALIASES: Record<string, string> = { '/user/settings/tokens': '/account/tokens' };

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fulmar console not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto">
<h1>The Fulmar console is not built</h1>
<p>This server answers the API, but its web console has not been built into <code>dist/console/</code>.
Run <code>npm run build</code> in the Fulmar checkout (or use the container image, which has it), then reload.</p>
</body></html>
`;

export function consolePages(dir: string = DEFAULT_CONSOLE_DIR): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  for (const [from, to] of Object.entries(ALIASES)) router.get(from, (_req, res) => res.redirect(302, to));
  router.use(
    express.static(dir, {
      index: false,
      redirect: false,
      fallthrough: true,
      setHeaders: (res, path) => res.setHeader('Cache-Control', path.includes(`${join(dir, 'assets')}`) ? IMMUTABLE : REVALIDATE),
    }),
  );
  router.use(appShell(dir));
  return router;
}

/** `index.html` for every page path a browser asks for; not-built advice while there is none. */
function appShell(dir: string): RequestHandler {
  const index = join(dir, 'index.html');
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_PAGES.test(req.path) || !req.accepts('html')) return next();
    res.setHeader('Cache-Control', REVALIDATE);
    if (!existsSync(index)) {
      res.status(503).type('html').send(NOT_BUILT);
      return;
    }
    res.sendFile(index, { cacheControl: false }, (err) => err && next(err));
  };
}
