/**
 * The Fulmar web console: a single-page app over the same-origin console listener (the session
 * cookie) and Fulmar's own `/api/*` routes. The routes mirror the URLs the pulumi CLI prints.
 */
import { render, type JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import './style.css';
import { ApiError, get, post, setUnauthorizedHandler, type ConsoleConfig, type Session } from './api.js';
import { interceptLinks, match, navigate, useLocation, type Params } from './router.js';
import { SessionContext, useSession } from './session.js';
import { Loading } from './components.js';
import { SignIn } from './pages/sign-in.js';
import { Stacks } from './pages/stacks.js';
import { StackPage } from './pages/stack.js';
import { UpdatePage } from './pages/update.js';
import { Resources } from './pages/resources.js';
import { DiffPage } from './pages/diff.js';
import { Tokens } from './pages/tokens.js';
import { Members } from './pages/members.js';
import { CliLogin, CliWelcome } from './pages/cli-login.js';

type RouteDef = [pattern: string, view: (p: Params) => JSX.Element, needsSession?: boolean];

// Fixed words first: an org named `account` or `login` would otherwise shadow them.
const ROUTES: RouteDef[] = [
  ['/login', () => <SignIn />, false],
  ['/cli-login', () => <CliLogin />, false],
  ['/welcome/cli', () => <CliWelcome />, false],
  ['/', () => <Stacks />],
  ['/account/tokens', () => <Tokens />],
  // The link `pulumi login` prints for creating a token (backend.go: accountLink).
  ['/user/settings/tokens', () => <Tokens />],
  ['/:org/members', (p) => <Members org={p.org as string} />],
  ['/:org', (p) => <Stacks org={p.org} />],
  ['/:org/:project', (p) => <Stacks org={p.org} project={p.project} />],
  ['/:org/:project/:stack', (p) => <StackPage {...ref(p)} />],
  ['/:org/:project/:stack/updates/:version', (p) => <UpdatePage {...ref(p)} version={Number(p.version)} />],
  ['/:org/:project/:stack/previews/:updateId', (p) => <UpdatePage {...ref(p)} previewId={p.updateId} />],
  ['/:org/:project/:stack/resources', (p) => <Resources {...ref(p)} />],
  ['/:org/:project/:stack/diff', (p) => <DiffPage {...ref(p)} />],
];

const ref = (p: Params) => ({ org: p.org as string, project: p.project as string, stack: p.stack as string });

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [config, setConfig] = useState<ConsoleConfig | undefined>(undefined);
  const refresh = useCallback(async () => {
    try {
      setSession(await get<Session>('/console/session'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setSession(null);
      else throw err;
    }
  }, []);
  useEffect(() => {
    void refresh();
    get<ConsoleConfig>('/console/config').then(setConfig, () => setConfig({ oidc: false, apiUrl: '', consoleUrl: '' }));
    setUnauthorizedHandler(() => setSession(null));
  }, [refresh]);
  return (
    <SessionContext.Provider value={{ session, config, refresh }}>
      <Shell />
    </SessionContext.Provider>
  );
}

function Shell() {
  const { path } = useLocation();
  const { session } = useSession();
  let found: { view: JSX.Element; needsSession: boolean } | undefined;
  for (const [pattern, view, needsSession = true] of ROUTES) {
    const params = match(pattern, path);
    if (params) {
      found = { view: view(params), needsSession };
      break;
    }
  }
  const needsSignIn = found?.needsSession && session === null;
  useEffect(() => {
    if (needsSignIn) navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  }, [needsSignIn]);

  let body: JSX.Element;
  if (!found) body = <p>There is no page at {path}.</p>;
  else if (found.needsSession && !session) body = <Loading />;
  else body = found.view;
  return (
    <>
      <a class="skip" href="#main" data-native>
        Skip to content
      </a>
      <header class="top">
        <a href="/" class="brand">
          Fulmar
        </a>
        {session && (
          <nav aria-label="Main">
            <ul>
              <li>
                <a href="/">Stacks</a>
              </li>
              {/* Members pages of the orgs the user shares with others (not their personal org). */}
              {Object.keys(session.orgs)
                .filter((o) => o !== session.login)
                .map((o) => (
                  <li key={o}>
                    <a href={`/${encodeURIComponent(o)}/members`}>{o} members</a>
                  </li>
                ))}
              <li>
                <a href="/account/tokens">Tokens</a>
              </li>
            </ul>
          </nav>
        )}
        {session && <UserMenu session={session} />}
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}

function UserMenu(props: { session: Session }) {
  const { refresh } = useSession();
  return (
    <div class="user">
      <span aria-label="Signed in as">{props.session.login}</span>
      <button
        type="button"
        class="link"
        onClick={async () => {
          await post('/console/logout').catch(() => undefined);
          await refresh();
          navigate('/login');
        }}
      >
        Sign out
      </button>
    </div>
  );
}

const root = document.getElementById('app') as HTMLElement;
interceptLinks(document.body);
render(<App />, root);
