import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { get, post, stackApi, type Resource, type ResourcesPage, type StackName } from '../api.js';
import { buildTree, urnName, visibleRows, type TreeRow } from '../tree.js';
import { collectCiphertexts, fromBase64, presentValue } from '../secrets.js';
import { json } from '../format.js';
import { stackPath } from '../router.js';
import { atLeast, roleIn, useSession } from '../session.js';
import { Breadcrumbs, ErrorBox, Loading, Page } from '../components.js';
import { useTitle } from '../hooks.js';

const ROW_PX = 28;
/** Rows rendered above and below the viewport, so fast scrolling shows no gaps. */
const OVERSCAN = 12;

/** Resources per request: the tree is usable after the first, the rest stream in behind it. */
const PAGE_SIZE = 1000;

interface ResourcePages {
  resources: Resource[] | undefined;
  total: number;
  done: boolean;
  error: string | undefined;
}

/**
 * The latest version's resources through the paged `S/resources/latest?pageSize=` (docs/console.md),
 * one page after another, each shown as it arrives: no single response holds the whole state.
 */
function useResourcePages(name: StackName): ResourcePages {
  const [state, setState] = useState<ResourcePages>({ resources: undefined, total: 0, done: false, error: undefined });
  const key = stackApi(name);
  useEffect(() => {
    let live = true;
    setState({ resources: undefined, total: 0, done: false, error: undefined });
    const load = async () => {
      let token: string | undefined;
      let all: Resource[] = [];
      do {
        const q = new URLSearchParams({ pageSize: String(PAGE_SIZE) });
        if (token) q.set('continuationToken', token);
        const page = await get<ResourcesPage>(stackApi(name, `/resources/latest?${q}`));
        if (!live) return;
        all = [...all, ...page.resources.map((r) => r.resource)];
        token = page.continuationToken;
        setState({ resources: all, total: page.total ?? all.length, done: !token, error: undefined });
      } while (token);
    };
    load().catch((err: unknown) => live && setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) })));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return state;
}

