/**
 * What a proxy saw go upstream: requests and request-body bytes, in total and by method. Shared
 * by the round-robin proxy (CLI → pods) and the S3 proxy (pods → MinIO), so a benchmark can say
 * how many bytes a client uploaded and how many reached the bucket (PUT bodies) without a second
 * proxy. Bodies are counted as they travel, i.e. compressed when the client compressed them.
 */
export interface Traffic {
  requests: number;
  /** Request-body bytes, as sent on the wire. */
  bytes: number;
  byMethod: Record<string, Tally>;
  /** By the name a proxy's `classify` gave the request (e.g. the kind of object or API route). */
  byKind: Record<string, Tally>;
}

export interface Tally {
  requests: number;
  bytes: number;
}

/** Names a request for `Traffic.byKind`; undefined leaves it out of that breakdown. */
export type Classify = (method: string, path: string) => string | undefined;

export const newTraffic = (): Traffic => ({ requests: 0, bytes: 0, byMethod: {}, byKind: {} });

/** Counts one request; returns the function that counts its body as it flows. */
export function countRequest(t: Traffic, method: string, path: string, classify?: Classify): (bytes: number) => void {
  const kind = classify?.(method, path);
  const tallies = [(t.byMethod[method] ??= { requests: 0, bytes: 0 })];
  if (kind !== undefined) tallies.push((t.byKind[kind] ??= { requests: 0, bytes: 0 }));
  t.requests++;
  for (const tally of tallies) tally.requests++;
  return (bytes) => {
    t.bytes += bytes;
    for (const tally of tallies) tally.bytes += bytes;
  };
}

/** A copy, so a snapshot taken before a step can be subtracted from one taken after. */
export const snapshotTraffic = (t: Traffic): Traffic => structuredClone(t);

/** What happened between two snapshots. */
export function trafficSince(before: Traffic, after: Traffic): Traffic {
  const since = (b: Record<string, Tally>, a: Record<string, Tally>) => {
    const out: Record<string, Tally> = {};
    for (const [name, x] of Object.entries(a)) {
      const y = b[name] ?? { requests: 0, bytes: 0 };
      if (x.requests !== y.requests || x.bytes !== y.bytes) out[name] = { requests: x.requests - y.requests, bytes: x.bytes - y.bytes };
    }
    return out;
  };
  return {
    requests: after.requests - before.requests,
    bytes: after.bytes - before.bytes,
    byMethod: since(before.byMethod, after.byMethod),
    byKind: since(before.byKind, after.byKind),
  };
}
