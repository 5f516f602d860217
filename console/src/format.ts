/** Small display helpers shared by the pages. */
export function when(unixSeconds: number | undefined): string {
  if (!unixSeconds) return '—';
  return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function ago(unixSeconds: number | undefined, now = Date.now()): string {
  if (!unixSeconds) return 'never';
  const s = Math.max(0, Math.round(now / 1000 - unixSeconds));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function duration(start: number, end: number): string {
  if (!start || !end || end < start) return '—';
  const s = end - start;
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

/**
 * Who ran an update: the login Fulmar recorded (`requestedBy`), else — for versions from before it
 * was kept or adopted from a DIY backend — what the CLI's environment names.
 */
export function who(info: { requestedBy?: string; environment: Record<string, string> }): string {
  const env = info.environment;
  return info.requestedBy || env['pulumi.user'] || env['git.author'] || env['git.committer'] || env['exec.user'] || '—';
}

export const json = (v: unknown) => JSON.stringify(v, null, 2);
