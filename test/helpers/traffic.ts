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
  byMethod: Record<string, { requests: number; bytes: number }>;
}

export const newTraffic = (): Traffic => ({ requests: 0, bytes: 0, byMethod: {} });

export function countRequest(t: Traffic, method: string): void {
  t.requests++;
  (t.byMethod[method] ??= { requests: 0, bytes: 0 }).requests++;
}

export function countBytes(t: Traffic, method: string, bytes: number): void {
  t.bytes += bytes;
  (t.byMethod[method] ??= { requests: 0, bytes: 0 }).bytes += bytes;
}

/** A copy, so a snapshot taken before a step can be subtracted from one taken after. */
export const snapshotTraffic = (t: Traffic): Traffic => structuredClone(t);

/** What happened between two snapshots. */
export function trafficSince(before: Traffic, after: Traffic): Traffic {
  const out = newTraffic();
  out.requests = after.requests - before.requests;
  out.bytes = after.bytes - before.bytes;
  for (const [method, a] of Object.entries(after.byMethod)) {
    const b = before.byMethod[method] ?? { requests: 0, bytes: 0 };
    if (a.requests !== b.requests || a.bytes !== b.bytes) {
      out.byMethod[method] = { requests: a.requests - b.requests, bytes: a.bytes - b.bytes };
    }
  }
  return out;
}
