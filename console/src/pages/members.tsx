import { useState } from 'preact/hooks';
import { enc, get, request, type Member, type Role } from '../api.js';
import { atLeast, roleIn, useSession } from '../session.js';
import { Breadcrumbs, ErrorBox, Loading, Page } from '../components.js';
import { useLoad, useTitle } from '../hooks.js';

const ROLES: Role[] = ['viewer', 'member', 'admin'];

/** An org's members; org admins (and site admins) change roles, add and remove members. */
export function Members(props: { org: string }) {
  useTitle(`${props.org} members`);
  const { session } = useSession();
  const isAdmin = atLeast(roleIn(session, props.org), 'admin');
  const members = useLoad(() => get<{ members: Member[] }>(`/api/orgs/${enc(props.org)}/members`), [props.org]);
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState('');
  const [login, setLogin] = useState('');
  const [role, setRole] = useState<Role>('member');

  const setMember = async (who: string, r: Role) => {
    setError(undefined);
    try {
      await request('PUT', `/api/orgs/${enc(props.org)}/members/${enc(who)}`, { role: r });
      setStatus(`${who} is now ${r === 'admin' ? 'an' : 'a'} ${r}.`);
      members.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const remove = async (who: string) => {
    if (!confirm(`Remove ${who} from ${props.org}?`)) return;
    try {
      await request('DELETE', `/api/orgs/${enc(props.org)}/members/${enc(who)}`);
      setStatus(`${who} removed.`);
      members.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <Page title={`${props.org}: members`}>
      <Breadcrumbs items={[{ href: `/${enc(props.org)}`, label: props.org }, { label: 'members' }]} />
      <ErrorBox error={members.error} />
      <ErrorBox error={error} />
      <p role="status" class="muted">
        {status}
      </p>
      {members.loading && !members.data ? (
        <Loading what="members" />
      ) : (
        <table class="grid members">
          <caption class="sr-only">Members of {props.org}</caption>
          <thead>
            <tr>
              <th scope="col">Login</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              {isAdmin && (
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {members.data?.members.map((m) => (
              <tr key={m.user.githubLogin}>
                <th scope="row">{m.user.githubLogin}</th>
                <td>{m.user.name}</td>
                <td>
                  {isAdmin ? (
                    <select
                      aria-label={`Role of ${m.user.githubLogin}`}
                      value={m.role}
                      onChange={(e) => setMember(m.user.githubLogin, (e.target as HTMLSelectElement).value as Role)}
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  ) : (
                    m.role
                  )}
                </td>
                {isAdmin && (
                  <td>
                    <button type="button" class="danger" onClick={() => remove(m.user.githubLogin)}>
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {isAdmin && (
        <section class="card" aria-labelledby="add-h">
          <h2 id="add-h">Add a member</h2>
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              void setMember(login.trim(), role).then(() => setLogin(''));
            }}
          >
            <label for="add-login">Login</label>
            <input id="add-login" required value={login} onInput={(e) => setLogin((e.target as HTMLInputElement).value)} />
            <label for="add-role">Role</label>
            <select id="add-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
            <button type="submit">Add</button>
          </form>
        </section>
      )}
    </Page>
  );
}
