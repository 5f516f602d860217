import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { listStacksPage, type StackSummary } from '../api.js';
import { ago } from '../format.js';
import { stackPath } from '../router.js';
import { Breadcrumbs, ErrorBox, Loading, Page, Tags } from '../components.js';
import { useTitle } from '../hooks.js';

interface Paged {
  data: StackSummary[] | undefined;
  error: string | undefined;
  loading: boolean;
  /** True while the service has another page. */
  more: boolean;
  loadMore: () => void;
}

/**
 * The service's stack pages, fetched one at a time: the first at once, each next one only when
 * asked (the list scrolled to its end, or "More stacks"), so a thousand stacks cost one page up front.
 */
function useStackPages(filter: Record<string, string>, deps: unknown[]): Paged {
  const [pages, setPages] = useState<{ stacks: StackSummary[]; token?: string; done: boolean }>({ stacks: [], done: false });
  const [state, setState] = useState<{ loading: boolean; error?: string; started: boolean }>({ loading: true, started: false });
  const generation = useRef(0);
  /** The page being fetched: the observer and the button may both ask for it in one tick. */
  const asked = useRef<string | undefined>(undefined);
  const fetchPage = (token: string | undefined, reset: boolean) => {
    if (token !== undefined && asked.current === token) return;
    asked.current = token;
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    listStacksPage(filter, token).then(
      (page) => {
        if (mine !== generation.current) return; // the filter changed meanwhile
        setPages((p) => ({ stacks: [...(reset ? [] : p.stacks), ...page.stacks], token: page.continuationToken, done: !page.continuationToken }));
        setState({ loading: false, started: true });
      },
      (err: unknown) => mine === generation.current && setState({ loading: false, started: true, error: err instanceof Error ? err.message : String(err) }),
    );
  };
  useEffect(() => {
    setPages({ stacks: [], done: false });
    setState({ loading: true, started: false });
    fetchPage(undefined, true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return {
    data: state.started ? pages.stacks : undefined,
    error: state.error,
    loading: state.loading,
    more: !pages.done && pages.token !== undefined,
    loadMore: () => {
      if (pages.token) fetchPage(pages.token, false);
    },
  };
}

/** The stacks the caller can see; `/org` and `/org/project` pre-filter like the service's pages. */
export function Stacks(props: { org?: string; project?: string }) {
  useTitle(props.project ?? props.org ?? 'Stacks');
  const filter: Record<string, string> = {};
  if (props.org) filter.organization = props.org;
  if (props.project) filter.project = props.project;
  const stacks = useStackPages(filter, [props.org, props.project]);
  const end = useRef<HTMLDivElement>(null);
  // Reaching the end of the list asks for the next page (a button does the same without scrolling).
  useEffect(() => {
    const el = end.current;
    if (!el || !stacks.more || typeof IntersectionObserver === 'undefined') return;
    const seen = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && stacks.loadMore());
    seen.observe(el);
    return () => seen.disconnect();
  });
  const [search, setSearch] = useState('');
  const [org, setOrg] = useState('');
  const [project, setProject] = useState('');
  const [tag, setTag] = useState('');

  const all = stacks.data ?? [];
  const orgs = useMemo(() => [...new Set(all.map((s) => s.orgName))].sort(), [all]);
  const projects = useMemo(() => [...new Set(all.map((s) => s.projectName))].sort(), [all]);
  const shown = all.filter((s) => matches(s, search, org, project, tag));

  return (
    <Page title={props.project ? `${props.org}/${props.project}` : (props.org ?? 'Stacks')}>
      {props.org && (
        <Breadcrumbs
          items={[
            { href: '/', label: 'Stacks' },
            { href: `/${encodeURIComponent(props.org)}`, label: props.org },
            ...(props.project ? [{ label: props.project }] : []),
          ]}
        />
      )}
      <form class="filters" role="search" aria-label="Filter stacks" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        </label>
        {!props.org && (
          <label>
            Organization
            <select value={org} onChange={(e) => setOrg((e.target as HTMLSelectElement).value)}>
              <option value="">all</option>
              {orgs.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </label>
        )}
        {!props.project && (
          <label>
            Project
            <select value={project} onChange={(e) => setProject((e.target as HTMLSelectElement).value)}>
              <option value="">all</option>
              {projects.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          Tag
          <input
            type="text"
            placeholder="name or name=value"
            value={tag}
            onInput={(e) => setTag((e.target as HTMLInputElement).value)}
          />
        </label>
      </form>
      <ErrorBox error={stacks.error} />
      {stacks.loading && !stacks.data ? (
        <Loading what="stacks" />
      ) : (
        <>
          <p class="muted" role="status">
            {shown.length} of {all.length} stacks{stacks.more ? ' loaded so far' : ''}
          </p>
          <table class="grid">
            <caption class="sr-only">Stacks</caption>
            <thead>
              <tr>
                <th scope="col">Stack</th>
                <th scope="col">Last update</th>
                <th scope="col">Resources</th>
                <th scope="col">Tags</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((s) => (
                <tr key={`${s.orgName}/${s.projectName}/${s.stackName}`}>
                  <th scope="row">
                    <a href={stackPath(s.orgName, s.projectName, s.stackName)}>
                      {s.orgName}/{s.projectName}/{s.stackName}
                    </a>
                  </th>
                  <td>
                    {s.lastUpdate === 0 ? (
                      <span class="live" title="An update holds the lease now">
                        <span aria-hidden="true">●</span> updating now
                      </span>
                    ) : (
                      ago(s.lastUpdate)
                    )}
                  </td>
                  <td>{s.resourceCount}</td>
                  <td>
                    <Tags tags={s.tags} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div ref={end} class="list-end">
            {stacks.more && (
              <button type="button" onClick={stacks.loadMore} disabled={stacks.loading}>
                {stacks.loading ? 'Loading more stacks…' : 'More stacks'}
              </button>
            )}
          </div>
        </>
      )}
    </Page>
  );
}

function matches(s: StackSummary, search: string, org: string, project: string, tag: string): boolean {
  if (org && s.orgName !== org) return false;
  if (project && s.projectName !== project) return false;
  const q = search.trim().toLowerCase();
  if (q && !`${s.orgName}/${s.projectName}/${s.stackName}`.toLowerCase().includes(q)) return false;
  const t = tag.trim();
  if (t) {
    const [name, value] = t.includes('=') ? [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)] : [t, undefined];
    if (!(name in s.tags)) return false;
    if (value !== undefined && s.tags[name] !== value) return false;
  }
  return true;
}
