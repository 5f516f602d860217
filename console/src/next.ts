/**
 * Where to go after signing in: only a path on this origin. `next=//evil.example` or
 * `next=/\evil.example` (which browsers read as another host) and absolute URLs fall back to `/`.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}
