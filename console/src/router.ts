/**
 * A history-API router: the console's paths are the ones the pulumi CLI prints
 * (pkg/backend/httpstate/backend.go: cloudConsoleStackPath, `updates/{version}`,
 * `previews/{updateID}`, `cli-login`, `user/settings/tokens`), so each must load on its own: the
 * listener answers any unknown path with index.html.
 */
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const l of listeners) l();
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    window.addEventListener('popstate', l);
    return () => {
      listeners.delete(l);
      window.removeEventListener('popstate', l);
    };
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Same-origin links navigate in place; modified clicks, other targets and `data-native` do not. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element | null)?.closest('a');
    if (!a || a.target || a.hasAttribute('download') || a.hasAttribute('data-native')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    ev.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}

export type Params = Record<string, string>;

/** Matches `/a/:b/c` against a path; segments are percent-decoded. */
export function match(pattern: string, path: string): Params | undefined {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return undefined;
  const params: Params = {};
  for (let i = 0; i < p.length; i++) {
    const want = p[i] as string;
    let got: string;
    try {
      got = decodeURIComponent(s[i] as string);
    } catch {
      return undefined;
    }
    if (want.startsWith(':')) params[want.slice(1)] = got;
    else if (want !== got) return undefined;
  }
  return params;
}

export const stackPath = (org: string, project: string, stack: string) =>
  `/${encodeURIComponent(org)}/${encodeURIComponent(project)}/${encodeURIComponent(stack)}`;
