import { useState } from 'preact/hooks';
import { get, stackApi, type Deployment, type StackName, type StackView } from '../api.js';
import { diffDeployments, type ResourceDiff } from '../diff.js';
import { json } from '../format.js';
import { navigate, stackPath, useLocation } from '../router.js';
import { MASK, presentValue } from '../secrets.js';
import { urnName } from '../tree.js';
import { Breadcrumbs, ErrorBox, Loading, Page } from '../components.js';
import { useLoad, useTitle } from '../hooks.js';

/** Any two committed versions side by side, computed in the browser from their two exports. */
export function DiffPage(props: StackName) {
  useTitle(`${props.stack} diff`);
  const { query } = useLocation();
  const view = useLoad(() => get<StackView>(stackApi(props)), [stackApi(props)]);
  const latest = view.data?.version ?? 0;
  const to = Number(query.get('to') ?? latest);
  const from = Number(query.get('from') ?? Math.max(1, to - 1));
  const ready = latest > 0 && from >= 1 && to >= 1;
  const diff = useLoad(async () => {
    if (!ready) return undefined;
    const [a, b] = await Promise.all([
      get<Deployment>(stackApi(props, `/export/${from}`)),
      get<Deployment>(stackApi(props, `/export/${to}`)),
    ]);
    return diffDeployments(a.deployment.resources ?? [], b.deployment.resources ?? []);
  }, [stackApi(props), from, to, ready]);

  const base = stackPath(props.org, props.project, props.stack);
  return (
    <Page title={`${props.stack}: compare versions`}>
      <Breadcrumbs
        items={[
          { href: '/', label: 'Stacks' },
          { href: base, label: `${props.project}/${props.stack}` },
          { label: 'compare' },
        ]}
      />
      <ErrorBox error={view.error} />
      {view.data && latest === 0 && <p>This stack has no versions yet.</p>}
      {latest > 0 && <VersionPicker latest={latest} from={from} to={to} base={base} />}
      <ErrorBox error={diff.error} />
      {ready && diff.loading && <Loading what="both versions" />}
      {diff.data && !diff.loading && <DiffView diffs={diff.data} from={from} to={to} />}
    </Page>
  );
}

function VersionPicker(props: { latest: number; from: number; to: number; base: string }) {
  const [from, setFrom] = useState(String(props.from));
  const [to, setTo] = useState(String(props.to));
  return (
    <form
      class="filters"
      aria-label="Versions to compare"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(`${props.base}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
      }}
    >
      <label>
        From version
        <input type="number" min={1} max={props.latest} value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        To version
        <input type="number" min={1} max={props.latest} value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Compare</button>
    </form>
  );
}

function DiffView(props: { diffs: ResourceDiff[]; from: number; to: number }) {
  const count = (k: ResourceDiff['kind']) => props.diffs.filter((d) => d.kind === k).length;
  return (
    <section class="card" aria-labelledby="diff-h">
      <h2 id="diff-h">
        #{props.from} → #{props.to}
      </h2>
      <p role="status" class="diff-summary">
        <span class="chg chg-create">{count('added')} added</span> <span class="chg chg-delete">{count('removed')} removed</span>{' '}
        <span class="chg chg-update">{count('changed')} changed</span>
      </p>
      {props.diffs.length === 0 && <p class="muted">The two versions hold the same resources.</p>}
      <ul class="diffs">
        {props.diffs.slice(0, 500).map((d) => (
          <li key={d.urn} class={`diff diff-${d.kind}`}>
            <span class="badge">{d.kind}</span> <strong>{urnName(d.urn)}</strong> <span class="rtype">{d.type}</span>
            {d.changes.length > 0 && (
              <table class="grid props">
                <caption class="sr-only">Changed properties of {urnName(d.urn)}</caption>
                <thead>
                  <tr>
                    <th scope="col">Property</th>
                    <th scope="col">Before</th>
                    <th scope="col">After</th>
                  </tr>
                </thead>
                <tbody>
                  {d.changes.map((c) => (
                    <tr key={c.path}>
                      <th scope="row">
                        <code>{c.path}</code>
                      </th>
                      <td>
                        <code class="before">{show(c.before)}</code>
                      </td>
                      <td>
                        <code class="after">{show(c.after)}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ul>
      {props.diffs.length > 500 && <p class="muted">…and {props.diffs.length - 500} more.</p>}
    </section>
  );
}

/**
 * Secrets stay masked in a diff: it shows that their ciphertext changed, never what to (a secret
 * re-encrypted with the same value shows as changed too: the console cannot tell without decrypting).
 */
function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  const shown = presentValue(v);
  return shown === MASK ? MASK : json(shown);
}
