import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** The page heading takes focus on navigation, so keyboard and screen-reader users land on it. */
export function Page(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const h = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    h.current?.focus({ preventScroll: true });
  }, [props.title]);
  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1} ref={h}>
          {props.title}
        </h1>
        {props.actions && <div class="actions">{props.actions}</div>}
      </div>
      {props.children}
    </>
  );
}

export function Loading(props: { what?: string }) {
  return (
    <p class="muted" role="status">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

export function ErrorBox(props: { error: string | undefined }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {props.error}
    </p>
  );
}

export function Breadcrumbs(props: { items: { href?: string; label: string }[] }) {
  return (
    <nav aria-label="Breadcrumb" class="crumbs">
      <ol>
        {props.items.map((it, i) => (
          <li key={i}>
            {it.href && i < props.items.length - 1 ? <a href={it.href}>{it.label}</a> : <span aria-current="page">{it.label}</span>}
          </li>
        ))}
      </ol>
    </nav>
  );
}

export function Tags(props: { tags: Record<string, string> }) {
  const entries = Object.entries(props.tags);
  if (entries.length === 0) return <span class="muted">no tags</span>;
  return (
    <ul class="tags" aria-label="Tags">
      {entries.map(([k, v]) => (
        <li key={k} class="tag">
          {k}: {v}
        </li>
      ))}
    </ul>
  );
}

export function Changes(props: { changes: Record<string, number> }) {
  const entries = Object.entries(props.changes).filter(([, n]) => n > 0);
  if (entries.length === 0) return <span class="muted">no changes</span>;
  return (
    <span class="changes">
      {entries.map(([op, n]) => (
        <span key={op} class={`chg chg-${op}`}>
          {n} {op}
        </span>
      ))}
    </span>
  );
}
