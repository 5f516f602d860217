/**
 * Whether two store locations share keys. A backup written into the bucket it copies (or a
 * restore read from the store it writes) would see its own writes: a backup under a prefix of the
 * source bucket shows up in it as one more org, and a backup folder inside a data folder's
 * `objects/` is part of the store. Both commands refuse such a pair (docs/operating.md, "Backup
 * and restore").
 */
import { join, relative, isAbsolute } from 'node:path';
import type { Config } from '../config/config.js';
import type { StoreLocation } from './store-location.js';

/** Where the configured store keeps its keys (the memory store has no location). */
export function configuredLocation(config: Pick<Config, 'storage'>): StoreLocation | undefined {
  const s = config.storage;
  if (s.kind === 'filesystem') return { kind: 'folder', root: join(s.dataDir, 'objects') };
  if (s.kind === 's3') return s;
  return undefined;
}

/** True when one location's keys can be among the other's. */
export function locationsOverlap(a: StoreLocation, b: StoreLocation): boolean {
  if (a.kind === 'folder' && b.kind === 'folder') return nested(a.root, b.root) || nested(b.root, a.root);
  if (a.kind === 's3' && b.kind === 's3') {
    if (a.bucket !== b.bucket || hostOf(a.endpoint) !== hostOf(b.endpoint)) return false;
    const [pa, pb] = [segments(a.prefix), segments(b.prefix)];
    const shorter = pa.length <= pb.length ? pa : pb;
    const longer = shorter === pa ? pb : pa;
    return shorter.every((s, i) => longer[i] === s);
  }
  return false;
}

function nested(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const segments = (prefix: string) => prefix.split('/').filter(Boolean);

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host.toLowerCase();
  } catch {
    return endpoint.toLowerCase();
  }
}
