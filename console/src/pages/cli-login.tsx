import { useEffect, useState } from 'preact/hooks';
import { post } from '../api.js';
import { navigate, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { ErrorBox, Loading, Page } from '../components.js';
import { useTitle } from '../hooks.js';

/**
 * `pulumi login` opens `/cli-login?cliSessionPort=…&cliSessionNonce=…&cliSessionDescription=…`
 * (pkg/backend/httpstate/backend.go: loginWithBrowser). Signed in, the user confirms; the console
 * server mints a token and answers the CLI's local redirect, which the page then follows.
 */
export function CliLogin() {
  useTitle('Log in the pulumi CLI');
  const { query } = useLocation();
  const { session } = useSession();
  const port = query.get('cliSessionPort') ?? '';
  const nonce = query.get('cliSessionNonce') ?? '';
  const description = query.get('cliSessionDescription') ?? '';
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const valid = /^\d{1,5}$/.test(port) && nonce.length > 0;

  useEffect(() => {
    if (session === null) navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  }, [session]);

  if (!valid) {
    return (
      <Page title="Log in the pulumi CLI">
        <p class="error" role="alert">
          This page is opened by <code>pulumi login</code>; its link is missing the CLI's port or nonce.
        </p>
      </Page>
    );
  }
  if (!session) return <Loading />;

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const { redirect } = await post<{ redirect: string }>('/console/cli-login', { port: Number(port), nonce, description });
      window.location.assign(redirect);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <Page title="Log in the pulumi CLI">
      <div class="card narrow">
        <p>
          A <code>pulumi login</code> on this computer is waiting. Confirming creates an access token for{' '}
          <strong>{session.login}</strong>
          {description && (
            <>
              {' '}
              described as “<span class="cli-description">{description}</span>”
            </>
          )}{' '}
          and hands it to the CLI.
        </p>
        <button type="button" class="primary" disabled={busy} onClick={confirm}>
          Log in the pulumi CLI as {session.login}
        </button>
        <ErrorBox error={error} />
      </div>
    </Page>
  );
}

/** Where the CLI sends the browser once it has its token (backend.go: finalWelcomeURL). */
export function CliWelcome() {
  useTitle('CLI logged in');
  return (
    <Page title="The pulumi CLI is logged in">
      <p>You can close this tab and go back to your terminal.</p>
      <p>
        <a href="/">Browse your stacks</a>
      </p>
    </Page>
  );
}
