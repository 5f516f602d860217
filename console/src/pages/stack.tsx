import { useState } from 'preact/hooks';
import { get, post, stackApi, type StackName, type StackView, type UpdateInfo } from '../api.js';
import { duration, when, who } from '../format.js';
import { stackPath } from '../router.js';
import { atLeast, roleIn, useSession } from '../session.js';
import { Breadcrumbs, Changes, ErrorBox, Loading, Page, Tags } from '../components.js';
import { useLoad, useTitle } from '../hooks.js';
import { Outputs } from './outputs.js';

const PAGE_SIZE = 20;

export function StackPage(props: StackName) {
  const { org, project, stack } = props;
  useTitle(`${project}/${stack}`);
  const { session } = useSession();
  const role = roleIn(session, org);
  const [page, setPage] = useState(1);
  const view = useLoad(() => get<StackView>(stackApi(props)), [org, project, stack]);
  const history = useLoad(
    () => get<{ updates: UpdateInfo[] }>(stackApi(props, `/updates?pageSize=${PAGE_SIZE}&page=${page}`)),
    [org, project, stack, page],
  );
  const base = stackPath(org, project, stack);

  return (
    <Page
      title={`${org}/${project}/${stack}`}
      actions={
        <>
          <a class="button" href={`${base}/resources`}>
            Resources
          </a>
          <a class="button" href={`${base}/diff`}>
            Compare versions
          </a>
        </>
      }
    >
      <Breadcrumbs
        items={[
          { href: '/', label: 'Stacks' },
          { href: `/${encodeURIComponent(org)}`, label: org },
          { href: `/${encodeURIComponent(org)}/${encodeURIComponent(project)}`, label: project },
          { label: stack },
        ]}
      />
      <ErrorBox error={view.error} />
      {view.data && (
        <section aria-labelledby="overview-h" class="card">
          <h2 id="overview-h">Overview</h2>
          <dl class="facts">
            <dt>Version</dt>
            <dd>{view.data.version || 'none yet'}</dd>
            <dt>Tags</dt>
            <dd>
              <Tags tags={view.data.tags} />
            </dd>
            <dt>Lease</dt>
            <dd>
              <Lease view={view.data} canCancel={atLeast(role, 'admin')} onChange={view.reload} name={props} />
            </dd>
          </dl>
        </section>
      )}
      <Outputs name={props} canReveal={atLeast(role, 'member')} />
      <section aria-labelledby="history-h" class="card">
        <h2 id="history-h">History</h2>
        <ErrorBox error={history.error} />
        {history.loading && !history.data ? (
          <Loading what="history" />
        ) : (
          <HistoryTable updates={history.data?.updates ?? []} base={base} />
        )}
        <nav aria-label="History pages" class="pager">
          <button type="button" disabled={page === 1} onClick={() => setPage(page - 1)}>
            Newer
          </button>
          <span>Page {page}</span>
          <button
            type="button"
            disabled={(history.data?.updates.length ?? 0) < PAGE_SIZE}
            onClick={() => setPage(page + 1)}
          >
            Older
          </button>
        </nav>
      </section>
    </Page>
  );
}

function HistoryTable(props: { updates: UpdateInfo[]; base: string }) {
  if (props.updates.length === 0) return <p class="muted">No updates yet.</p>;
  return (
    <table class="grid history">
      <caption class="sr-only">Updates, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">Kind</th>
          <th scope="col">Result</th>
          <th scope="col">By</th>
          <th scope="col">Message</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
          <th scope="col">Changes</th>
        </tr>
      </thead>
      <tbody>
        {props.updates.map((u) => (
          <tr key={u.version}>
            <th scope="row">
              <a href={`${props.base}/updates/${u.version}`}>#{u.version}</a>
            </th>
            <td>{u.kind}</td>
            <td>
              <span class={`result result-${u.result}`}>{u.result}</span>
            </td>
            <td>{who(u)}</td>
            <td class="message">{u.message || <span class="muted">—</span>}</td>
            <td>{when(u.startTime)}</td>
            <td>{duration(u.startTime, u.endTime)}</td>
            <td>
              <Changes changes={u.resourceChanges} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The update holding the stack's lease, if any; admins may cancel it (`POST …/update/{id}/cancel`). */
function Lease(props: { view: StackView; canCancel: boolean; onChange: () => void; name: StackName }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const op = props.view.currentOperation;
  // `activeUpdate` names the latest update even after it ended; only `currentOperation` says a
  // lease is held (src/services/stack-service.ts: view).
  if (!op || !props.view.activeUpdate) return <span>free</span>;
  const cancel = async () => {
    if (!confirm(`Cancel the running ${op?.kind}? What it saved is kept, marked failed.`)) return;
    setBusy(true);
    try {
      await post(stackApi(props.name, `/update/${encodeURIComponent(props.view.activeUpdate)}/cancel`));
      props.onChange();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const live = `${stackPath(props.name.org, props.name.project, props.name.stack)}/updates/${props.view.version + 1}`;
  return (
    <span class="lease">
      <span class="live">
        <span aria-hidden="true">●</span> {op.kind} running
      </span>{' '}
      by {op.author || 'someone'} since {when(op.started)}{' '}
      <a href={live}>
        follow its log
      </a>{' '}
      {props.canCancel && (
        <button type="button" class="danger" disabled={busy} onClick={cancel}>
          Cancel update
        </button>
      )}
      <ErrorBox error={error} />
    </span>
  );
}

