import { useMemo, useState } from 'preact/hooks';
import { listStacks, type StackSummary } from '../api.js';
import { ago } from '../format.js';
import { stackPath } from '../router.js';
import { Breadcrumbs, ErrorBox, Loading, Page, Tags } from '../components.js';
import { useLoad, useTitle } from '../hooks.js';

/** Every stack the caller can see; `/org` and `/org/project` pre-filter like the service's pages. */
export function Stacks(props: { org?: string; project?: string }) {
  useTitle(props.project ?? props.org ?? 'Stacks');
  const filter: Record<string, string> = {};
  if (props.org) filter.organization = props.org;
  if (props.project) filter.project = props.project;
  const stacks = useLoad(() => listStacks(filter), [props.org, props.project]);
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
            {shown.length} of {all.length} stacks
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
