import { useState } from 'preact/hooks';
import { get, post, request, type TokenInfo } from '../api.js';
import { when } from '../format.js';
import { ErrorBox, Loading, Page } from '../components.js';
import { useLoad, useTitle } from '../hooks.js';

/** The caller's API tokens: list, create (the value is shown once), revoke. */
export function Tokens() {
  useTitle('Access tokens');
  const tokens = useLoad(() => get<{ tokens: TokenInfo[] }>('/api/user/tokens'), []);
  const [description, setDescription] = useState('');
  const [created, setCreated] = useState<string>();
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState('');

  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const res = await post<{ id: string; tokenValue: string }>('/api/user/tokens', { description: description.trim() });
      setCreated(res.tokenValue);
      setDescription('');
      setStatus('Token created. Copy it now: it is not shown again.');
      tokens.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const revoke = async (t: TokenInfo) => {
    if (!confirm(`Revoke the token "${t.description || t.id.slice(0, 8)}"? Anything using it stops working.`)) return;
    setError(undefined);
    try {
      await request('DELETE', `/api/user/tokens/${encodeURIComponent(t.id)}`);
      setStatus(`Token "${t.description || t.id.slice(0, 8)}" revoked.`);
      tokens.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <Page title="Access tokens">
      <section class="card" aria-labelledby="new-h">
        <h2 id="new-h">New token</h2>
        <form onSubmit={create} class="row">
          <label for="token-desc">Description</label>
          <input
            id="token-desc"
            required
            maxLength={200}
            value={description}
            onInput={(e) => setDescription((e.target as HTMLInputElement).value)}
          />
          <button type="submit" class="primary">
            Create token
          </button>
        </form>
        {created && (
          <div class="created">
            <label for="new-token">Your new token</label>
            <input id="new-token" readOnly value={created} onFocus={(e) => (e.target as HTMLInputElement).select()} />
            <button type="button" onClick={() => void navigator.clipboard?.writeText(created)}>
              Copy
            </button>
            <button type="button" onClick={() => setCreated(undefined)}>
              Done
            </button>
          </div>
        )}
        <p role="status" class="muted">
          {status}
        </p>
        <ErrorBox error={error} />
      </section>
      <section class="card" aria-labelledby="list-h">
        <h2 id="list-h">Your tokens</h2>
        <ErrorBox error={tokens.error} />
        {tokens.loading && !tokens.data ? (
          <Loading what="tokens" />
        ) : (tokens.data?.tokens.length ?? 0) === 0 ? (
          <p class="muted">No tokens.</p>
        ) : (
          <table class="grid tokens">
            <caption class="sr-only">Your tokens</caption>
            <thead>
              <tr>
                <th scope="col">Description</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data?.tokens.map((t) => (
                <tr key={t.id}>
                  <th scope="row">{t.description || <span class="muted">{t.id.slice(0, 12)}</span>}</th>
                  <td>{when(t.created)}</td>
                  <td>{t.lastUsed ? when(t.lastUsed) : 'never'}</td>
                  <td>{t.expires ? when(t.expires) : 'never'}</td>
                  <td>
                    <button type="button" class="danger" onClick={() => revoke(t)} aria-label={`Revoke ${t.description || t.id}`}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Page>
  );
}
