import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { navigate, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { ErrorBox, Page } from '../components.js';
import { useTitle } from '../hooks.js';
import { safeNext } from '../next.js';

export function SignIn() {
  useTitle('Sign in');
  const { query } = useLocation();
  const next = safeNext(query.get('next'));
  const { config, refresh } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await post('/console/login/token', { token: token.trim() });
      await refresh();
      navigate(next, { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Sign in to Fulmar">
      <div class="card narrow">
        {config?.oidc && (
          <>
            <p>
              <a class="button primary" data-native href={`/console/login/oidc?next=${encodeURIComponent(next)}`}>
                Sign in with {config.oidcName || 'single sign-on'}
              </a>
            </p>
            <p class="muted">or use an access token:</p>
          </>
        )}
        <form onSubmit={submit} aria-describedby="token-help">
          <label for="token">Access token</label>
          <input
            id="token"
            name="token"
            type="password"
            autoComplete="off"
            required
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          />
          <p id="token-help" class="muted">
            A token from <code>fulmar token create</code>, or the one in <code>~/.pulumi/credentials.json</code>.
          </p>
          <ErrorBox error={error} />
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </Page>
  );
}