export function Resources(props: StackName) {
  useTitle(`${props.stack} resources`);
  const state = useResourcePages(props);
  const resources = state.resources ?? [];
  const tree = useMemo(() => buildTree(resources), [resources]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [filter, setFilter] = useState('');
  const rows = useMemo(() => visibleRows(tree, collapsed, filter), [tree, collapsed, filter]);
  const [selected, setSelected] = useState<string>();
  const resource = selected ? resources.find((r) => r.urn === selected) : undefined;

  const toggle = (urn: string) => {
    const next = new Set(collapsed);
    if (next.has(urn)) next.delete(urn);
    else next.add(urn);
    setCollapsed(next);
  };

  return (
    <Page title={`${props.stack}: resources`}>
      <Breadcrumbs
        items={[
          { href: '/', label: 'Stacks' },
          { href: stackPath(props.org, props.project, props.stack), label: `${props.project}/${props.stack}` },
          { label: 'resources' },
        ]}
      />
      <ErrorBox error={state.error} />
      {!state.resources && !state.error ? (
        <Loading what="resources" />
      ) : (
        <div class="split">
          <section aria-labelledby="tree-h" class="card">
            <h2 id="tree-h">
              {state.total} resources
            </h2>
            <label>
              Filter by name or type
              <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
            </label>
            <p class="muted" role="status">
              {rows.length} shown{state.done ? '' : ` (${resources.length} of ${state.total} loaded)`}
            </p>
            <VirtualTree rows={rows} selected={selected} onSelect={setSelected} onToggle={toggle} collapsed={collapsed} />
          </section>
          <section aria-labelledby="detail-h" class="card detail">
            <h2 id="detail-h">{resource ? urnName(resource.urn) : 'Select a resource'}</h2>
            {resource && <ResourceDetail resource={resource} name={props} />}
          </section>
        </div>
      )}
    </Page>
  );
}

/**
 * A listbox that renders only the rows in view (plus OVERSCAN): 5,000 resources are 5,000 rows of
 * data but a few dozen DOM nodes. Arrow keys move, Enter/Space selects, Left/Right fold; every row
 * carries aria-setsize/aria-posinset so assistive technology knows the whole list's size.
 */
function VirtualTree(props: {
  rows: TreeRow[];
  selected: string | undefined;
  collapsed: ReadonlySet<string>;
  onSelect: (urn: string) => void;
  onToggle: (urn: string) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(560);
  const [active, setActive] = useState(0);
  useEffect(() => {
    if (box.current) setHeight(box.current.clientHeight || 560);
  }, []);
  const { rows } = props;
  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_PX) + OVERSCAN);
  const activeRow = rows[Math.min(active, rows.length - 1)];

  const moveTo = (i: number) => {
    const n = Math.max(0, Math.min(rows.length - 1, i));
    setActive(n);
    const el = box.current;
    if (!el) return;
    if (n * ROW_PX < el.scrollTop) el.scrollTop = n * ROW_PX;
    else if ((n + 1) * ROW_PX > el.scrollTop + el.clientHeight) el.scrollTop = (n + 1) * ROW_PX - el.clientHeight;
  };
  const onKey = (e: KeyboardEvent) => {
    const r = activeRow;
    const page = Math.max(1, Math.floor(height / ROW_PX) - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => moveTo(active + 1),
      ArrowUp: () => moveTo(active - 1),
      PageDown: () => moveTo(active + page),
      PageUp: () => moveTo(active - page),
      Home: () => moveTo(0),
      End: () => moveTo(rows.length - 1),
      Enter: () => r && props.onSelect(r.resource.urn),
      ' ': () => r && props.onSelect(r.resource.urn),
      ArrowRight: () => r?.hasChildren && props.collapsed.has(r.resource.urn) && props.onToggle(r.resource.urn),
      ArrowLeft: () => r?.hasChildren && !props.collapsed.has(r.resource.urn) && props.onToggle(r.resource.urn),
    };
    const f = keys[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  };

  return (
    <div
      ref={box}
      class="vlist"
      role="listbox"
      aria-label="Resources by parent"
      tabIndex={0}
      aria-activedescendant={activeRow ? rowId(active) : undefined}
      onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
      onKeyDown={onKey}
    >
      <div style={{ height: `${rows.length * ROW_PX}px`, position: 'relative' }}>
        {rows.slice(first, last).map((row, k) => {
          const i = first + k;
          const r = row.resource;
          const isCollapsed = props.collapsed.has(r.urn);
          return (
            <div
              key={r.urn}
              id={rowId(i)}
              role="option"
              aria-selected={props.selected === r.urn}
              aria-setsize={rows.length}
              aria-posinset={i + 1}
              aria-expanded={row.hasChildren ? !isCollapsed : undefined}
              class={`vrow${i === active ? ' active' : ''}${props.selected === r.urn ? ' selected' : ''}`}
              style={{ top: `${i * ROW_PX}px`, height: `${ROW_PX}px`, paddingLeft: `${0.5 + row.depth * 1.1}rem` }}
              onClick={() => {
                setActive(i);
                props.onSelect(r.urn);
              }}
            >
              {row.hasChildren ? (
                <span
                  class="fold"
                  aria-hidden="true"
                  onClick={(e) => {
                    e.stopPropagation();
                    props.onToggle(r.urn);
                  }}
                >
                  {isCollapsed ? '▸' : '▾'}
                </span>
              ) : (
                <span class="fold" aria-hidden="true" />
              )}
              <span class="rname">{urnName(r.urn)}</span> <span class="rtype">{r.type}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

const rowId = (i: number) => `res-row-${i}`;

function ResourceDetail(props: { resource: Resource; name: StackName }) {
  const r = props.resource;
  const { session } = useSession();
  const canReveal = atLeast(roleIn(session, props.name.org), 'member');
  const [revealed, setRevealed] = useState<Map<string, string>>();
  const [error, setError] = useState<string>();
  useEffect(() => setRevealed(undefined), [r.urn]);
  const ciphertexts = [...collectCiphertexts([r.inputs, r.outputs])];
  const reveal = async () => {
    try {
      const res = await post<{ plaintexts: Record<string, string> }>(stackApi(props.name, '/batch-decrypt'), { ciphertexts });
      setRevealed(new Map(Object.entries(res.plaintexts).map(([c, p]) => [c, fromBase64(p)])));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <>
      <dl class="facts">
        <dt>URN</dt>
        <dd>
          <code>{r.urn}</code>
        </dd>
        <dt>Type</dt>
        <dd>{r.type}</dd>
        {r.id && (
          <>
            <dt>ID</dt>
            <dd>
              <code>{String(r.id)}</code>
            </dd>
          </>
        )}
        <dt>Provider</dt>
        <dd>{r.provider ? <code>{r.provider}</code> : <span class="muted">—</span>}</dd>
        <dt>Parent</dt>
        <dd>{r.parent ? <code>{r.parent}</code> : <span class="muted">—</span>}</dd>
      </dl>
      {ciphertexts.length > 0 && canReveal && !revealed && (
        <button type="button" onClick={reveal}>
          Reveal secrets
        </button>
      )}
      <ErrorBox error={error} />
      <h3>Inputs</h3>
      <pre class="value">{json(presentValue(r.inputs ?? {}, revealed))}</pre>
      <h3>Outputs</h3>
      <pre class="value">{json(presentValue(r.outputs ?? {}, revealed))}</pre>
    </>
  );
}
